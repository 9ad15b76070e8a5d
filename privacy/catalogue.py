"""The vocabulary the field declarations use: keys, deletion rules, processing activities and
data categories. Field declarations (``privacy.fields``, ``privacy.stores``) name these by key.

Numbers that the code decides (retention defaults, session lifetime, …) are taken from the code
where it keeps them as values, and otherwise declared here as the production defaults and
compared with the settings by tests/privacy/test_inventory.py.
"""

from __future__ import annotations

from privacy.inventory import Activity, Category, Key, Origin, Retention, Role, Subject, T
from reporting.abuse import CHALLENGE_MAX_AGE_SECONDS
from reporting.models import Organisation

# Production defaults of settings (the test settings change some of them; the test
# `test_declared_defaults_are_the_settings_defaults` reads them from a clean process).
SESSION_COOKIE_AGE = 8 * 3600
FOLLOWUP_FAILURE_WINDOW_SECONDS = 600
LOGIN_THROTTLE_MEMORY_SECONDS = 24 * 3600
TASK_SAVE_LIMIT = 250
ARGON2 = {"ARGON2_TIME_COST": 3, "ARGON2_MEMORY_KIB": 64 * 1024, "ARGON2_LANES": 4}

RETENTION_DAYS = Organisation._meta.get_field("retention_days").get_default()
REJECTED_RETENTION_DAYS = Organisation._meta.get_field("rejected_retention_days").get_default()

R = Role
EVERY_MEMBER = frozenset({R.COUNSELLOR, R.PARTNER_ADMIN})
CASE_READERS = frozenset({R.COUNSELLOR, R.PARTNER_ADMIN, R.COPY_HOLDER})

# --------------------------------------------------------------------------------------------
# Keys (SPEC §3): who can decrypt what

