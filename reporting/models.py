"""The case core: organisations and their keys, cases, grants, content, audit (districts:
reporting.places, from reporting/data/districts.csv).

Plaintext columns are only those SPEC §3 allows (ids, reference, organisation, status,
assignee, day received, district, motive and type codes, language, flags, timestamps).
Every `*_ciphertext` / `sealed_*` / `wrapped_*` column says who can decrypt it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting.taxonomy import OPEN_STATUSES, CaseStatus, Channel


class UpdatedAtField(models.DateTimeField):
    """`auto_now`, except that a row created with a time of its own keeps it: a new case is
    inserted already stamped to the hour (reporting.traces), in one statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["auto_now"] = True
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        given = getattr(model_instance, self.attname)
        if add and given is not None:
            return given
        return super().pre_save(model_instance, add)


class Organisation(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    is_demo = models.BooleanField(default=False)
    is_fallback = models.BooleanField(default=False)
    active = models.BooleanField(default=True, help_text=_("Paused organisations receive no new cases."))
    # Coverage (SPEC §4.5): an empty list with the flag set means "all".
    statewide = models.BooleanField(default=False)
    districts = models.JSONField(default=list, blank=True)
    all_motives = models.BooleanField(default=True)
    motives = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    public_contact = models.CharField(max_length=300, blank=True)
    retention_days = models.PositiveIntegerField(default=365)
    rejected_retention_days = models.PositiveIntegerField(default=30)
    reply_deadline_days = models.PositiveIntegerField(default=3)
    # When the organisation last received a case (to the hour: reporting.traces) and its routing
    # mark (one above every organisation's mark when the turn was claimed, so marks order the
    # turns): routing's "least recently received" compares the hour, then the mark. Claimed by
    # a conditional UPDATE before the submission's transaction (reporting.services.submission).
    last_received_at = models.DateTimeField(null=True, blank=True)
    last_received_serial = models.BigIntegerField(null=True, blank=True)
    # Public half of the keypair derived from the recovery code (crypto.recovery_keypair); each
    # key epoch is sealed to it. Empty for organisations created before key epochs, until the
    # recovery code is entered once (rotate_org_key with the code, or the admin page).
    recovery_public_key = models.BinaryField(null=True, blank=True)
    # MAC under KEY_AUTH_KEY (crypto.public_key_mac): nothing is sealed to a key without it.
    recovery_public_key_mac = models.CharField(max_length=64, blank=True, default="")
    # Set by the daily schedule when the current key is older than ORG_KEY_ROTATION_DAYS, or
    # when a member was revoked without an unlocked session; the key rotates at the next unlock.
    key_rotation_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def current_key(self) -> OrganisationKey:
        return self.keys.filter(active=True).order_by("-version").first()  # type: ignore[return-value]


class OrganisationKey(models.Model):
    """One epoch (version) of an organisation's HPKE keypair (SPEC §3.9).

    Only the newest epoch is active and holds wraps of its private key; a rotation re-seals
    every grant to the new epoch and destroys the old epoch's wraps (`retired_at`), so what
    remains sealed to an old epoch (a shredded case's remnants) opens for nobody.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="keys")
    version = models.PositiveIntegerField()
    public_key = models.BinaryField()
    # MAC under KEY_AUTH_KEY over kind, organisation, version and key (crypto.public_key_mac).
    public_key_mac = models.CharField(max_length=64, blank=True, default="")
    # The private key HPKE-sealed to the organisation's recovery public key. Who can decrypt:
    # whoever holds the recovery code.
    sealed_for_recovery = models.BinaryField(null=True, blank=True)
    # Before key epochs: the private key under HKDF(recovery code). Who can decrypt: whoever
    # holds the recovery code. Replaced by `sealed_for_recovery` once the code is entered.
    wrapped_by_recovery = models.BinaryField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a rotation destroyed this epoch's wraps.
    retired_at = models.DateTimeField(null=True, blank=True)
    # A member's unlock found a private key that does not derive this public key: nothing is
    # sealed to it any more until a rotation replaces it (SPEC §3.9).
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "version"], name="uniq_org_key_version")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} v{self.version}"


class CaseSequence(models.Model):
    """Per-year counter for case references, advanced under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Incident(models.Model):
    """One real-world incident (SPEC §6): every case belongs to exactly one, and duplicate
    reports of the same incident share it.  The statistics record hangs off the incident, so
    deleting, shredding or purging a case never loses or doubles a classified incident.

    ``counts``: whether the incident counts in the statistics.  True while any of its cases is
    not rejected; when its last case is gone it keeps its last value.  Written only by the
    case services (``reporting.services.cases``), in the transaction of the change.
    No content and no link to content: once its cases are gone, nothing leads back.
    """

    counts = models.BooleanField(default=True)
    # Consent by purpose (SPEC §5.1), kept by the case services like ``counts``: true while
    # every one of its cases consents; with no case left it keeps its last value. Statistics
    # releases count only incidents with ``consent_statistics``; network exports carry only
    # incidents with ``consent_network``.
    consent_statistics = models.BooleanField(default=True)
    consent_network = models.BooleanField(default=False)
    consent_publication = models.BooleanField(default=False)
    # Set by the services: to the hour when a reporter's case creates it (reporting.traces).
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"incident {self.pk}"


class Case(models.Model):
    reference = models.CharField(max_length=32, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=30, choices=Channel.choices, default=Channel.ONLINE_FORM)
    received_on = models.DateField()
    district = models.CharField(max_length=10)
    incident_type = models.CharField(max_length=30, blank=True)
    motives = models.JSONField(default=list)
    language = models.CharField(max_length=8, default="de")
    wants_counselling = models.BooleanField(default=False)
    # The reporter's consent by purpose (SPEC §5.1), asked in the form, changeable in the
    # follow-up (reporting.services.consent): counsellors may contact me / count it in the
    # anonymous statistics / pass an anonymised record to a monitoring network / publish an
    # anonymised summary. Codes, so that statistics and exports can respect them without keys.
    consent_contact = models.BooleanField(default=True)
    consent_statistics = models.BooleanField(default=True)
    consent_network = models.BooleanField(default=False)
    consent_publication = models.BooleanField(default=False)
    # The incident this report describes; shared by duplicates.  Never NULL after migration.
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="cases")
    # What the counsellor marked (shown on the case page); the incident decides the counting.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # HMAC(pepper, receipt code): finds the case; the code itself is never stored.
    receipt_lookup = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # A report sealed in the reporter's browser (SPEC §3.10): the random case binding the browser
    # bound its ciphertexts to before the case had a number (reporting.services.sealed); unique,
    # so a binding is used once. Empty for every other case, whose binding is its reference.
    seal_binding = models.CharField(max_length=40, unique=True, null=True, blank=True)
    # The case key under HKDF(receipt code, case id). Who can decrypt: the reporter.
    reporter_wrapped_key = models.BinaryField(null=True, blank=True)
    # The report (all fields the reporter wrote) under the case key, padded to a size bucket
    # (reporting.traces).
    report_ciphertext = models.BinaryField()
    # Reply-notice address under settings.NOTIFICATION_KEY. Who can decrypt: the server, to
    # send content-free notices; deleted when the case closes.
    notify_ciphertext = models.BinaryField(null=True, blank=True)
    reporter_unread = models.BooleanField(default=False)
    staff_unread = models.BooleanField(default=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    last_reporter_activity_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The hour the case was received (reporting.traces); ties are ordered by id.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()
    # The staff notice of a new case is still to be queued by the task cluster's writer
    # (reporting.writer): set by a submission when that writer runs after commit.
    notice_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-created_at"]),
            # The inbox lists newest first with the id as tie-breaker: this order lets
            # PostgreSQL read the first page off the index instead of sorting every open case.
            models.Index(fields=["organisation", "-created_at", "-id"], name="case_org_created_id_idx"),
            models.Index(fields=["status", "closed_at"]),
            # Only the few cases whose notice the writer has still to queue.
            models.Index(fields=["id"], condition=models.Q(notice_pending=True), name="case_notice_pending_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseGrant(models.Model):
    """Both case keys sealed (HPKE) to one organisation key version.

    Who can decrypt: members of `organisation` who hold key `key_version`.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="grants")
    class SealCheck(models.TextChoices):
        # The server sealed it (to a key it verified) or a member opened it: nothing to check.
        OPENED = "", "sealed on the server or opened"
        # Sealed in a reporter's browser (SPEC §3.10): the server cannot open it to check; the
        # organisation's next unlock does (reporting.services.keys.browser_seals_check).
        PENDING = "pending", "sealed in a browser, not opened yet"
        # Did not open with the organisation's key: sealed to another key; nobody can read it.
        UNOPENABLE = "unopenable", "does not open with the organisation's key"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="grants")
    key_version = models.PositiveIntegerField()
    sealed_case_key = models.BinaryField()
    sealed_internal_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    seal_check = models.CharField(max_length=12, blank=True, default=SealCheck.OPENED, choices=SealCheck.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "organisation"], name="uniq_case_grant")
        ]
        indexes = [
            # Only the few grants still to check or flagged: the unlock and the inbox ask for them.
            models.Index(fields=["organisation", "seal_check"], name="grant_seal_check",
                         condition=~models.Q(seal_check="")),
        ]

    def __str__(self) -> str:
        return f"grant {self.case_id} → {self.organisation_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.uuid.hex}.bin"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Streaming AES-GCM under the case key (reporting.crypto.encrypt_stream).
    blob = models.FileField(upload_to=attachment_path, max_length=200)
    # File name, type and size as JSON under the case key.
    meta_ciphertext = models.BinaryField()
    from_reporter = models.BooleanField(default=True)
    # To the hour for the reporter's files (reporting.traces); list them by id.
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"attachment {self.uuid}"


class Message(models.Model):
    class Direction(models.TextChoices):
        FROM_REPORTER = "reporter", _("From the reporter")
        TO_REPORTER = "staff", _("From the counselling service")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Body under the case key, padded to a size bucket (reporting.traces): reporter and
    # counsellors can decrypt.
    body_ciphertext = models.BinaryField()
    # A reply encrypted in the reporter's browser (SPEC §3.10) cannot know its id before it is
    # stored: it is bound to this random id instead ("message:<seal_id>"); empty otherwise.
    seal_id = models.CharField(max_length=32, blank=True, default="")
    # The reporter's messages, and when the reporter read a reply, to the hour
    # (reporting.traces): the thread is in id order.
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "seal_id"], condition=~models.Q(seal_id=""), name="message_seal_id_once_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Body under the case internal key: counsellors only, never the reporter.
    body_ciphertext = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class AuditEntry(models.Model):
    """Append-only, MAC-chained log of what staff and the system did (never content).

    ``entry_hash`` is HMAC(AUDIT_CHAIN_KEY, previous entry_hash || this entry) for entries of
    chain version 2; entries written before the chain was keyed (version 1) carry a plain
    SHA-256 and are followed by one "chain keyed" entry (reporting.audit).
    """

    class ChainVersion(models.IntegerChoices):
        SHA256 = 1, "SHA-256, unkeyed (before the chain was keyed)"
        HMAC_SHA256 = 2, "HMAC-SHA256 under AUDIT_CHAIN_KEY"
        OWN_MAC_CHAINED_AFTER = 3, "own HMAC at commit, chained after commit by the chain writer"

    created_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    # Empty (NULL) while a version-3 entry waits for the chain writer.
    entry_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    chain_version = models.PositiveSmallIntegerField(choices=ChainVersion.choices)
    # Place on the chain (the writer's order; mostly the id order); NULL while waiting.
    chain_position = models.BigIntegerField(null=True, blank=True, unique=True)
    # Version 3: HMAC(AUDIT_CHAIN_KEY, nonce and content) made in the transaction of the change.
    entry_mac = models.CharField(max_length=64, blank=True, default="")
    nonce = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.action}"


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers chain one after another."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # HMAC of last_hash under AUDIT_CHAIN_KEY: cutting entries off the end cannot re-point it.
    head_mac = models.CharField(max_length=64, blank=True, default="")
    # The chain position of the entry last_hash names.
    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return "audit head"


class AuditAnchor(models.Model):
    """The chain head as it was e-mailed to the coordinators (SPEC §3.9), once a day.

    The copy outside the database is the e-mail; this row is the history their page shows and
    what ``verify_audit_chain`` checks the chain against. ``chain_intact`` is the verdict of
    the verification run just before anchoring.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_entry_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    chain_intact = models.BooleanField()
    broken_at_entry = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.value

    @property
    def value(self) -> str:
        """The anchor as coordinators receive it and `verify_audit_chain --anchor` takes it."""
        return f"{self.last_entry_id}:{self.head_hash}"


class NoticeSent(models.Model):
    """A notice delivered to one recipient. A task that runs again (after a crash or a broker
    re-delivery) finds the row and does not send twice. The key is a random notice id and a
    recipient id, nothing else."""

    key = models.CharField(max_length=100, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"notice {self.key}"


class PublicSummary(models.Model):
    """An anonymised summary a counsellor drafts for the public chronicle (SPEC §5.1).

    The reporter reads it on the follow-up page with the receipt code and approves or vetoes
    it; only an approved summary of a case whose reporter consents to publication becomes a
    ``ChronicleEntry``. Never answered stays ``pending`` and is never published.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the reporter")
        APPROVED = "approved", _("Approved by the reporter")
        VETOED = "vetoed", _("Vetoed by the reporter")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="summaries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The draft under the case key (purpose "summary:<id>"): the reporter and the counsellors
    # can decrypt.
    text_ciphertext = models.BinaryField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    # When the reporter answered, to the hour (reporting.traces).
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"summary {self.pk} ({self.state})"


class ChronicleEntry(models.Model):
    """A published, reporter-approved anonymised summary (the public chronicle).

    Plain text on purpose: it is public. It outlives the case (like the statistics record) and
    goes when the reporter withdraws consent to publication or deletes the report.
    """

    summary = models.OneToOneField(
        PublicSummary, null=True, blank=True, on_delete=models.SET_NULL, related_name="chronicle_entry"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="chronicle_entries"
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    text = models.TextField()
    is_demo = models.BooleanField(default=False)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "-month", "-id"]

    def __str__(self) -> str:
        return f"chronicle {self.pk}"


class OutcomeQuestion(models.Model):
    """At closing the reporter is asked, through the mailbox, whether they got what they needed
    (SPEC §5.1, "beyond"): a fixed answer code, counted per organisation and year only.

    Answering detaches the row from the case (``case`` becomes NULL) and stores no time, so
    an answer cannot be traced back to the case it came from.
    """

    class Answer(models.TextChoices):
        YES = "yes", _("Yes, I got what I needed")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")
        RATHER_NOT_SAY = "rather_not_say", _("I would rather not say")

    # SET_NULL: the answer code stays for the organisation's aggregate when the case goes.
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="outcome_questions")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="outcome_questions")
    year = models.PositiveSmallIntegerField()
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"outcome question {self.pk}"
class HelpService(models.Model):
    """One entry of the directory of further help (SPEC §4.0, §5.1): the one directory that
    the reporter's help page shows and that counsellors refer people to.

    The coordinator keeps it (staff page "Help directory", ``/api/v1/directory/``), so a
    changed number needs no code change. Public contact details of services only: nothing
    about reporters.
    """

    class Kind(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency numbers")
        VIOLENCE_COUNSELLING = "violence_counselling", _(
            "Counselling for people affected by right-wing, racist and antisemitic violence"
        )
        ANTI_DISCRIMINATION = "anti_discrimination", _("Anti-discrimination counselling")
        VICTIM_SUPPORT = "victim_support", _("Victim support")
        PHONE_COUNSELLING = "phone_counselling", _("Someone to talk to, day and night")
        MIGRATION = "migration", _("Migration and refugee counselling")
        LEGAL_ADVICE = "legal_advice", _("Legal advice")
        PSYCHOLOGICAL = "psychological", _("Psychological help")
        OTHER = "other", _("Other help")

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    web = models.URLField(max_length=300, blank=True)
    # Language codes (REPORTER_LANGUAGES) the service answers in; empty when unknown.
    languages = models.JSONField(default=list, blank=True)
    # In words: "Lower Saxony", "nationwide", "Hannover region" …
    region = models.CharField(max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)
    # Offered to counsellors for referrals only, not shown on the reporter's help page (a
    # lawyer's office that takes referrals but no calls from the public, say).
    referral_only = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class RateCounter(models.Model):
    """A rate-limit counter of `meldestelle.ratelimit` while the cache is the database cache
    (the one-host default): counted with one upsert per submission instead of six cache
    statements per counter.

    ``key`` is the counter's cache key, ``rl:<scope>:<ident>:<window number>``; for a client
    the ident is the rotating keyed hash of its address (never the address). Rows of ended
    windows never count and are removed by the hourly task (reporting.tasks).
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
