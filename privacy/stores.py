"""What the project writes outside its model columns: session entries, cache keys, queue
payloads and cookies, declared like columns (``privacy.fields``).

Each entry names what writes it (a dotted path, checked to exist). tests/privacy/
test_inventory_journey.py runs the full canary journey and fails for any session entry, cache
key, queued task or cookie it meets that is not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from privacy.inventory import Field, Kind, T, Text


@dataclass(frozen=True)
class Stored:
    field: Field
    # The dotted path of the function (or module) that writes it.
    written_by: str
    # How long it lives where it is kept (cache entries, cookies).
    lifetime: Text | None = None
    # Queue payloads: the names of the task's parameters (its values are ids and flags only).
    params: tuple[str, ...] = ()


HEX32 = "[0-9a-f]{32}"
CLIENT = f"(?:{HEX32}|-)"

# Keys of the session dictionary (sessions.Session.session_data).
SESSION: dict[str, Stored] = {
    "_auth_user_id": Stored(Field(Kind.ID, category="staff_sessions"), "django.contrib.auth.login"),
    "_auth_user_backend": Stored(Field(Kind.CODE, category="staff_sessions"), "django.contrib.auth.login"),
    "_auth_user_hash": Stored(
        Field(Kind.KEYED_HASH, category="staff_sessions", key="django_secret_key",
              note=T("HMAC des Passwort-Hashes: eine Passwortänderung beendet die Sitzung",
                     "HMAC of the password hash: a password change ends the session")),
        "django.contrib.auth.login",
    ),
    "otp_device_id": Stored(Field(Kind.ID, category="second_factor"), "django_otp.login"),
    "org_unlock": Stored(
        Field(Kind.CIPHERTEXT, category="member_keys", key="session_unlock_key",
              note=T("privater Organisationsschlüssel; die andere Hälfte ist das Cookie `ms_unlock`",
                     "the organisation's private key; the other half is the `ms_unlock` cookie")),
        "counselling.access.unlock_store",
    ),
    "_messages": Stored(
        Field(Kind.CODE, category="staff_sessions",
              note=T("kurze Bestätigungen (können ein Aktenzeichen oder einen Benutzernamen nennen), "
                     "nur wenn das Cookie dafür zu klein ist; gelöscht, sobald angezeigt",
                     "short confirmations (may name a case reference or a username), only when the "
                     "cookie is too small for them; deleted once shown")),
        "django.contrib.messages.storage.fallback.FallbackStorage",
    ),
}

# Cache keys (regular expressions over the key as the code writes it, without Django's prefix).
CACHE: dict[str, Stored] = {
    r"rl:report-global:all:\d+": Stored(
        Field(Kind.COUNT, category="abuse_protection", note=T("alle Meldungen je Minute", "all reports per minute")),
        "meldestelle.ratelimit.hit", T("1 Minute", "1 minute"),
    ),
    rf"rl:(?:report|report-nopow):{CLIENT}:\d+": Stored(
        Field(Kind.KEYED_HASH, category="abuse_protection", key="address_hash_key",
              note=T("Schlüssel: stündlicher HMAC der Client-Adresse (über Tor: des Circuits); Wert: eine Zahl",
                     "key: hourly HMAC of the client address (over Tor: of the circuit); value: a count")),
        "meldestelle.ratelimit.hit", T("1 Stunde", "1 hour"),
    ),
    rf"rl:followup-fail:{CLIENT}:\d+": Stored(
        Field(Kind.KEYED_HASH, category="abuse_protection", key="address_hash_key",
              note=T("falsche Zugangscodes je Client-Hash; bestimmen, wie viel Rechenrätsel der nächste "
                     "Versuch kostet; gelöscht, sobald ein Code passt",
                     "wrong receipt codes per client hash; set how much proof of work the next try costs; "
                     "deleted once a code opens a report")),
        "reporting.abuse.followup_failed", T("10 Minuten", "10 minutes"),
    ),
    r"followup-resume:[0-9a-f]{32}": Stored(
        Field(Kind.CIPHERTEXT, category="receipt", key="resume_key",
              note=T("Zugangscode zwischen dem Senden einer Nachricht und der Seite danach "
                     "(Post/Redirect/Get); beim ersten Aufruf gelöscht",
                     "receipt code between sending a message and the page after it "
                     "(post/redirect/get); deleted when first used")),
        "reporting.views.followup_resume_store", T("2 Minuten", "2 minutes"),
    ),
    r"seal-binding-used:[0-9a-f]{64}": Stored(
        Field(Kind.HASH, category="abuse_protection",
              note=T("SHA-256 einer zufälligen Fallbindung (im Browser verschlüsselte Meldung): nur einmal verwendbar",
                     "SHA-256 of a random case binding (report encrypted in the browser): usable once")),
        "reporting.services.sealed.sealed_report_submit", T("15 Minuten", "15 minutes"),
    ),
    r"pow-used:[0-9a-f]{64}": Stored(
        Field(Kind.HASH, category="abuse_protection",
              note=T("SHA-256 eines vom Server signierten Rätsels", "SHA-256 of a server-signed challenge")),
        "reporting.abuse.pow_consume", T("6 Stunden", "6 hours"),
    ),
    rf"login-throttle:{HEX32}:{CLIENT}": Stored(
        Field(Kind.KEYED_HASH, category="login_throttle", key="address_hash_key",
              note=T("Schlüssel: HMAC des Benutzernamens und Client-Hash; Wert: Fehlversuche und Wartezeit",
                     "key: HMAC of the username and client hash; value: failures and wait")),
        "counselling.auth._throttle_failure", T("24 Stunden", "24 hours"),
    ),
    r"reporting:vacuum-pending:[0-9a-f]{64}": Stored(
        Field(Kind.HASH, category="task_queue",
              note=T("SHA-256 der Tabellennamen einer wartenden Bereinigung (VACUUM); Wert: 1",
                     "SHA-256 of the table names of a waiting vacuum; value: 1")),
        "reporting.vacuum.vacuum_after_commit", T("bis die Aufgabe beginnt, höchstens 1 Stunde",
                                                  "until the task starts, at most 1 hour"),
    ),
    r"django_q:[^:]+:cluster(?::.*)?": Stored(
        Field(Kind.DIAGNOSTIC, category="task_queue",
              note=T("Zustand der Worker (nur mit laufendem Cluster)", "worker status (only with a running cluster)")),
        "django_q.brokers.Broker.set_stat", T("wenige Sekunden", "a few seconds"),
    ),
}

# Tasks put on the queue (django_q Task/OrmQ rows, or the Redis broker): function and parameters.
QUEUE: dict[str, Stored] = {
    "counselling.tasks.send_new_case_notice": Stored(
        Field(Kind.ID, category="task_queue"), "counselling.notifications.queue_new_case_notice",
        params=("case_id", "transferred", "notice_id"),
    ),
    "counselling.tasks.send_new_message_notice": Stored(
        Field(Kind.ID, category="task_queue"), "counselling.notifications.queue_new_message_notice",
        params=("case_id", "notice_id"),
    ),
    "reporting.tasks.send_reporter_reply_notice": Stored(
        Field(Kind.ID, category="task_queue"), "reporting.notifications.queue_reporter_reply_notice",
        params=("case_id", "notice_id"),
    ),
    "counselling.tasks.send_audit_anchor": Stored(
        Field(Kind.ID, category="task_queue"), "counselling.audit_anchor.audit_anchor_daily",
        params=("anchor_id", "notice_id"),
    ),
    # Daily schedules (created by migrations): no parameters.
    "counselling.tasks.purge_expired_task": Stored(Field(Kind.ID, category="task_queue"), "meldestelle.schedules"),
    "counselling.tasks.send_daily_digests": Stored(Field(Kind.ID, category="task_queue"), "meldestelle.schedules"),
    "counselling.tasks.clear_expired_sessions": Stored(Field(Kind.ID, category="task_queue"), "meldestelle.schedules"),
    "counselling.tasks.audit_anchor_task": Stored(Field(Kind.ID, category="task_queue"), "meldestelle.schedules"),
    "stats.tasks.take_provisional_release": Stored(Field(Kind.ID, category="task_queue"), "meldestelle.schedules"),
    "counselling.tasks.send_deadline_reminders": Stored(Field(Kind.ID, category="task_queue"),
                                                        "meldestelle.schedules"),
    "counselling.tasks.org_key_rotation_due_task": Stored(Field(Kind.ID, category="task_queue"),
                                                          "meldestelle.schedules"),
    # Hourly schedule (created by a migration): no parameters.
    "reporting.tasks.clear_expired_rate_counters": Stored(Field(Kind.ID, category="task_queue"),
                                                          "meldestelle.schedules"),
    # Queued by the daily key schedule for each organisation whose key it marked due.
    "counselling.tasks.send_key_rotation_due": Stored(
        Field(Kind.ID, category="task_queue"), "counselling.keys.org_keys_due_daily",
        params=("organisation_id", "notice_id"),
    ),
    # The submissions' writer (reporting.writer): poked on commit of a submission, queued by a
    # chain writer that left entries waiting, and run every minute by its schedule.
    "reporting.tasks.submissions_writer": Stored(
        Field(Kind.ID, category="task_queue", note=T("keine Parameter", "no parameters")),
        "reporting.writer.queue",
    ),
    # Queued after a shred or a key rotation commits: the names of the tables to vacuum.
    "reporting.tasks.vacuum_tables": Stored(
        Field(Kind.CODE, category="task_queue",
              note=T("Tabellennamen des Projekts, keine IDs", "table names of the project, no ids")),
        "reporting.vacuum.vacuum_after_commit", params=("tables",),
    ),
}

# Cookies the site sets in browsers.
COOKIES: dict[str, Stored] = {
    "csrftoken": Stored(
        Field(Kind.SECRET, category="reporter_cookies",
              note=T("Zufallswert gegen Formularfälschung; auch bei Mitarbeitenden",
                     "random value against forged forms; staff get it too")),
        "django.middleware.csrf.CsrfViewMiddleware", T("1 Jahr", "1 year"),
    ),
    "sessionid": Stored(
        Field(Kind.SECRET, category="staff_sessions", note=T("nur Mitarbeitende", "staff only")),
        "django.contrib.sessions.middleware.SessionMiddleware",
        T("bis der Browser schließt", "until the browser closes"),
    ),
    "ms_unlock": Stored(
        Field(Kind.SECRET, category="member_keys",
              note=T("der Sitzungsschlüssel: die Schlüsselhälfte zur Sitzung; nur Mitarbeitende", "the session unlock key: the key half of the session; staff only")),
        "counselling.access.unlock_store", T("bis der Browser schließt", "until the browser closes"),
    ),
    "messages": Stored(
        Field(Kind.CODE, category="staff_sessions",
              note=T("kurze, signierte Bestätigungen; nur Mitarbeitende", "short signed confirmations; staff only")),
        "django.contrib.messages.storage.cookie.CookieStorage", T("bis angezeigt", "until shown"),
    ),
}

# The sections of the inventory outside the models, in the order the documents list them.
SECTIONS: dict[str, tuple[Text, dict[str, Stored]]] = {
    "session": (T("Sitzung (Einträge in sessions.Session.session_data)",
                  "Session (entries of sessions.Session.session_data)"), SESSION),
    "cache": (T("Cache (Schlüssel als reguläre Ausdrücke)", "Cache (keys as regular expressions)"), CACHE),
    "queue": (T("Warteschlange (Aufgaben und ihre Parameter)", "Queue (tasks and their parameters)"), QUEUE),
    "cookies": (T("Cookies im Browser", "Cookies in the browser"), COOKIES),
}