KEYS: dict[str, Key] = {
    "case_key": Key(
        T("Fallschlüssel", "case key"),
        CASE_READERS | {R.REPORTER},
        T("Zufällige 256 Bit je Fall. Verschlüsselt die Meldung, die Dateien und die Nachrichten "
          "(AES-256-GCM; jede Verschlüsselung ist an Fall und Zweck gebunden). Gespeichert nur "
          "verschlossen: für jede Organisation, die den Fall hält (HPKE), und für die meldende "
          "Person unter ihrem Zugangscode.",
          "Random 256 bits per case. Encrypts the report, the files and the messages (AES-256-GCM; "
          "each ciphertext is bound to its case and purpose). Stored only sealed: to each "
          "organisation that holds the case (HPKE), and for the reporter under the receipt code."),
    ),
    "internal_key": Key(
        T("interner Fallschlüssel", "case internal key"),
        CASE_READERS,
        T("Zufällige 256 Bit je Fall für die internen Notizen. Die meldende Person hat ihn nie; "
          "er ist nur für die Organisationen verschlossen, die den Fall halten.",
          "Random 256 bits per case for internal notes. The reporter never holds it; it is sealed "
          "only to the organisations that hold the case."),
    ),
    "organisation_key": Key(
        T("Schlüsselpaar der Organisation", "organisation keypair"),
        CASE_READERS,
        T("Ein HPKE-Schlüsselpaar je Partnerorganisation (ML-KEM-768 + X25519, Post-Quanten-"
          "Hybrid, versioniert). Die Fallschlüssel werden an den öffentlichen Teil verschlossen. "
          "Den privaten Teil haben die Mitglieder mit Schlüsselzugang (unter ihrem Passwort) und "
          "der Wiederherstellungscode.",
          "One HPKE keypair per partner organisation (ML-KEM-768 + X25519, post-quantum hybrid, "
          "versioned). Case keys are sealed to its public half. The private half is held by the "
          "members with key access (under their password) and by the recovery code."),
    ),
    "member_password_key": Key(
        T("Passwortschlüssel des Mitglieds", "member's password key"),
        frozenset({R.MEMBER}),
        T("Argon2id(Passwort, Salt je Mitglied), getrennt vom Passwort-Hash der Anmeldung. "
          "Verschlüsselt den privaten Schlüssel der Organisation und den des Mitglieds.",
          "Argon2id(password, per-member salt), separate from the login password hash. Encrypts "
          "the organisation's private key and the member's own private key."),
    ),
    "member_key": Key(
        T("Schlüsselpaar des Mitglieds", "member keypair"),
        frozenset({R.MEMBER}),
        T("Ein HPKE-Schlüsselpaar je Mitglied. Eine Admin-Person verschließt den privaten "
          "Organisationsschlüssel an den öffentlichen Teil, ohne das Passwort des Mitglieds zu "
          "kennen; das Mitglied öffnet ihn beim nächsten Anmelden.",
          "One HPKE keypair per member. An admin seals the organisation's private key to its "
          "public half without knowing the member's password; the member opens it at the next "
          "login."),
    ),
    "recovery_code": Key(
        T("Wiederherstellungscode", "recovery code"),
        frozenset({R.RECOVERY_SHEET}),
        T("256 zufällige Bit je Organisation, einmal bei der Einrichtung gedruckt angezeigt. Der "
          "private Organisationsschlüssel ist auch darunter verschlüsselt (HKDF). Stellt den Zugang "
          "her, wenn alle Mitglieder ihr Passwort verloren haben.",
          "256 random bits per organisation, shown once (printable) when it is created. The "
          "organisation's private key is also wrapped under it (HKDF). Restores access when all "
          "members lost their passwords."),
    ),
    "receipt_code": Key(
        T("Zugangscode der meldenden Person", "reporter's receipt code"),
        frozenset({R.REPORTER}),
        T("Mindestens 80 Bit (16 Zeichen Crockford-Base32), nur der meldenden Person angezeigt und "
          "nie gespeichert. HKDF(Code, Salt = Fall) verschlüsselt eine Kopie des Fallschlüssels.",
          "At least 80 bits (16 Crockford base32 characters), shown only to the reporter and never "
          "stored. HKDF(code, salt = case) wraps a copy of the case key."),
    ),
    "resume_key": Key(
        T("Schlüssel der Weiterleitung nach dem Senden", "key of the redirect after sending"),
        frozenset({R.REPORTER}),
        T("Zufällige 256 Bit je gesendeter Nachricht oder Dateisendung der meldenden Person, nur in "
          "der Adresse der Weiterleitung (Post/Redirect/Get) im Browser. Verschlüsselt den Zugangscode "
          "für höchstens zwei Minuten im Cache; der erste Aufruf löscht ihn.",
          "Random 256 bits per message or files the reporter sends, only in the address of the "
          "redirect (post/redirect/get) in the browser. Encrypts the receipt code in the cache for "
          "two minutes at most; the first request deletes it."),
    ),
    "session_unlock_key": Key(
        T("Sitzungsschlüssel", "session unlock key"),
        frozenset({R.MEMBER}),
        T("Zufällige 256 Bit je Anmeldung, nur im HttpOnly-Cookie des Browsers (Sitzungs-Cookie, "
          "SameSite=Strict). Verschlüsselt den privaten Organisationsschlüssel in der serverseitigen "
          "Sitzung; keine Hälfte allein öffnet etwas.",
          "Random 256 bits per login, only in the browser's HttpOnly cookie (a browser-session "
          "cookie, SameSite=Strict). Encrypts the organisation's private key in the server-side "
          "session; neither half alone opens anything."),
    ),
    "notification_key": Key(
        T("Benachrichtigungsschlüssel (Server)", "notification key (server)"),
        frozenset({R.SERVER}),
        T("Ein Schlüssel aus der Server-Umgebung (nicht in der Datenbank). Verschlüsselt die "
          "freiwillige Benachrichtigungsadresse, damit der Server inhaltsfreie Hinweise senden kann. "
          "Wer Datenbank und Umgebung zugleich hat, kann diese Adressen lesen (Prüfbericht F-16).",
          "A key from the server environment (not in the database). Encrypts the optional notice "
          "address so that the server can send content-free notices. Whoever holds the database "
          "and the environment together can read these addresses (review F-16)."),
        setting="NOTIFICATION_KEY",
    ),
    "receipt_pepper": Key(
        T("Pfeffer für Zugangscodes (Server)", "receipt pepper (server)"),
        frozenset({R.SERVER}),
        T("HMAC-Schlüssel aus der Umgebung: HMAC-SHA256(Pfeffer, Code) findet den Fall, ohne den "
          "Code zu speichern. Entschlüsselt nichts.",
          "HMAC key from the environment: HMAC-SHA256(pepper, code) finds the case without storing "
          "the code. Decrypts nothing."),
        setting="RECEIPT_PEPPER",
    ),
    "address_hash_key": Key(
        T("Adress-Hash-Schlüssel (Server)", "address hash key (server)"),
        frozenset({R.SERVER}),
        T("HMAC-Schlüssel aus der Umgebung, stündlich abgeleitet: der Hash der Client-Adresse für "
          "Ratenbegrenzungen lässt sich später keiner Adresse mehr zuordnen.",
          "HMAC key from the environment, derived anew every hour: the hash of a client address "
          "used for rate limits cannot be tied to an address later."),
        setting="ADDRESS_HASH_KEY",
    ),
    "audit_chain_key": Key(
        T("Audit-Ketten-Schlüssel (Server)", "audit chain key (server)"),
        frozenset({R.SERVER}),
        T("HMAC-Schlüssel aus der Umgebung für die Protokollkette: wer nur die Datenbank schreiben "
          "kann, kann Einträge nicht unbemerkt ändern oder löschen.",
          "HMAC key from the environment for the audit chain: someone who can only write the "
          "database cannot change or delete entries unnoticed."),
        setting="AUDIT_CHAIN_KEY",
    ),
    "key_auth_key": Key(
        T("Schlüssel-Echtheits-Schlüssel (Server)", "key authentication key (server)"),
        frozenset({R.SERVER}),
        T("HMAC-Schlüssel aus der Umgebung (`KEY_AUTH_KEY`): ein MAC über jeden gespeicherten "
          "öffentlichen Schlüssel (Organisation, Epoche, Wiederherstellung, Mitglied). Nichts wird an "
          "einen Schlüssel verschlossen, dessen MAC nicht stimmt; wer nur die Datenbank schreiben "
          "kann, kann keinen eigenen Schlüssel einsetzen. Entschlüsselt nichts.",
          "HMAC key from the environment (`KEY_AUTH_KEY`): a MAC over every stored public key "
          "(organisation, epoch, recovery, member). Nothing is sealed to a key whose MAC fails; "
          "someone who can only write the database cannot put in a key of their own. Decrypts "
          "nothing."),
        setting="KEY_AUTH_KEY",
    ),
    "django_secret_key": Key(
        T("Django-Signaturschlüssel (Server)", "Django signing key (server)"),
        frozenset({R.SERVER}),
        T("SECRET_KEY aus der Umgebung: signiert Sitzungsdaten, CSRF-Werte, Formular-Zeitstempel "
          "und Rechenrätsel. Signiert, verschlüsselt aber nicht.",
          "SECRET_KEY from the environment: signs session data, CSRF values, form timestamps and "
          "proof-of-work challenges. Signs, does not encrypt."),
        setting="SECRET_KEY",
    ),
}

# --------------------------------------------------------------------------------------------
# Deletion rules (DIN 66398 "Löschregeln"): trigger, period, what deletes

SHRED_EVIDENCE = (
    "tests/counselling/test_retention.py::test_closed_case_is_shredded_when_the_period_ends",
    "tests/counselling/test_retention.py::test_rejected_case_is_shredded_after_thirty_days",
    "tests/counselling/test_retention.py::test_open_cases_are_never_shredded",
    "tests/reporting/test_keys.py::test_shredding_leaves_nothing_that_decrypts",
    "tests/reporting/test_followup.py::test_delete_needs_confirmation_then_shreds",
    "tests/counselling/test_case_page.py::test_delete_needs_confirmation_and_shreds",
    "tests/test_canary_journey.py::test_the_whole_journey_leaves_no_trace",
)

