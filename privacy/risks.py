"""The risks of the DPIA: what the outside reviews (December 2026) found and how each is met.

``status`` says where the code stands; ``evidence`` names the tests that show a measure works
(tests/privacy/test_documents.py checks that each one exists). When a fix lands, change its
status, name its tests and run ``make privacy-docs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from privacy.inventory import T, Text


class Status(Enum):
    MET = "met"
    PARTLY = "partly"
    OPEN = "open"
    ACCEPTED = "accepted"

    @property
    def label(self) -> Text:
        return {
            Status.MET: T("umgesetzt", "met"),
            Status.PARTLY: T("teilweise", "partly met"),
            Status.OPEN: T("offen", "open"),
            Status.ACCEPTED: T("bewusst hingenommen (Design)", "accepted (by design)"),
        }[self]


@dataclass(frozen=True)
class Risk:
    source: str
    severity: str
    title: Text
    risk: Text
    measure: Text
    status: Status
    evidence: tuple[str, ...] = ()


SECURITY = "reviews/security.md"
STATISTICS = "reviews/statistics.md"
UX = "reviews/ux.md"

RISKS: dict[str, Risk] = {
    "F-01": Risk(
        SECURITY, "high",
        T("Kopie-Inhaber handeln an fremden Fällen", "Copy holders act on cases of others"),
        T("Eine Organisation, die nach der Abgabe eine Kopie behält, konnte den Fall schließen, "
          "beantworten und vernichten.",
          "An organisation that kept a copy after a transfer could close, answer and shred the case."),
        T("Eine Zugriffsregel: lesen mit Berechtigung, handeln nur als zuständige Organisation; "
          "sonst 404.",
          "One access policy: read with a grant, act only as the responsible organisation; "
          "otherwise 404."),
        Status.MET,
        ("tests/counselling/test_copy_holder.py::test_copy_holder_gets_404_for_every_page_action_and_nothing_changes",
         "tests/counselling/test_copy_holder.py::test_copy_holder_gets_404_for_every_api_action_and_nothing_changes"),
    ),
    "F-09": Risk(
        SECURITY, "high",
        T("Rückrechnung aus mehreren Veröffentlichungen", "Differencing across releases"),
        T("Aus zwei Ständen der Statistik ließen sich geheime Zellen und das Profil eines einzelnen "
          "Vorfalls errechnen.",
          "Comparing two states of the statistics recovered hidden cells and the profile of a single "
          "incident."),
        T("Keine Live-Zahlen; jede Veröffentlichung eines Jahres wird vor dem Einfrieren gegen alle "
          "früheren mit einem Ganzzahl-Angriff (HiGHS) geprüft; feste Geografie je Jahr.",
          "No live figures; each release of a year is audited against all earlier ones with an "
          "integer-programming attack (HiGHS) before it is frozen; the geography of a year is fixed."),
        Status.MET,
        ("tests/stats/test_release_attack.py::test_no_combination_of_releases_pins_a_hidden_figure",
         "tests/stats/test_public_pages.py::test_no_live_figures_before_a_release",
         "tests/stats/test_disclosure.py::test_geography_stays_fixed_across_releases_even_when_rule_5_would_flip"),
    ),
    "F-14": Risk(
        SECURITY, "medium",
        T("Austausch öffentlicher Schlüssel in der Datenbank", "Public keys swapped in the database"),
        T("Wer die Datenbank schreiben kann, setzt einen eigenen öffentlichen Schlüssel ein und liest "
          "alle späteren Meldungen dieser Organisation.",
          "Someone who can write the database puts in a public key of their own and reads every "
          "later report to that organisation."),
        T("MAC über jeden öffentlichen Schlüssel (Organisation, Epoche, Wiederherstellung, Mitglied) "
          "mit `KEY_AUTH_KEY` aus der Umgebung; geprüft vor jedem Verschließen (sonst wird nichts "
          "gespeichert) und beim Entsperren (ein nicht passender Schlüssel wird gesperrt).",
          "A MAC over every public key (organisation, epoch, recovery, member) under `KEY_AUTH_KEY` "
          "from the environment; checked before every sealing (otherwise nothing is stored) and at "
          "unlock (a key that does not match is suspended)."),
        Status.MET,
        ("tests/reporting/test_key_authenticity.py::test_every_stored_public_key_carries_a_mac_under_the_environment_key",
         "tests/reporting/test_key_authenticity.py::test_swapped_org_key_refuses_the_form_calmly_and_stores_nothing",
         "tests/reporting/test_key_authenticity.py::test_swapped_member_key_refuses_the_grant",
         "tests/reporting/test_key_authenticity.py::test_swapped_recovery_key_refuses_the_rotation",
         "tests/reporting/test_key_authenticity.py::test_unlock_reports_a_stored_key_the_private_key_does_not_derive"),
    ),
    "F-11": Risk(
        SECURITY, "medium",
        T("Reste gelöschter Fälle in Dateien und Sicherungen", "Remnants of shredded cases in files and backups"),
        T("Nach dem Crypto-Shredding bleiben verschlossene Fallschlüssel und Chiffrate in "
          "Datenbankdateien, WAL und Sicherungen; mit einem Organisationsschlüssel sind sie lesbar.",
          "After crypto-shredding, sealed case keys and ciphertexts stay in database files, WAL and "
          "backups; with an organisation key they are readable."),
        T("VACUUM (voreingestellt FULL) der betroffenen Tabellen nach jedem Löschen und jeder "
          "Rotation, `secure_delete` für SQLite, Schlüsselepochen (voreingestellt alle 30 Tage): "
          "nach der nächsten Rotation öffnet kein Schlüssel mehr, was an eine alte Epoche "
          "verschlossen blieb. WAL und Sicherungen halten Reste, solange sie aufbewahrt werden "
          "(docs/deployment.md).",
          "VACUUM (FULL by default) of the affected tables after every shred and rotation, "
          "`secure_delete` for SQLite, key epochs (every 30 days by default): after the next "
          "rotation no key opens what stayed sealed to an old epoch. WAL and backups hold remnants "
          "for as long as they are kept (docs/deployment.md)."),
        Status.MET,
        ("tests/reporting/test_keys.py::test_shredding_leaves_nothing_that_decrypts",
         "tests/reporting/test_shred_vacuum.py::test_a_shred_queues_the_vacuum_of_the_tables_that_held_its_rows",
         "tests/reporting/test_shred_vacuum.py::test_sqlite_secure_delete_is_on_for_every_connection",
         "tests/reporting/test_shred_vacuum.py::test_postgresql_shredded_rows_leave_the_table_files_after_the_vacuum_task",
         "tests/reporting/test_key_epochs.py::test_shredded_grant_bytes_open_with_no_remaining_key_after_the_next_rotation"),
    ),
    "F-12": Risk(
        SECURITY, "medium",
        T("Freitext-Löschgrund im Protokoll", "Free-text deletion reason in the audit log"),
        T("Beratende schrieben Falldetails in den Löschgrund, der das Löschen überlebte.",
          "Counsellors wrote case details into the deletion reason, which outlived the deletion."),
        T("Löschgründe sind Codes aus einer festen Liste; Protokolldaten enthalten nur IDs und Codes.",
          "Deletion reasons are codes from a fixed list; audit data holds ids and codes only."),
        Status.MET,
        ("tests/counselling/test_delete_reason.py::test_free_text_deletion_reason_is_refused_and_nowhere_at_rest",
         "tests/reporting/test_audit.py::test_audit_data_never_holds_content"),
    ),
    "F-13": Risk(
        SECURITY, "medium",
        T("Umschreibbares Protokoll", "Audit log that can be rewritten"),
        T("Die Protokollkette war ein ungeschlüsselter Hash und ließ sich unbemerkt neu berechnen.",
          "The audit chain was an unkeyed hash and could be recomputed unnoticed."),
        T("HMAC-Kette mit Schlüssel aus der Umgebung, MAC über den Kopf, täglicher Anker per E-Mail "
          "an die Koordination, `verify_audit_chain`.",
          "HMAC chain under a key from the environment, a MAC over the head, a daily anchor e-mailed "
          "to the coordinators, `verify_audit_chain`."),
        Status.MET,
        ("tests/reporting/test_audit.py::test_edit_and_rechain_without_the_key_is_detected",
         "tests/reporting/test_audit.py::test_delete_and_rechain_without_the_key_is_detected",
         "tests/counselling/test_audit_anchor.py::test_the_mailed_anchor_detects_a_later_truncation"),
    ),
    "F-08": Risk(
        SECURITY, "medium",
        T("Tor-Nutzende teilen eine Identität für Ratenbegrenzung", "Tor users share one rate-limit identity"),
        T("Fünf falsche Codes einer Person sperren alle Tor-Nutzenden aus; ein gefälschter "
          "X-Forwarded-For umgeht die Grenzen.",
          "Five wrong codes from anyone lock every Tor user out; a forged X-Forwarded-For bypasses "
          "the limits."),
        T("Eigene Identität je Tor-Circuit (nur vom Onion-Proxy geglaubt, nur als stündlicher HMAC "
          "gespeichert); X-Forwarded-For des Clients wird nie gelesen.",
          "One identity per Tor circuit (believed only from the onion proxy, stored only as an "
          "hourly HMAC); a client's X-Forwarded-For is never read."),
        Status.MET,
        ("tests/test_onion_nginx.py::test_two_circuits_get_separate_submission_limits",
         "tests/test_onion_nginx.py::test_a_forged_x_forwarded_for_changes_nothing",
         "tests/test_onion_nginx.py::test_wrong_codes_from_one_circuit_do_not_throttle_another",
         "tests/test_onion_nginx.py::test_a_circuit_header_is_believed_only_from_the_onion_proxy"),
    ),
    "F-05": Risk(
        SECURITY, "medium",
        T("Rechenlast vor dem Rechenrätsel", "Server work before the proof of work"),
        T("Hochgeladene Bilder werden dekodiert, bevor Rätsel und Ratenbegrenzung geprüft sind "
          "(Verfügbarkeit).",
          "Uploaded images are decoded before the proof of work and rate limits are checked "
          "(availability)."),
        T("Günstige Prüfungen zuerst (SPEC §4.4): Honeypot, Formularalter, Rechenrätsel und "
          "Ratenbegrenzung vor jedem Dekodieren; Pixelgrenze.",
          "Cheap checks first (SPEC §4.4): honeypot, form age, proof of work and rate limits before "
          "any decoding; a pixel limit."),
        Status.MET,
        ("tests/reporting/test_files.py::test_decompression_bomb_is_refused_quickly",
         "tests/reporting/test_cheap_checks.py::test_api_bombs_without_proof_of_work_are_refused_before_any_decoder",
         "tests/reporting/test_cheap_checks.py::test_api_bombs_over_the_rate_limit_are_refused_before_any_decoder",
         "tests/reporting/test_cheap_checks.py::test_form_bombs_caught_by_the_honeypot_or_form_age_reach_no_decoder",
         "tests/reporting/test_cheap_checks.py::test_followup_files_with_a_wrong_code_reach_no_decoder"),
    ),
    "F-04": Risk(
        SECURITY, "medium",
        T("Aktive Inhalte und Autorennamen in PDFs", "Active content and author names in PDFs"),
        T("JavaScript, eingebettete Dateien und Kommentar-Autoren überleben die Bereinigung; das "
          "kann die meldende Person identifizieren und Beratende gefährden.",
          "JavaScript, embedded files and annotation authors survive the clean-up; this can "
          "identify the reporter and endanger counsellors."),
        T("PDFs werden aus einer Positivliste neu aufgebaut (SPEC §4.4): nichts Aktives, keine "
          "Metadaten; was sich nicht neu aufbauen lässt, wird abgelehnt und nicht gespeichert.",
          "PDFs are rebuilt from an allow-list (SPEC §4.4): nothing active, no metadata; what cannot "
          "be rebuilt is refused and not stored."),
        Status.MET,
        ("tests/reporting/test_files.py::test_pdf_loses_info_dictionary_and_xmp",
         "tests/reporting/test_files.py::test_pdf_loses_exif_of_embedded_jpeg_photos",
         "tests/reporting/test_pdf_rebuild.py::test_hostile_pdf_keeps_nothing_active_and_no_metadata",
         "tests/reporting/test_pdf_rebuild.py::test_a_pdf_that_cannot_be_rebuilt_is_refused_with_its_reason_and_nothing_stored"),
    ),
    "F-07": Risk(
        SECURITY, "low",
        T("Anmeldung verrät Konten und sperrt sie", "Login reveals and locks accounts"),
        T("Benutzernamen ließen sich erkennen, Konten durch Dritte sperren.",
          "Usernames could be found and accounts locked by others."),
        T("Eine Antwort und gleicher Aufwand für jeden Fehlschlag; Bremse je Konto und Client statt "
          "Sperre.",
          "One answer and the same work for every failure; throttling per account and client "
          "instead of a lock."),
        Status.MET,
        ("tests/counselling/test_auth.py::test_every_failed_page_login_gets_the_same_answer",
         "tests/counselling/test_auth.py::test_every_failed_login_does_the_same_work"),
    ),
    "F-15": Risk(
        SECURITY, "low",
        T("Schlüsselrotation unvollständig", "Key rotation incomplete"),
        T("Kein Befehl zur Rotation; alte Schlüsselversionen und ihre Verschlüsselungen bleiben; ein "
          "entzogenes Mitglied mit kopiertem Schlüssel bleibt lesefähig.",
          "No command to rotate; old key versions and their wraps stay; a revoked member who copied "
          "the key can still read."),
        T("Rotation per Befehl `rotate_org_key`, Admin-Seite und täglichem Zeitplan (fällig nach "
          "`ORG_KEY_ROTATION_DAYS`, beim nächsten Entsperren); Entzug rotiert; die Verschlüsselungen "
          "alter Epochen werden vernichtet.",
          "Rotation by the `rotate_org_key` command, the admin page and a daily schedule (due after "
          "`ORG_KEY_ROTATION_DAYS`, at the next unlock); revocation rotates; the wraps of old epochs "
          "are destroyed."),
        Status.MET,
        ("tests/reporting/test_key_epochs.py::test_rotate_org_key_command_with_a_members_password",
         "tests/reporting/test_key_epochs.py::test_rotation_on_the_partner_admin_page",
         "tests/reporting/test_key_epochs.py::test_revoking_a_member_on_the_page_rotates_and_the_revoked_wrap_opens_nothing_new",
         "tests/reporting/test_key_epochs.py::test_revoking_without_an_unlocked_key_rotates_at_the_next_unlock",
         "tests/reporting/test_key_epochs.py::test_daily_schedule_marks_old_keys_due_mails_the_partner_admins_and_the_next_login_rotates"),
    ),
    "F-06": Risk(
        SECURITY, "low",
        T("Login-CSRF an der API", "Login CSRF on the API"),
        T("Eine fremde Seite konnte einen Browser in ein fremdes Konto einloggen.",
          "A foreign site could log a browser into someone else's account."),
        T("Die API-Anmeldung nimmt nur JSON von dieser Seite an.", "The API login takes JSON from this site only."),
        Status.MET,
        ("tests/counselling/test_auth.py::test_cross_site_api_login_is_refused",
         "tests/counselling/test_auth.py::test_api_login_takes_json_only"),
    ),
    "F-10": Risk(
        SECURITY, "low",
        T("Schlüsselhälften überdauern die Sitzung", "Unlock halves outlive the session"),
        T("Das Entsperr-Cookie lag auf der Festplatte und alte Sitzungen wurden nie gelöscht.",
          "The unlock cookie was written to disk and old sessions were never purged."),
        T("Sitzungs-Cookie ohne Ablaufdatum; tägliches `clearsessions`; Passwortänderung und Entzug "
          "beenden alle Sitzungen.",
          "A browser-session cookie; daily `clearsessions`; a password change and a revocation end "
          "every session."),
        Status.MET,
        ("tests/counselling/test_auth.py::test_unlock_cookie_is_a_browser_session_cookie",
         "tests/counselling/test_sessions.py::test_the_task_purges_expired_sessions_and_keeps_live_ones"),
    ),
    "F-16": Risk(
        SECURITY, "info",
        T("Benachrichtigungsadressen mit Datenbank und Umgebung lesbar",
          "Notice addresses readable with database and environment"),
        T("Wer Datenbank und Server-Umgebung hat, liest die freiwilligen E-Mail-Adressen offener "
          "Fälle.",
          "Whoever holds the database and the server environment reads the optional e-mail "
          "addresses of open cases."),
        T("So entworfen (SPEC §3.8): freiwillig, nur für inhaltsfreie Hinweise, beim Schließen "
          "gelöscht; in der Datenschutzerklärung genannt.",
          "By design (SPEC §3.8): optional, only for content-free notices, deleted when the case "
          "closes; stated in the privacy notice."),
        Status.ACCEPTED,
        ("tests/privacy/test_retention_rules.py::test_closing_a_case_deletes_the_notice_address",),
    ),
    "F-17": Risk(
        SECURITY, "low",
        T("Serverfehler mit Eingabe im Log", "Server error with input in the log"),
        T("Eine fehlerhafte Datei-ID gab einen Serverfehler; die Eingabe stand im Log.",
          "A malformed file id gave a server error; the input reached the log."),
        T("UUID-Pfadkonverter; alle URL-Parameter werden mit feindlichen Werten getestet.",
          "A UUID path converter; every URL parameter is tested with hostile values."),
        Status.MET,
        ("tests/test_url_fuzz.py::test_the_attachment_id_of_the_review_is_a_404",),
    ),
    "F-18": Risk(
        SECURITY, "info",
        T("Client-Header im Log", "Client headers in the log"),
        T("Der CSRF-Logger schreibt Origin/Referer fremder Anfragen.",
          "The CSRF logger writes the Origin/Referer of foreign requests."),
        T("Ein Log-Filter (`meldestelle.logfilters`) schreibt die Zeilen aller Sicherheits-Logger "
          "ohne Client-Header.",
          "A log filter (`meldestelle.logfilters`) rewrites the lines of every security logger "
          "without client headers."),
        Status.MET,
        ("tests/test_log_headers.py::test_csrf_failure_by_origin_logs_no_header",
         "tests/test_log_headers.py::test_csrf_failure_by_referer_logs_no_header",
         "tests/test_log_headers.py::test_every_security_logger_is_rewritten"),
    ),
    "F-19": Risk(
        SECURITY, "info",
        T("Metadaten im Klartext", "Metadata in plaintext"),
        T("Zeitstempel auf die Mikrosekunde, Länge der Chiffrate, Sprache mit Kreis und Tag, "
          "TOTP-Geheimnisse im Klartext erlauben Zuordnungen.",
          "Timestamps to the microsecond, ciphertext lengths, language with district and day, "
          "plaintext TOTP secrets allow linking."),
        T("Teilweise: Zeitpunkte, die die meldende Person verursacht, werden auf die Stunde "
          "gespeichert (reporting.traces); Meldungen und Nachrichten werden vor dem Verschlüsseln auf "
          "Größenstufen aufgefüllt. Offen: Sprache mit Kreis und Eingangstag, TOTP-Geheimnisse im "
          "Klartext. Die Körnigkeit jedes Zeitstempels steht im Datenbestand.",
          "Partly: times the reporter causes are stored to the hour (reporting.traces); reports and "
          "messages are padded to size buckets before encryption. Open: language with district and "
          "day received, plaintext TOTP secrets. The granularity of every timestamp is listed in the "
          "data inventory."),
        Status.PARTLY,
        ("tests/reporting/test_traces.py::test_reporter_caused_times_carry_no_minutes_at_rest",
         "tests/reporting/test_traces.py::test_two_descriptions_of_different_length_in_one_bucket_give_equal_ciphertexts",
         "tests/reporting/test_traces.py::test_messages_of_different_length_in_one_bucket_give_equal_ciphertexts"),
    ),
    "S-F1": Risk(
        STATISTICS, "high",
        T("Doppelmeldungen doppelt gezählt", "Duplicate reports counted twice"),
        T("Nach dem Löschen eines Falls eines Duplikatpaars wurde der Vorfall doppelt gezählt.",
          "After one case of a duplicate pair was shredded the incident counted twice."),
        T("Der Vorfall ist eigener Datensatz; gezählt wird je Vorfall, geprüft gegen ein "
          "unabhängiges Orakel.",
          "The incident is a record of its own; counting is per incident, checked against an "
          "independent oracle."),
        Status.MET,
        ("tests/stats/test_counting_oracle.py::test_published_counts_equal_the_oracle_in_every_history",),
    ),
    "S-F2": Risk(
        STATISTICS, "medium",
        T("\u201eweniger als 3\u201c für Ergänzungszellen", "\u201cfewer than 3\u201d on complementary cells"),
        T("Ergänzend geheim gehaltene Zellen trugen eine falsche Beschriftung.",
          "Complementary suppressed cells carried a wrong label."),
        T("Eine neutrale Beschriftung für jede geheime Zelle.", "One neutral label for every suppressed cell."),
        Status.MET,
        ("tests/stats/test_public_pages.py::test_every_suppressed_cell_reads_the_same_neutral_label",),
    ),
    "S-F6": Risk(
        STATISTICS, "medium",
        T("Regeln verraten Intervalle", "Rules reveal intervals"),
        T("Weil die Ergänzungszelle die kleinste ist, ist jede geheime Zelle kleiner als die kleinste "
          "veröffentlichte.",
          "Because the complement is the smallest, every hidden cell is smaller than the smallest "
          "published one."),
        T("Die Prüfung geht von einem Angreifer aus, der die Regeln kennt; jede geheime Zelle behält "
          "ein Intervall von mindestens k.",
          "The audit assumes an attacker who knows the rules; every hidden cell keeps an interval "
          "at least k wide."),
        Status.MET,
        ("tests/stats/test_tables.py::test_rule_aware_attacker_cannot_pin_a_cell",),
    ),
    "UX-5": Risk(
        UX, "medium",
        T("Spuren auf dem Gerät der meldenden Person", "Traces on the reporter's device"),
        T("Browserverlauf und das CSRF-Cookie zeigen, dass die Seite besucht wurde; das kann "
          "Menschen in gewaltgeprägten Beziehungen gefährden.",
          "Browser history and the CSRF cookie show that the site was visited; this can endanger "
          "people in abusive relationships."),
        T("Teilweise: \u201eSchnell verlassen\u201c auf jeder Seite ersetzt den Verlaufseintrag; keine "
          "Sitzung für meldende Personen; Hinweise zur Gerätesicherheit fehlen noch.",
          "Partly: \u201cleave quickly\u201d on every page replaces the history entry; no session for "
          "reporters; device-safety advice is still missing."),
        Status.PARTLY,
        ("tests/test_security_headers.py::test_reporter_pages_set_no_session_cookie",),
    ),
    "D-1": Risk(
        "SPEC §3", "—",
        T("Vollständig übernommener laufender Server", "A fully compromised live server"),
        T("Wer den laufenden Server kontrolliert, sieht Klartext, während Menschen ihn benutzen.",
          "Whoever controls the live server sees plaintext while people use it."),
        T("Außerhalb des Bedrohungsmodells (wie bei jedem serverseitigen System); Verschlüsselung im "
          "Browser (SPEC §3.10) ist geplant; Härtung des Servers ist Sache des Betriebs.",
          "Outside the threat model (as for every server-side system); encryption in the browser "
          "(SPEC §3.10) is planned; hardening the server is the operator's task."),
        Status.ACCEPTED,
    ),
    "D-2": Risk(
        "SPEC §3", "—",
        T("Schwache Passwörter der Mitglieder", "Weak member passwords"),
        T("Der Organisationsschlüssel ist so stark wie das schwächste Passwort eines Mitglieds "
          "(Angriff offline auf eine Datenbankkopie).",
          "The organisation key is as strong as the weakest member password (offline attack on a "
          "database copy)."),
        T("Argon2id (t=3, m=64 MiB, p=4), Mindestlänge 10, Liste häufiger Passwörter; die "
          "Passwortregeln der Organisation ergänzen das.",
          "Argon2id (t=3, m=64 MiB, p=4), minimum length 10, a list of common passwords; the "
          "organisation's password rules add to it."),
        Status.PARTLY,
    ),
}
