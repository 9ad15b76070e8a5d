"""Every column of every model, declared once (issue 18).

One entry per model (``"app_label.ModelName"``), with its default category, and one line per
field: ``"name": Field(Kind..., ...)`` (see ``privacy.inventory`` for the kinds and shorthands,
``privacy.catalogue`` for categories, keys and deletion rules). A field a model gains without a
line here fails tests/privacy/test_inventory.py, which names the model, the field and this
file. Many-to-many fields are declared too; their rows are in the auto-created through models.
"""

from __future__ import annotations

from privacy.inventory import (
    CODE,
    COUNT,
    ID,
    MOMENT,
    Field,
    Granularity,
    Kind,
    Model,
    T,
    ciphertext,
)

CONFIG = Field(Kind.CONFIG)
PERSONAL = Field(Kind.PERSONAL)
PARAMETER = Field(Kind.CRYPTO_PARAMETER)

FIELDS: dict[str, Model] = {
    # ---------------------------------------------------------------------------- reporting
    "reporting.Case": Model("case_status", {
        "id": ID,
        "reference": Field(Kind.ID, note=T("NI-<Jahr>-<Nummer>", "NI-<year>-<number>")),
        "organisation": ID,
        "status": CODE,
        "assignee": ID,
        "channel": Field(Kind.CODE, category="report_codes"),
        "received_on": Field(Kind.TIMESTAMP, category="activity_times", granularity=Granularity.DAY),
        "district": Field(Kind.CODE, category="report_codes"),
        "incident_type": Field(Kind.CODE, category="report_codes"),
        "motives": Field(Kind.CODE, category="report_codes"),
        "language": Field(Kind.CODE, category="report_codes"),
        "wants_counselling": Field(Kind.CODE, category="report_codes"),
        "incident": ID,
        "duplicate_of": ID,
        "receipt_lookup": Field(Kind.KEYED_HASH, category="receipt", key="receipt_pepper"),
        "reporter_wrapped_key": ciphertext("receipt_code", category="receipt"),
        "report_ciphertext": ciphertext(
            "case_key", category="report_text",
            contains=("incident_details", "contact_details", "report_codes"),
        ),
        "notify_ciphertext": ciphertext("notification_key", category="notify_address"),
        "reporter_unread": CODE,
        "staff_unread": CODE,
        "first_reply_at": MOMENT,
        "last_reporter_activity_at": Field(Kind.TIMESTAMP, category="activity_times",
                                           granularity=Granularity.HOUR),
        "closed_at": MOMENT,
        "created_at": Field(Kind.TIMESTAMP, category="activity_times", granularity=Granularity.HOUR),
        "updated_at": Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND,
                            note=T("beim Eingang auf die Stunde (reporting.traces); Änderungen der "
                                   "Mitarbeitenden auf die Mikrosekunde",
                                   "to the hour when the report arrives (reporting.traces); staff "
                                   "changes to the microsecond")),
    }),
    "reporting.CaseGrant": Model("case_keys", {
        "id": ID,
        "case": ID,
        "organisation": ID,
        "key_version": PARAMETER,
        "sealed_case_key": ciphertext("organisation_key"),
        "sealed_internal_key": ciphertext("organisation_key"),
        "created_at": Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND,
                            note=T("beim Eingang einer Meldung auf die Stunde (reporting.traces); bei einer "
                                   "Abgabe auf die Mikrosekunde",
                                   "to the hour when a report arrives (reporting.traces); to the microsecond "
                                   "on a transfer")),
    }),
    "reporting.Attachment": Model("files", {
        "id": ID,
        "case": ID,
        "uuid": ID,
        "blob": ciphertext("case_key", note=T("Datei im Medienspeicher (Dateisystem oder S3), "
                                              "segmentweise AES-256-GCM",
                                              "file in media storage (filesystem or S3), AES-256-GCM "
                                              "in segments")),
        "meta_ciphertext": ciphertext("case_key", note=T("Name, Typ, Größe", "name, type, size")),
        "from_reporter": Field(Kind.CODE, category="case_status"),
        "created_at": Field(Kind.TIMESTAMP, category="activity_times", granularity=Granularity.MICROSECOND,
                            note=T("Dateien der meldenden Person auf die Stunde (reporting.traces), "
                                   "Dateien der Mitarbeitenden auf die Mikrosekunde",
                                   "the reporter's files to the hour (reporting.traces), the staff's "
                                   "files to the microsecond")),
    }),
    "reporting.Message": Model("messages", {
        "id": ID,
        "case": ID,
        "direction": Field(Kind.CODE, category="case_status"),
        "author": ID,
        "body_ciphertext": ciphertext("case_key"),
        "read_at": Field(Kind.TIMESTAMP, category="activity_times", granularity=Granularity.MICROSECOND,
                         note=T("von der meldenden Person gelesen: auf die Stunde (reporting.traces); "
                                "von Mitarbeitenden gelesen: auf die Mikrosekunde",
                                "read by the reporter: to the hour (reporting.traces); read by staff: "
                                "to the microsecond")),
        "created_at": Field(Kind.TIMESTAMP, category="activity_times", granularity=Granularity.MICROSECOND,
                            note=T("Nachrichten der meldenden Person auf die Stunde (reporting.traces), "
                                   "der Mitarbeitenden auf die Mikrosekunde",
                                   "the reporter's messages to the hour (reporting.traces), the staff's "
                                   "to the microsecond")),
    }),
    "reporting.Note": Model("internal_notes", {
        "id": ID,
        "case": ID,
        "author": ID,
        "body_ciphertext": ciphertext("internal_key"),
        "created_at": MOMENT,
    }),
    "reporting.Incident": Model("statistics", {
        "id": ID,
        "counts": CODE,
        "created_at": Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND,
                            note=T("Zeitpunkt der ersten Meldung, auf die Stunde (reporting.traces); auf die "
                                   "Mikrosekunde, wenn Mitarbeitende eine Doppelmeldung trennen oder "
                                   "Vorfälle importieren; bleibt nach dem Löschen der Fälle",
                                   "moment of the first report, to the hour (reporting.traces); to the "
                                   "microsecond when staff split a duplicate or import incidents; stays "
                                   "after the cases are deleted")),
    }),
    "reporting.Organisation": Model("directory", {
        "id": ID,
        "slug": CONFIG,
        "name": CONFIG,
        "is_demo": CODE,
        "is_fallback": Field(Kind.CODE, category="organisation_settings"),
        "active": CODE,
        "statewide": CODE,
        "districts": CONFIG,
        "all_motives": CODE,
        "motives": CONFIG,
        "languages": CONFIG,
        "public_contact": Field(Kind.CONFIG, note=T("kann Namen und Telefonnummern von Mitarbeitenden enthalten",
                                                    "may hold names and phone numbers of staff")),
        "retention_days": Field(Kind.CONFIG, category="organisation_settings"),
        "rejected_retention_days": Field(Kind.CONFIG, category="organisation_settings"),
        "reply_deadline_days": Field(Kind.CONFIG, category="organisation_settings"),
        "last_received_at": Field(Kind.TIMESTAMP, category="organisation_settings",
                                  granularity=Granularity.HOUR),
        "last_received_case_id": Field(Kind.ID, category="organisation_settings",
                                       note=T("ID des zuletzt erhaltenen Falls: Gleichstand bei der Verteilung "
                                              "innerhalb einer Stunde",
                                              "id of the case received last: the routing tie-break within "
                                              "one hour")),
        "recovery_public_key": Field(Kind.PUBLIC_KEY, category="organisation_keys",
                                     note=T("aus dem Wiederherstellungscode abgeleitet; jede Schlüsselepoche "
                                            "wird an ihn verschlossen",
                                            "derived from the recovery code; each key epoch is sealed to it")),
        "recovery_public_key_mac": Field(Kind.MAC, category="organisation_keys", key="key_auth_key"),
        "key_rotation_due_at": Field(Kind.TIMESTAMP, category="organisation_keys",
                                     granularity=Granularity.MICROSECOND,
                                     note=T("Schlüssel fällig zur Erneuerung (Alter oder Entzug eines Mitglieds)",
                                            "key due for renewal (age, or a revoked member)")),
        "created_at": MOMENT,
    }),
    "reporting.OrganisationKey": Model("organisation_keys", {
        "id": ID,
        "organisation": ID,
        "version": PARAMETER,
        "public_key": Field(Kind.PUBLIC_KEY),
        "public_key_mac": Field(Kind.MAC, key="key_auth_key",
                                note=T("über Art, Organisation, Version und Schlüssel",
                                       "over kind, organisation, version and key")),
        "sealed_for_recovery": ciphertext("recovery_code",
                                          note=T("HPKE an den öffentlichen Wiederherstellungsschlüssel; bei "
                                                 "einer Rotation für alte Epochen gelöscht",
                                                 "HPKE-sealed to the recovery public key; deleted for old "
                                                 "epochs at a rotation")),
        "wrapped_by_recovery": ciphertext("recovery_code",
                                          note=T("nur Schlüssel von vor den Schlüsselepochen, bis der Code "
                                                 "einmal eingegeben wird",
                                                 "only keys from before key epochs, until the code is "
                                                 "entered once")),
        "active": CODE,
        "created_at": MOMENT,
        "retired_at": Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND,
                            note=T("wann eine Rotation die Verschlüsselungen dieser Epoche vernichtete",
                                   "when a rotation destroyed this epoch's wraps")),
        "suspended_at": Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND,
                              note=T("gespeicherter Schlüssel passte nicht zum privaten: nichts wird "
                                     "mehr an ihn verschlossen",
                                     "stored key did not match the private key: nothing is sealed to "
                                     "it any more")),
    }),
    "reporting.CaseSequence": Model("reference_data", {
        "year": Field(Kind.TIMESTAMP, granularity=Granularity.YEAR),
        "last_number": Field(Kind.COUNT, note=T("Zahl der Fälle des Jahres", "number of cases of the year")),
    }),
    "reporting.AuditEntry": Model("audit_log", {
        "id": ID,
        "created_at": Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND,
                            note=T("Einträge ohne handelnde Mitarbeitende (meldende Person, System) auf die "
                                   "Stunde (reporting.traces); Aktionen der Mitarbeitenden und ältere Einträge "
                                   "auf die Mikrosekunde",
                                   "entries without a staff actor (the reporter, the system) to the hour "
                                   "(reporting.traces); staff actions and older entries to the microsecond")),
        "actor_id": ID,
        "actor_label": Field(Kind.PERSONAL, note=T("Benutzername oder \u201esystem\u201c", "username or \u201csystem\u201d")),
        "action": CODE,
        "organisation_id": ID,
        "case_id": ID,
        "data": Field(Kind.ID, note=T("JSON aus IDs und Codes (z. B. Aktenzeichen und Löschgrund eines "
                                      "gelöschten Falls), nie Inhalte",
                                      "JSON of ids and codes (e.g. the reference and reason code of a "
                                      "deleted case), never content")),
        "prev_hash": Field(Kind.MAC, key="audit_chain_key"),
        "entry_hash": Field(Kind.MAC, key="audit_chain_key"),
        "chain_version": CODE,
    }),
    "reporting.AuditHead": Model("audit_integrity", {
        "id": ID,
        "last_hash": Field(Kind.MAC, key="audit_chain_key"),
        "head_mac": Field(Kind.MAC, key="audit_chain_key"),
    }),
    "reporting.AuditAnchor": Model("audit_integrity", {
        "id": ID,
        "created_at": MOMENT,
        "last_entry_id": ID,
        "head_hash": Field(Kind.MAC, key="audit_chain_key"),
        "chain_intact": CODE,
        "broken_at_entry": ID,
    }),
    "reporting.NoticeSent": Model("task_queue", {
        "id": ID,
        "key": Field(Kind.ID, note=T("zufällige Hinweis-ID und Empfänger (\u201euser<ID>\u201c oder \u201ereporter\u201c)",
                                     "random notice id and recipient (\u201cuser<id>\u201d or \u201creporter\u201d)")),
        "sent_at": MOMENT,
    }),
    # ---------------------------------------------------------------------------- counselling
    "counselling.Membership": Model("staff_account", {
        "id": ID,
        "user": ID,
        "organisation": ID,
        "role": CODE,
        "notify": CODE,
        "last_digest_at": Field(Kind.TIMESTAMP, granularity=Granularity.HOUR),
        "kek_salt": Field(Kind.CRYPTO_PARAMETER, category="member_keys"),
        "member_public_key": Field(Kind.PUBLIC_KEY, category="member_keys"),
        "member_public_key_mac": Field(Kind.MAC, category="member_keys", key="key_auth_key",
                                       note=T("über Mitgliedschafts-ID und Schlüssel",
                                              "over the membership id and the key")),
        "wrapped_member_key": ciphertext("member_password_key", category="member_keys"),
        "wrapped_org_key": ciphertext("member_password_key", category="member_keys"),
        "org_key_version": Field(Kind.CRYPTO_PARAMETER, category="member_keys"),
        "pending_org_key": ciphertext("member_key", category="member_keys"),
        "pending_key_version": Field(Kind.CRYPTO_PARAMETER, category="member_keys"),
        "created_at": MOMENT,
    }),
    # ---------------------------------------------------------------------------- stats
    "stats.StatisticsRecord": Model("statistics", {
        "id": ID,
        "incident_key": Field(Kind.ID, note=T("zufällig, nie die Fall-ID", "random, never the case id")),
        "incident": ID,
        "organisation": ID,
        "year": Field(Kind.TIMESTAMP, granularity=Granularity.YEAR),
        "month": Field(Kind.TIMESTAMP, granularity=Granularity.MONTH),
        "district": CODE,
        "incident_type": CODE,
        "motives": CODE,
        "antisemitism_forms": CODE,
        "area_of_life": CODE,
        "channel": CODE,
        "people_affected": COUNT,
        "is_demo": CODE,
        "classified_at": MOMENT,
        "revision": COUNT,
        "updated_at": MOMENT,
    }),
    "stats.Publication": Model("publications", {
        "id": ID,
        "year": Field(Kind.TIMESTAMP, granularity=Granularity.YEAR),
        "version": COUNT,
        "created_at": MOMENT,
        "created_by_id": ID,
        "note": Field(Kind.PUBLISHED),
        "methodology": Field(Kind.PUBLISHED),
        "k": CONFIG,
        "tables": Field(Kind.PUBLISHED),
        "contains_demo_data": CODE,
        "provisional": CODE,
        "geography": CODE,
        "audit": Field(Kind.PUBLISHED),
        "change": Field(Kind.COUNT, note=T("Zahl der hinzugekommenen, entfernten und umklassifizierten Vorfälle",
                                           "numbers of incidents added, removed and reclassified")),
        "incident_digests": Field(Kind.HASH, note=T("intern: (Vorfall-ID, Prüfsumme der Klassifizierung), "
                                                    "nie angezeigt",
                                                    "internal: (incident id, digest of the classification), "
                                                    "never shown")),
    }),
    # ---------------------------------------------------------------------------- Django
    "auth.User": Model("staff_account", {
        "id": ID,
        "password": Field(Kind.HASH, note=T("Argon2id", "Argon2id")),
        "last_login": MOMENT,
        "is_superuser": CODE,
        "username": PERSONAL,
        "first_name": PERSONAL,
        "last_name": PERSONAL,
        "email": PERSONAL,
        "is_staff": CODE,
        "is_active": CODE,
        "date_joined": MOMENT,
        "groups": ID,
        "user_permissions": ID,
    }),
    "auth.User_groups": Model("staff_account", {"id": ID, "user": ID, "group": ID}),
    "auth.User_user_permissions": Model("staff_account", {"id": ID, "user": ID, "permission": ID}),
    "auth.Group": Model("reference_data", {"id": ID, "name": CONFIG, "permissions": ID}),
    "auth.Group_permissions": Model("reference_data", {"id": ID, "group": ID, "permission": ID}),
    "auth.Permission": Model("reference_data", {
        "id": ID, "name": CONFIG, "content_type": ID, "codename": CONFIG,
    }),
    "contenttypes.ContentType": Model("reference_data", {"id": ID, "app_label": CONFIG, "model": CONFIG}),
    "admin.LogEntry": Model("admin_log", {
        "id": ID,
        "action_time": MOMENT,
        "user": ID,
        "content_type": ID,
        "object_id": ID,
        "object_repr": Field(Kind.PERSONAL, note=T("Bezeichnung des Objekts, z. B. ein Benutzername",
                                                   "the object's label, e.g. a username")),
        "action_flag": CODE,
        "change_message": Field(Kind.CODE, note=T("Namen der geänderten Felder", "names of the changed fields")),
    }),
    "sessions.Session": Model("staff_sessions", {
        "session_key": Field(Kind.SECRET, note=T("Sitzungs-ID (wie im Cookie)", "session id (as in the cookie)")),
        "session_data": Field(Kind.CONTAINER, note=T("signiert, nicht verschlüsselt; Einträge unter "
                                                     "\u201eSitzung\u201c deklariert",
                                                     "signed, not encrypted; entries declared under "
                                                     "\u201csession\u201d")),
        "expire_date": MOMENT,
    }),
    "otp_totp.TOTPDevice": Model("second_factor", {
        "id": ID,
        "user": ID,
        "name": CONFIG,
        "confirmed": CODE,
        "throttling_failure_timestamp": MOMENT,
        "throttling_failure_count": COUNT,
        "created_at": MOMENT,
        "last_used_at": MOMENT,
        "key": Field(Kind.SECRET, note=T("TOTP-Geheimnis im Klartext", "TOTP secret in plaintext")),
        "step": CONFIG,
        "t0": CONFIG,
        "digits": CONFIG,
        "tolerance": CONFIG,
        "drift": COUNT,
        "last_t": COUNT,
    }),
    # ---------------------------------------------------------------------------- django-q2
    "django_q.Task": Model("task_queue", {
        "id": ID,
        "name": ID,
        "func": CODE,
        "hook": CODE,
        "args": Field(Kind.CONTAINER, note=T("gepickelt; nur IDs (siehe \u201eWarteschlange\u201c)",
                                             "pickled; ids only (see \u201cqueue\u201d)")),
        "kwargs": Field(Kind.CONTAINER, note=T("gepickelt; nur IDs", "pickled; ids only")),
        "result": Field(Kind.DIAGNOSTIC, note=T("Rückgabewert (eine Zahl) oder die Fehlermeldung",
                                                "return value (a count) or the error text")),
        "group": CODE,
        "cluster": ID,
        "started": MOMENT,
        "stopped": MOMENT,
        "success": CODE,
        "attempt_count": COUNT,
    }),
    "django_q.Schedule": Model("reference_data", {
        "id": ID,
        "name": CONFIG,
        "func": CONFIG,
        "hook": CONFIG,
        "args": CONFIG,
        "kwargs": CONFIG,
        "schedule_type": CONFIG,
        "minutes": CONFIG,
        "repeats": COUNT,
        "next_run": MOMENT,
        "cron": CONFIG,
        "task": ID,
        "cluster": CONFIG,
        "intended_date_kwarg": CONFIG,
    }),
    "django_q.OrmQ": Model("task_queue", {
        "id": ID,
        "key": CONFIG,
        "payload": Field(Kind.CONTAINER, note=T("signierte Aufgabe: Funktionsname und IDs",
                                                "signed task: function name and ids")),
        "lock": MOMENT,
    }),
}