RETENTION: dict[str, Retention] = {
    "case": Retention(
        T("Fallinhalte: Crypto-Shredding", "case contents: crypto-shredding"),
        T("Abschluss des Falls (geschlossen, weitergeleitet, abgelehnt) oder die letzte Eingabe der "
          "meldenden Person danach, je nachdem, was später ist. Sofort: wenn die meldende Person "
          "ihre Meldung löscht oder die zuständige Organisation \u201ejetzt löschen\u201c wählt "
          "(Grund aus fester Liste).",
          "The case is closed (closed, referred, rejected), or the reporter's last input after "
          "that, whichever is later. At once: when the reporter deletes the report or the "
          "responsible organisation chooses \u201cdelete now\u201d (a reason from a fixed list)."),
        T(f"Einstellung der Organisation `retention_days` (voreingestellt {RETENTION_DAYS} Tage), "
          f"abgelehnte Fälle `rejected_retention_days` (voreingestellt {REJECTED_RETENTION_DAYS} "
          "Tage); der tägliche Lauf um 03:00 löscht beim ersten Lauf nach Fristende.",
          f"The organisation's setting `retention_days` (default {RETENTION_DAYS} days), rejected "
          f"cases `rejected_retention_days` (default {REJECTED_RETENTION_DAYS} days); the daily run "
          "at 03:00 deletes at its first run after the period ends."),
        mechanisms=(
            "counselling.tasks.purge_expired_task", "schedule:retention-purge",
            "manage.py purge_expired", "reporting.services.case_shred",
            "reporting.tasks.vacuum_tables", "counselling.tasks.org_key_rotation_due_task",
            "schedule:org-key-rotation",
        ),
        evidence=SHRED_EVIDENCE + (
            "tests/reporting/test_shred_vacuum.py::test_a_shred_queues_the_vacuum_of_the_tables_that_held_its_rows",
            "tests/reporting/test_key_epochs.py::test_shredded_grant_bytes_open_with_no_remaining_key_after_the_next_rotation",
        ),
        gap=T("Nach dem Löschen räumt ein VACUUM die Tabellendateien (SQLite: `secure_delete`, WAL "
              "geleert); im PostgreSQL-WAL und in Sicherungen bleiben Reste, solange sie aufbewahrt "
              "werden, lesbar nur mit dem Organisationsschlüssel ihrer Epoche und nur bis zur nächsten "
              "Rotation (Prüfbericht F-11, docs/deployment.md).",
              "After shredding a VACUUM clears the table files (SQLite: `secure_delete`, WAL "
              "truncated); the PostgreSQL WAL and backups hold remnants for as long as they are kept, "
              "readable only with the organisation key of their epoch and only until the next "
              "rotation (review F-11, docs/deployment.md)."),
        organisation_decides=T("Aufbewahrungsfrist für Fälle (`retention_days`) und für abgelehnte "
                               "Fälle festlegen und begründen",
                               "Set and justify the retention period for cases (`retention_days`) "
                               "and for rejected cases"),
    ),
    "transfer": Retention(
        T("Abgabe eines Falls", "transfer of a case"),
        T("Die zuständige Organisation gibt den Fall an eine andere ab.",
          "The responsible organisation transfers the case to another one."),
        T("Sofort: die verschlossenen Fallschlüssel der abgebenden Organisation werden gelöscht, "
          "außer sie behält ausdrücklich eine Kopie (dann mit dem Fall).",
          "At once: the sealed case keys of the transferring organisation are deleted, unless it "
          "explicitly keeps a copy (then with the case)."),
        mechanisms=("reporting.services.case_transfer",),
        evidence=("tests/test_canary_journey.py::test_the_whole_journey_leaves_no_trace",),
    ),
    "notify_on_close": Retention(
        T("Benachrichtigungsadresse", "notice address"),
        T("Der Fall wird geschlossen (geschlossen, weitergeleitet, abgelehnt), spätestens mit dem Fall.",
          "The case is closed (closed, referred, rejected), at the latest with the case."),
        T("Sofort beim Schließen des Falls (spätestens mit dem Fall).",
          "At once when the case is closed (at the latest with the case)."),
        mechanisms=("reporting.services.case_set_status", "reporting.services.case_shred"),
        evidence=("tests/privacy/test_retention_rules.py::test_closing_a_case_deletes_the_notice_address",),
    ),
    "session": Retention(
        T("Sitzungen der Mitarbeitenden", "staff sessions"),
        T("Abmelden, Schließen des Browsers (Cookies), Ablauf, Passwortänderung oder -zurücksetzung, "
          "Entzug der Mitgliedschaft.",
          "Logout, closing the browser (cookies), expiry, password change or reset, revoked "
          "membership."),
        T(f"Sofort beim Abmelden und bei Passwort- oder Mitgliedschaftsänderung; sonst Ablauf nach "
          f"`SESSION_COOKIE_AGE` ({SESSION_COOKIE_AGE // 3600} Stunden), abgelaufene Sitzungen "
          "löscht der tägliche Lauf um 03:30.",
          f"At once on logout and on a password or membership change; otherwise expiry after "
          f"`SESSION_COOKIE_AGE` ({SESSION_COOKIE_AGE // 3600} hours), expired sessions are removed "
          "by the daily run at 03:30."),
        mechanisms=(
            "counselling.auth.session_end", "counselling.sessions.member_sessions_end",
            "counselling.tasks.clear_expired_sessions", "schedule:sessions-clear",
        ),
        evidence=(
            "tests/counselling/test_sessions.py::test_the_task_purges_expired_sessions_and_keeps_live_ones",
            "tests/counselling/test_sessions.py::test_password_change_ends_the_members_other_sessions",
            "tests/counselling/test_sessions.py::test_revoking_a_member_ends_their_sessions",
            "tests/counselling/test_auth.py::test_unlock_cookie_is_a_browser_session_cookie",
        ),
    ),
    "cache_window": Retention(
        T("Zähler gegen Missbrauch", "abuse counters"),
        T("Das Zeitfenster des Zählers beginnt.", "The counter's time window starts."),
        T(f"Verfällt mit dem Fenster: 1 Minute (alle Meldungen), 1 Stunde (je Adress-Hash), "
          f"{FOLLOWUP_FAILURE_WINDOW_SECONDS // 60} Minuten (falsche Zugangscodes), "
          f"{CHALLENGE_MAX_AGE_SECONDS // 3600} Stunden (benutzte Rechenrätsel). Der Adress-Hash "
          "wechselt jede Stunde. Zählerzeilen in der Datenbank (ohne Redis) zählen nach dem Fenster "
          "nicht mehr und werden stündlich gelöscht.",
          f"Expires with its window: 1 minute (all reports), 1 hour (per address hash), "
          f"{FOLLOWUP_FAILURE_WINDOW_SECONDS // 60} minutes (wrong receipt codes), "
          f"{CHALLENGE_MAX_AGE_SECONDS // 3600} hours (used proof-of-work challenges). The address "
          "hash changes every hour. Counter rows in the database (without Redis) no longer count "
          "after their window and are deleted hourly."),
        mechanisms=("meldestelle.ratelimit.hit", "reporting.abuse.pow_consume",
                    "reporting.tasks.clear_expired_rate_counters", "schedule:rate-counters-clear"),
        evidence=("tests/reporting/test_abuse.py::test_per_address_limit_gives_429_and_stores_nothing",
                  "tests/test_ratelimit.py::test_the_hourly_task_removes_the_rows_of_ended_windows"),
    ),
    "login_throttle": Retention(
        T("Anmeldebremse", "login throttle"),
        T("Eine fehlgeschlagene Anmeldung (je Konto und Client).", "A failed login (per account and client)."),
        T(f"{LOGIN_THROTTLE_MEMORY_SECONDS // 3600} Stunden nach dem letzten Fehlversuch; sofort nach "
          "einer erfolgreichen Anmeldung.",
          f"{LOGIN_THROTTLE_MEMORY_SECONDS // 3600} hours after the last failure; at once after a "
          "successful login."),
        mechanisms=("counselling.auth.login_check",),
        evidence=("tests/counselling/test_auth.py::test_every_failed_login_does_the_same_work",),
    ),
    "member_keys": Retention(
        T("Schlüsselzugang eines Mitglieds", "a member's key access"),
        T("Entzug der Mitgliedschaft, Zurücksetzen des Passworts durch eine andere Person, "
          "Passwortänderung (neu verschlüsselt).",
          "Revoked membership, a password reset by someone else, a password change (re-wrapped)."),
        T("Sofort beim Entzug oder Zurücksetzen; bei einer Passwortänderung sofort ersetzt.",
          "At once on revocation or reset; replaced at once on a password change."),
        mechanisms=("counselling.services.member_revoke", "counselling.services.member_reset_password",
                    "counselling.services.member_change_password"),
        evidence=("tests/counselling/test_sessions.py::test_revoking_a_member_ends_their_sessions",),
    ),
    "staff_account": Retention(
        T("Konten der Mitarbeitenden", "staff accounts"),
        T("Ein Mitglied verlässt die Organisation.", "A member leaves the organisation."),
        T("Der Entzug der Mitgliedschaft sperrt das Konto sofort und löscht den Schlüsselzugang; das "
          "Konto selbst löscht der Betrieb im Admin-Bereich (keine automatische Frist).",
          "Revoking the membership deactivates the account at once and removes its key access; the "
          "account itself is deleted by the operator in the admin (no automatic period)."),
        mechanisms=("counselling.services.member_revoke",),
        evidence=("tests/counselling/test_sessions.py::test_revoking_a_member_ends_their_sessions",),
        gap=T("Gesperrte Konten werden nicht automatisch gelöscht; das Protokoll behält den "
              "Benutzernamen zu früheren Aktionen.",
              "Deactivated accounts are not deleted automatically; the audit log keeps the username "
              "with earlier actions."),
        organisation_decides=T("Frist für das Löschen gesperrter Konten festlegen",
                               "Set the period after which deactivated accounts are deleted"),
    ),
    "organisation": Retention(
        T("Partnerorganisationen und ihre Schlüssel", "partner organisations and their keys"),
        T("Ende der Partnerschaft.", "End of the partnership."),
        T("Solange die Organisation teilnimmt; gelöscht durch den Betrieb. Bei einer Rotation "
          "(voreingestellt alle 30 Tage, bei Entzug eines Mitglieds sofort oder beim nächsten "
          "Entsperren) werden die Verschlüsselungen des alten privaten Schlüssels vernichtet; der "
          "alte öffentliche Schlüssel bleibt inaktiv gespeichert.",
          "As long as the organisation takes part; deleted by the operator. At a rotation (every "
          "30 days by default, on a member's revocation at once or at the next unlock) the wraps "
          "of the old private key are destroyed; the old public key stays stored, inactive."),
        mechanisms=("counselling.keys.org_key_rotate", "counselling.tasks.org_key_rotation_due_task",
                    "schedule:org-key-rotation"),
        evidence=("tests/reporting/test_key_epochs.py::test_revoking_a_member_on_the_page_rotates_and_the_revoked_wrap_opens_nothing_new",
                  "tests/reporting/test_key_epochs.py::test_daily_schedule_marks_old_keys_due_mails_the_partner_admins_and_the_next_login_rotates"),
        gap=T("Kein Verfahren zum Ausscheiden einer Organisation.",
              "No procedure for an organisation leaving."),
    ),
    "statistics": Retention(
        T("Statistikdatensätze", "statistics records"),
        T("Klassifizierung eines Vorfalls.", "Classification of an incident."),
        T("Ohne Frist: ohne Inhalt und ohne Verweis auf Inhalte; bleiben, wenn die Fälle gelöscht "
          "werden, damit die Statistik nicht schrumpft.",
          "Without a time limit: no content and no link to content; they stay when the cases are "
          "deleted so that the statistics do not shrink."),
        evidence=("tests/stats/test_classification.py::test_record_survives_shredding_of_its_only_case",),
    ),
    "publication": Retention(
        T("Veröffentlichungen", "publications"),
        T("Veröffentlichung eines Jahres oder einer Korrektur.", "Publication of a year or a correction."),
        T("Dauerhaft (veröffentlichte, geschützte Zahlen).", "Permanent (published, protected figures)."),
    ),
    "audit": Retention(
        T("Protokoll (Audit-Log)", "audit log"),
        T("Jede protokollierte Aktion.", "Every logged action."),
        T("Ohne Frist: die Kette muss prüfbar bleiben.", "Without a time limit: the chain must stay verifiable."),
        mechanisms=("manage.py verify_audit_chain",),
        gap=T("Es gibt keine Löschung alter Protokolleinträge; sie halten Benutzernamen, Fall- und "
              "Mitglieds-IDs und die Aktenzeichen gelöschter Fälle.",
              "There is no deletion of old audit entries; they hold usernames, case and member ids "
              "and the references of deleted cases."),
        organisation_decides=T("Aufbewahrungsfrist für das Protokoll festlegen",
                               "Set the retention period of the audit log"),
    ),
    "task_results": Retention(
        T("Aufgabenwarteschlange", "task queue"),
        T("Eine Aufgabe wird eingereiht oder ausgeführt.", "A task is queued or run."),
        T(f"Warteschlangeneinträge: bis ein Worker sie bestätigt. Ergebnisse: die letzten "
          f"{TASK_SAVE_LIMIT} erfolgreichen bleiben, fehlgeschlagene bis zum Löschen im Admin-Bereich. "
          "Zustellmarken der Hinweise: ohne Frist.",
          f"Queue entries: until a worker acknowledges them. Results: the last {TASK_SAVE_LIMIT} "
          "successful ones stay, failed ones until deleted in the admin. Notice delivery markers: "
          "without a time limit."),
        gap=T("Zustellmarken (`NoticeSent`) und fehlgeschlagene Aufgaben werden nie automatisch "
              "gelöscht; eine Marke verrät, wann ein Hinweis an eine meldende Person ging.",
              "Delivery markers (`NoticeSent`) and failed tasks are never deleted automatically; a "
              "marker tells when a notice went to a reporter."),
    ),
    "admin_log": Retention(
        T("Admin-Protokoll des Betriebs", "operator's admin log"),
        T("Eine Änderung im Admin-Bereich.", "A change in the admin."),
        T("Ohne Frist.", "Without a time limit."),
        gap=T("Keine Löschung; hält Benutzernamen als Objektbezeichnung.",
              "No deletion; holds usernames as object labels."),
    ),
    "reference": Retention(
        T("Stamm- und Konfigurationsdaten", "reference and configuration data"),
        T("Installation und Migrationen.", "Installation and migrations."),
        T("Solange die Installation besteht; keine personenbezogenen Daten.",
          "As long as the installation exists; no personal data."),
    ),
    "browser": Retention(
        T("Cookies im Browser", "cookies in the browser"),
        T("Besuch einer Seite.", "Visiting a page."),
        T("Sitzungs-Cookies enden mit dem Browser; das CSRF-Cookie hält ein Jahr (Django-Vorgabe), "
          "bis es der Browser löscht.",
          "Session cookies end with the browser; the CSRF cookie lasts a year (Django's default) "
          "unless the browser deletes it."),
        gap=T("Das CSRF-Cookie bleibt ein Jahr auf dem Gerät der meldenden Person und verrät dort, "
              "dass die Seite besucht wurde.",
              "The CSRF cookie stays on the reporter's device for a year and tells anyone with the "
              "device that the site was visited."),
    ),
}

# --------------------------------------------------------------------------------------------
# Processing activities (Art. 30)

ORG_BASIS_DE = "⟦Rechtsgrundlage der eigenen Tätigkeit der Organisation prüfen und ergänzen⟧"
ORG_BASIS_EN = "⟦Check and complete the legal basis of the organisation's own work⟧"

ACTIVITIES: dict[str, Activity] = {
    "reports": Activity(
        T("Entgegennahme von Meldungen und anonyme Rückmeldung", "Receiving reports and anonymous follow-up"),
        T("Menschen melden rassistische, fremdenfeindliche und antisemitische Vorfälle ohne Konto und "
          "ohne Spuren; die Meldung geht an die zuständige Beratungsstelle; mit dem Zugangscode lesen "
          "und ergänzen sie ihre Meldung und löschen sie.",
          "People report racist, xenophobic and antisemitic incidents without an account and "
          "without traces; the report goes to the responsible counselling service; with the receipt "
          "code they read, add to and delete their report."),
        T("Einwilligung nach Art. 6 Abs. 1 lit. a und Art. 9 Abs. 2 lit. a DSGVO, im Formular "
          "ausdrücklich erteilt (Pflichtfeld); Widerruf durch Löschen der Meldung. " + ORG_BASIS_DE,
          "Consent under Art. 6(1)(a) and Art. 9(2)(a) GDPR, given explicitly in the form (a "
          "required box); withdrawn by deleting the report. " + ORG_BASIS_EN),
    ),
    "counselling": Activity(
        T("Beratung und Fallbearbeitung", "Counselling and case work"),
        T("Beratende lesen und bearbeiten die Fälle ihrer Organisation, antworten über das anonyme "
          "Postfach, schreiben interne Notizen, geben Fälle ab und klassifizieren Vorfälle.",
          "Counsellors read and work their organisation's cases, answer through the anonymous "
          "mailbox, write internal notes, transfer cases and classify incidents."),
        T("Einwilligung (wie oben) für die Inhalte der Meldung. " + ORG_BASIS_DE,
          "Consent (as above) for the report's contents. " + ORG_BASIS_EN),
    ),
    "statistics": Activity(
        T("Statistik und Veröffentlichung", "Statistics and publication"),
        T("Aus klassifizierten Vorfällen entstehen die öffentliche Jahresstatistik (mit "
          "Geheimhaltung kleiner Zellen) und die internen Auswertungen.",
          "Classified incidents become the public annual statistics (small cells suppressed) and "
          "the internal dashboards."),
        T("Klassifizierung auf Grundlage der Einwilligung; veröffentlicht werden nur anonyme, "
          "geschützte Zahlen. " + ORG_BASIS_DE,
          "Classification on the basis of the consent; only anonymous, protected figures are "
          "published. " + ORG_BASIS_EN),
    ),
    "staff": Activity(
        T("Konten, Anmeldung und Schlüsselzugang der Mitarbeitenden", "Staff accounts, login and key access"),
        T("Mitarbeitende melden sich mit Passwort und zweitem Faktor an und erhalten Zugang zum "
          "Schlüssel ihrer Organisation; Hinweise per E-Mail nach ihrer Wahl.",
          "Staff log in with a password and a second factor and get access to their "
          "organisation's key; e-mail notices as they choose."),
        T("⟦Beschäftigtendatenschutz bzw. Vertrag/Ehrenamt: Rechtsgrundlage ergänzen⟧",
          "⟦Employment or volunteer relationship: complete the legal basis⟧"),
    ),
    "security": Activity(
        T("Sicherheit, Missbrauchsschutz und Protokollierung", "Security, abuse protection and audit"),
        T("Ratenbegrenzung ohne Adressen, manipulationssicheres Protokoll der Aktionen der "
          "Mitarbeitenden, technische Warteschlange für Hinweise und Wartung.",
          "Rate limits without addresses, a tamper-evident log of staff actions, the technical "
          "queue for notices and maintenance."),
        T("Art. 32 DSGVO (Sicherheit der Verarbeitung). " + ORG_BASIS_DE,
          "Art. 32 GDPR (security of processing). " + ORG_BASIS_EN),
    ),
    "directory": Activity(
        T("Partnerverzeichnis und Zuständigkeit", "Partner directory and routing"),
        T("Die Partnerorganisationen, ihre Zuständigkeit (Kreise, Motive, Sprachen) und ihre "
          "öffentlichen Schlüssel; daraus wird die zuständige Stelle einer Meldung bestimmt.",
          "The partner organisations, their coverage (districts, motives, languages) and public "
          "keys; the responsible service of a report is decided from them."),
        T("⟦Vereinbarung der Partner (z. B. nach Art. 26 DSGVO) ergänzen⟧",
          "⟦Complete the partners' arrangement (e.g. under Art. 26 GDPR)⟧"),
    ),
}

# --------------------------------------------------------------------------------------------
# Categories

REPORTER_SUBJECT = frozenset({Subject.REPORTER})
STAFF_SUBJECT = frozenset({Subject.STAFF})
NOBODY = frozenset({Subject.NONE})
SERVER_ONLY = frozenset({R.SERVER})

CATEGORIES: dict[str, Category] = {
    # Reporters: every one of these is named in the privacy notice (templates/reporting/privacy.html).
    "report_text": Category(
        T("Beschreibung des Vorfalls", "description of the incident"),
        T("Was die meldende Person in eigenen Worten schreibt; kann Namen Dritter, Herkunft oder "
          "Religion enthalten.",
          "What the reporter writes in their own words; may contain names of others, origin or "
          "religion."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Beratung und Dokumentation des Vorfalls.", "Counselling and documenting the incident."),
        CASE_READERS, "case", special=True,
    ),
    "incident_details": Category(
        T("Angaben zum Vorfall", "details of the incident"),
        T("Datum oder Monat, Ortsangaben, Lebensbereich, Rolle (betroffen, Zeug*in, für andere), "
          "Zahl der Betroffenen, gewählte Organisation.",
          "Date or month, place details, area of life, role (affected, witness, on behalf), number "
          "of people affected, chosen organisation."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Beratung, Einordnung und Klassifizierung.", "Counselling, assessment and classification."),
        CASE_READERS, "case", special=True,
    ),
    "contact_details": Category(
        T("Kontaktdaten für die Beratung", "contact details for counselling"),
        T("Freiwillig: E-Mail-Adresse oder Telefonnummer, wenn die Person so beraten werden möchte "
          "(voreingestellt ist nur das anonyme Postfach).",
          "Optional: e-mail address or phone number if the person wants counselling that way "
          "(the default is the anonymous mailbox only)."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Kontaktaufnahme durch die Beratenden.", "Contact by the counsellors."),
        CASE_READERS, "case",
    ),
    "notify_address": Category(
        T("Benachrichtigungsadresse", "notice address"),
        T("Freiwillig: E-Mail-Adresse für einen inhaltsfreien Hinweis, dass eine Antwort da ist. "
          "Unter dem Server-Schlüssel verschlüsselt (nicht unter dem der Beratungsstelle), weil der "
          "Server den Hinweis sendet; der E-Mail-Dienst des Betriebs sieht die Adresse beim Senden.",
          "Optional: e-mail address for a content-free notice that a reply is waiting. Encrypted "
          "under the server's key (not the counselling service's), because the server sends the "
          "notice; the operator's mail service sees the address when sending."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Hinweis auf eine Antwort.", "A notice that there is a reply."),
        SERVER_ONLY, "notify_on_close",
    ),
    "files": Category(
        T("Dateien", "files"),
        T("Hochgeladene Bilder und PDFs mit Name, Typ und Größe; Metadaten (z. B. GPS) werden "
          "entfernt, außer die Person wählt \u201eOriginal behalten\u201c.",
          "Uploaded images and PDFs with name, type and size; metadata (e.g. GPS) is removed "
          "unless the person chooses \u201ckeep the original\u201d."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Belege für die Beratung.", "Evidence for counselling."),
        CASE_READERS, "case", special=True,
    ),
    "messages": Category(
        T("Nachrichten", "messages"),
        T("Nachrichten zwischen meldender Person und Beratenden im anonymen Postfach.",
          "Messages between the reporter and the counsellors in the anonymous mailbox."),
        "counselling", REPORTER_SUBJECT | STAFF_SUBJECT, Origin.REPORTER,
        T("Beratung ohne Kenntnis der Identität.", "Counselling without knowing who the person is."),
        CASE_READERS | {R.REPORTER}, "case", special=True,
    ),
    "internal_notes": Category(
        T("Interne Notizen", "internal notes"),
        T("Notizen der Beratenden zum Fall; die meldende Person kann sie nicht lesen.",
          "Counsellors' notes on the case; the reporter cannot read them."),
        "counselling", REPORTER_SUBJECT, Origin.STAFF,
        T("Dokumentation der Beratung.", "Documenting the counselling."),
        CASE_READERS, "case", special=True,
    ),
    "receipt": Category(
        T("Zugangscode (nur gehasht)", "receipt code (hashed only)"),
        T("Der Code selbst wird nie gespeichert: nur sein HMAC zum Finden des Falls und eine unter "
          "ihm verschlüsselte Kopie des Fallschlüssels.",
          "The code itself is never stored: only its HMAC to find the case and a copy of the case "
          "key wrapped under it."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Anonymer Zugang der meldenden Person zu ihrer Meldung.", "The reporter's anonymous access to their report."),
        SERVER_ONLY, "case",
    ),
    "case_keys": Category(
        T("Verschlossene Fallschlüssel", "sealed case keys"),
        T("Fallschlüssel und interner Schlüssel, an den öffentlichen Schlüssel jeder Organisation "
          "verschlossen, die den Fall hält.",
          "The case key and internal key, sealed to the public key of each organisation that holds "
          "the case."),
        "counselling", REPORTER_SUBJECT, Origin.SYSTEM,
        T("Nur die zuständige Stelle kann den Fall lesen.", "Only the responsible service can read the case."),
        CASE_READERS, "case",
    ),
    "report_codes": Category(
        T("Codes der Meldung (Klartext)", "report codes (plaintext)"),
        T("Kreis (oder online/unbekannt), Art des Vorfalls, Motive, Sprache, ob Beratung gewünscht "
          "ist, Eingangsweg. Codes aus festen Listen; Motive können auf Herkunft oder Religion "
          "schließen lassen.",
          "District (or online/unknown), incident type, motives, language, whether counselling is "
          "wanted, channel. Codes from fixed lists; motives may point to origin or religion."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Zuständigkeit (Routing), Posteingang, Fristen.", "Routing, inbox, deadlines."),
        CASE_READERS, "case", special=True,
    ),
    "case_status": Category(
        T("Bearbeitungsstand", "case handling"),
        T("Aktenzeichen, zuständige Organisation, Status, zuständige beratende Person, Markierungen "
          "für Neues, Doppelmeldung, Abschlusszeit.",
          "Reference, responsible organisation, status, assigned counsellor, unread markers, "
          "duplicate marker, closing time."),
        "counselling", REPORTER_SUBJECT, Origin.STAFF,
        T("Fallbearbeitung und Fristen.", "Case work and deadlines."),
        CASE_READERS | {R.REPORTER}, "case",
    ),
    "activity_times": Category(
        T("Zeitpunkte der Eingaben", "times of input"),
        T("Wann die Meldung, Nachrichten und Dateien eingingen und gelesen wurden, der Eingangstag.",
          "When the report, messages and files arrived and were read, the day received."),
        "reports", REPORTER_SUBJECT, Origin.REPORTER,
        T("Reihenfolge, Fristen, Markierung von Neuem, Beginn der Löschfrist.",
          "Order, deadlines, unread markers, the start of the retention period."),
        CASE_READERS | {R.REPORTER}, "case",
    ),
    "statistics": Category(
        T("Statistikdatensatz des Vorfalls", "statistics record of the incident"),
        T("Klassifizierung je Vorfall: Jahr und Monat, Kreis oder online/unbekannt, Art, Motive, "
          "Lebensbereich, Formen des Antisemitismus, Eingangsweg, Zahl der Betroffenen, "
          "Organisation. Ohne Inhalte; nach dem Löschen aller Fälle des Vorfalls nicht mehr mit "
          "einer Meldung verbunden.",
          "Classification per incident: year and month, district or online/unknown, type, motives, "
          "area of life, antisemitism forms, channel, number of people affected, organisation. No "
          "content; once every case of the incident is deleted, no longer tied to any report."),
        "statistics", REPORTER_SUBJECT, Origin.REPORTER,
        T("Jahresstatistik und interne Auswertung.", "Annual statistics and internal dashboards."),
        frozenset({R.COUNSELLOR, R.PARTNER_ADMIN, R.COORDINATOR}), "statistics", special=True,
    ),
    "abuse_protection": Category(
        T("Missbrauchsschutz", "abuse protection"),
        T("Zähler je stündlich wechselndem Hash der Client-Adresse (nie die Adresse), benutzte "
          "Rechenrätsel; im Cache (die Zähler ohne Redis in der Tabelle `reporting.RateCounter`).",
          "Counters per hourly changing hash of the client address (never the address), used "
          "proof-of-work challenges; in the cache (the counters without Redis in the table "
          "`reporting.RateCounter`)."),
        "security", REPORTER_SUBJECT, Origin.REPORTER,
        T("Schutz vor massenhaftem Missbrauch und Erraten von Codes.", "Protection against mass abuse and guessing codes."),
        SERVER_ONLY, "cache_window",
    ),
    "reporter_cookies": Category(
        T("Cookie der meldenden Person", "reporter's cookie"),
        T("Nur das CSRF-Cookie (ein Zufallswert zum Schutz der Formulare); keine Sitzung, kein "
          "Tracking.",
          "Only the CSRF cookie (a random value protecting the forms); no session, no tracking."),
        "security", REPORTER_SUBJECT, Origin.SYSTEM,
        T("Schutz der Formulare vor Fälschung.", "Protecting the forms against forgery."),
        SERVER_ONLY, "browser",
    ),
    "audit_log": Category(
        T("Protokoll (Audit-Log)", "audit log"),
        T("Wer (ID und Benutzername) wann was getan hat, mit Fall- und Organisations-ID, nie "
          "Inhalte; auch Eingang, Nachricht und Löschung einer Meldung (mit Aktenzeichen und "
          "Löschgrund-Code). HMAC-verkettet.",
          "Who (id and username) did what when, with case and organisation id, never content; also "
          "a report's arrival, messages and deletion (with its reference and the reason code). "
          "HMAC-chained."),
        "security", REPORTER_SUBJECT | STAFF_SUBJECT, Origin.SYSTEM,
        T("Nachvollziehbarkeit und Kontrolle der Zugriffe.", "Accountability and control of access."),
        frozenset({R.COUNSELLOR, R.PARTNER_ADMIN, R.COORDINATOR}), "audit",
    ),
    # Staff
    "staff_account": Category(
        T("Konto der Mitarbeitenden", "staff account"),
        T("Benutzername, Name, E-Mail, Passwort-Hash, Rolle, Organisation, Hinweis-Einstellung, "
          "letzte Anmeldung.",
          "Username, name, e-mail, password hash, role, organisation, notice setting, last login."),
        "staff", STAFF_SUBJECT, Origin.STAFF,
        T("Anmeldung, Rechte, Hinweise.", "Login, permissions, notices."),
        frozenset({R.COUNSELLOR, R.PARTNER_ADMIN, R.COORDINATOR}), "staff_account",
    ),
    "second_factor": Category(
        T("Zweiter Faktor (TOTP)", "second factor (TOTP)"),
        T("Das TOTP-Geheimnis der Authenticator-App und sein Zustand. Im Klartext in der Datenbank "
          "(Prüfbericht F-19).",
          "The authenticator app's TOTP secret and its state. In plaintext in the database "
          "(review F-19)."),
        "staff", STAFF_SUBJECT, Origin.SYSTEM,
        T("Zwei-Faktor-Anmeldung.", "Two-factor login."),
        SERVER_ONLY, "staff_account",
    ),
    "member_keys": Category(
        T("Schlüsselzugang der Mitglieder", "members' key access"),
        T("Salt, öffentlicher Schlüssel des Mitglieds, verschlüsselte private Schlüssel, "
          "Schlüsselversionen.",
          "Salt, the member's public key, encrypted private keys, key versions."),
        "staff", STAFF_SUBJECT, Origin.SYSTEM,
        T("Zugang zu den Fällen der Organisation.", "Access to the organisation's cases."),
        SERVER_ONLY, "member_keys",
    ),
    "staff_sessions": Category(
        T("Sitzungen der Mitarbeitenden", "staff sessions"),
        T("Serverseitige Sitzung (Konto, zweiter Faktor, die verschlüsselte Hälfte des "
          "Organisationsschlüssels) und die Cookies im Browser.",
          "Server-side session (account, second factor, the encrypted half of the organisation's "
          "key) and the cookies in the browser."),
        "staff", STAFF_SUBJECT, Origin.SYSTEM,
        T("Angemeldet bleiben, Schlüssel während der Sitzung.", "Staying logged in, the key during the session."),
        SERVER_ONLY, "session",
    ),
    "login_throttle": Category(
        T("Anmeldebremse", "login throttle"),
        T("Fehlversuche je HMAC des Benutzernamens und Client-Hash, nur im Cache.",
          "Failures per HMAC of the username and client hash, in the cache only."),
        "staff", STAFF_SUBJECT, Origin.SYSTEM,
        T("Schutz vor dem Erraten von Passwörtern.", "Protection against password guessing."),
        SERVER_ONLY, "login_throttle",
    ),
    "admin_log": Category(
        T("Admin-Protokoll des Betriebs", "operator's admin log"),
        T("Djangos Protokoll der Änderungen im Admin-Bereich (wer, wann, welches Objekt).",
          "Django's log of changes made in the admin (who, when, which object)."),
        "security", STAFF_SUBJECT, Origin.STAFF,
        T("Nachvollziehbarkeit des Betriebs.", "Accountability of the operator."),
        frozenset(), "admin_log",
    ),
    # Organisations and the system
    "directory": Category(
        T("Partnerverzeichnis", "partner directory"),
        T("Name, Kennung, Zuständigkeit (Kreise, Motive, Sprachen), öffentlicher Kontakt, aktiv "
          "oder pausiert, Demo-Markierung.",
          "Name, slug, coverage (districts, motives, languages), public contact, active or paused, "
          "demo flag."),
        "directory", frozenset({Subject.ORGANISATION}), Origin.STAFF,
        T("Zuständigkeit und öffentliches Verzeichnis.", "Routing and the public directory."),
        frozenset({R.PUBLIC, R.COUNSELLOR, R.PARTNER_ADMIN, R.COORDINATOR}), "organisation",
    ),
    "organisation_settings": Category(
        T("Einstellungen der Organisation", "organisation settings"),
        T("Löschfristen, Antwortfrist, Auffangstelle, Zeitpunkt des letzten Eingangs (für die "
          "Verteilung).",
          "Retention periods, reply deadline, fallback flag, time of the last case received (for "
          "routing ties)."),
        "directory", frozenset({Subject.ORGANISATION}), Origin.STAFF,
        T("Betrieb der Organisation.", "Running the organisation."),
        frozenset({R.PARTNER_ADMIN, R.COORDINATOR}), "organisation",
    ),
    "reply_templates": Category(
        T("Antwortvorlagen", "reply templates"),
        T("Textbausteine der Organisation für Antworten an meldende Personen (Erstantwort, "
          "Weiterverweisung, Abschluss), je Sprache; kein Fallinhalt.",
          "The organisation's text blocks for answering reporters (first answer, referral, "
          "closing), per language; no case content."),
        "directory", frozenset({Subject.ORGANISATION}), Origin.STAFF,
        T("Beratungsarbeit: schnell und einheitlich antworten.",
          "Counselling work: answering quickly and consistently."),
        frozenset({R.COUNSELLOR, R.PARTNER_ADMIN}), "organisation",
    ),
    "organisation_keys": Category(
        T("Schlüssel der Organisation", "organisation keys"),
        T("Öffentliche Schlüssel (je Epoche) mit ihren MACs, der öffentliche "
          "Wiederherstellungsschlüssel, der private Schlüssel verschlossen für den "
          "Wiederherstellungscode, Zeitpunkte von Rotation und Sperre.",
          "Public keys (per epoch) with their MACs, the recovery public key, the private key sealed "
          "for the recovery code, times of rotation and suspension."),
        "directory", frozenset({Subject.ORGANISATION}), Origin.SYSTEM,
        T("Verschlüsselung der Meldungen an die Organisation.", "Encrypting reports to the organisation."),
        SERVER_ONLY, "organisation",
    ),
    "publications": Category(
        T("Veröffentlichte Statistik", "published statistics"),
        T("Geschützte Tabellen je Jahr und Version, Methodik, Änderungsnotiz, Prüfergebnis der "
          "Geheimhaltung; intern die Prüfsummen der gezählten Vorfälle.",
          "Protected tables per year and version, methodology, change note, result of the "
          "disclosure audit; internally the digests of the counted incidents."),
        "statistics", NOBODY, Origin.SYSTEM,
        T("Öffentliche Berichterstattung.", "Public reporting."),
        frozenset({R.PUBLIC}), "publication",
    ),
    "reference_data": Category(
        T("Stamm- und Konfigurationsdaten", "reference and configuration data"),
        T("Kreise Niedersachsens, Rechte und Gruppen, Inhaltstypen, Aktenzeichen-Zähler, "
          "Zeitpläne der Aufgaben.",
          "Lower Saxony's districts, permissions and groups, content types, case number counters, "
          "task schedules."),
        "directory", NOBODY, Origin.SYSTEM,
        T("Betrieb der Anwendung.", "Running the application."),
        frozenset({R.PUBLIC}), "reference",
    ),
    "task_queue": Category(
        T("Aufgabenwarteschlange", "task queue"),
        T("Eingereihte und erledigte Aufgaben (Funktionsname und IDs, nie Inhalte), "
          "Zustellmarken der Hinweise, Zustand der Worker.",
          "Queued and finished tasks (function name and ids, never content), notice delivery "
          "markers, worker status."),
        "security", NOBODY, Origin.SYSTEM,
        T("Hinweise und Wartung im Hintergrund.", "Notices and maintenance in the background."),
        SERVER_ONLY, "task_results",
    ),
    "audit_integrity": Category(
        T("Prüfwerte des Protokolls", "audit integrity values"),
        T("Kopf der Protokollkette und die täglichen Anker (wie an die Koordination gemailt).",
          "Head of the audit chain and the daily anchors (as e-mailed to the coordinators)."),
        "security", NOBODY, Origin.SYSTEM,
        T("Manipulationen am Protokoll erkennen.", "Detecting tampering with the audit log."),
        frozenset({R.COORDINATOR}), "audit",
    ),
}
