"""Staff: members of partner organisations and the state coordinator, with their key wraps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reporting.models import Organisation


class Membership(models.Model):
    class Role(models.TextChoices):
        COUNSELLOR = "counsellor", _("Counsellor")
        PARTNER_ADMIN = "partner_admin", _("Partner admin")
        COORDINATOR = "coordinator", _("Coordinator")

    class Notify(models.TextChoices):
        IMMEDIATE = "immediate", _("An e-mail for each new report, message and transfer")
        DIGEST = "digest", _("One summary e-mail a day")
        NONE = "none", _("No e-mails")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COUNSELLOR)
    # Content-free e-mail notices: one per event, a daily digest, or none (counselling.notifications).
    notify = models.CharField(max_length=10, choices=Notify.choices, default=Notify.IMMEDIATE)
    # End of the window the member's last daily digest covered (None: no digest yet).
    last_digest_at = models.DateTimeField(null=True, blank=True)
    # Per-member keypair: lets an admin grant the organisation key without knowing the
    # member's password (sealed to `member_public_key`, opened at the member's next login).
    kek_salt = models.BinaryField(null=True, blank=True)
    member_public_key = models.BinaryField(null=True, blank=True)
    # MAC under KEY_AUTH_KEY over the membership id and the key (crypto.public_key_mac):
    # nothing is sealed to a member key without it.
    member_public_key_mac = models.CharField(max_length=64, blank=True, default="")
    # Member private key under Argon2id(password, kek_salt). Who can decrypt: the member.
    wrapped_member_key = models.BinaryField(null=True, blank=True)
    # Organisation private key under Argon2id(password, kek_salt). Who can decrypt: the member.
    wrapped_org_key = models.BinaryField(null=True, blank=True)
    org_key_version = models.PositiveIntegerField(null=True, blank=True)
    # Organisation private key HPKE-sealed to the member key, waiting for the next login.
    pending_org_key = models.BinaryField(null=True, blank=True)
    pending_key_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_coordinator(self) -> bool:
        return self.role == self.Role.COORDINATOR

    @property
    def is_partner_admin(self) -> bool:
        return self.role == self.Role.PARTNER_ADMIN

    @property
    def has_key_access(self) -> bool:
        return bool(self.wrapped_org_key) or bool(self.pending_org_key)


class ReplyTemplate(models.Model):
    """A text block an organisation keeps for answering reporters (first answer, referral,
    closing), one per kind and language. Written by the organisation's staff, never by a
    reporter: it holds no case content. The counsellor edits it before it is sent."""

    class Kind(models.TextChoices):
        FIRST_ANSWER = "first_answer", _("First answer")
        REFERRAL = "referral", _("Referral")
        CLOSING = "closing", _("Closing")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reply_templates")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=8)
    body = models.TextField(max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "language"], name="uniq_reply_template"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"
# --------------------------------------------------------------------------------------------
# The counselling work itself (SPEC §5.1)
#
# Codes, the organisation and the year stay in plain text (the funder statistics count them);
# whatever the counsellor writes is one JSON ciphertext under the case internal key, purpose
# "<kind>:<id>" (counselling.casework). Rows that the funder statistics count keep their codes
# when the case is shredded (case SET_NULL; the ciphertext is emptied by the shred, see
# counselling.signals); ``case_token`` is a random value per case so that people counselled
# stay countable without a link to the case.


class CaseToken(models.Model):
    """A random token per case, copied onto its counselling rows (distinct people counselled)."""

    case = models.OneToOneField("reporting.Case", on_delete=models.CASCADE, related_name="counselling_token")
    token = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"token of case {self.case_id}"


class _CaseworkRow(models.Model):
    case = models.ForeignKey("reporting.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case_token = models.UUIDField()
    year = models.PositiveSmallIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    # Under the case internal key: counsellors of the organisations holding the case only.
    details_ciphertext = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]


class Contact(_CaseworkRow):
    """A counselling contact: mode (code); date, duration, who and a note encrypted."""

    mode = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"contact {self.pk}"


class Intervention(_CaseworkRow):
    """An intervention (code); date and a note encrypted."""

    code = models.CharField(max_length=30)

    def __str__(self) -> str:
        return f"intervention {self.pk}"


class Referral(_CaseworkRow):
    """A referral to a service outside the partner network, from the coordinator's directory
    (``reporting.HelpService``, the one the reporter's help page shows); reason code; a note
    encrypted. The record stays when its entry is removed (``service`` becomes empty), so the
    counselling statistics keep counting it."""

    service = models.ForeignKey("reporting.HelpService", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="referrals")
    reason = models.CharField(max_length=30)

    def __str__(self) -> str:
        return f"referral {self.pk}"


class CaseOutcome(_CaseworkRow):
    """The outcome when closing (code) and what the person wanted (encrypted); one per case,
    replaced when a reopened case is closed again."""

    outcome = models.CharField(max_length=30)

    def __str__(self) -> str:
        return f"outcome {self.pk}"


class JusticeTrack(models.Model):
    """The criminal-justice track of a case: codes, and a note (e.g. file numbers) encrypted."""

    case = models.OneToOneField("reporting.Case", on_delete=models.CASCADE, related_name="justice_track")
    reported_to_police = models.CharField(max_length=10, default="unknown")
    politically_motivated = models.CharField(max_length=10, default="unknown")
    proceedings = models.CharField(max_length=20, default="unknown")
    outcome = models.CharField(max_length=20, default="unknown")
    # Under the case internal key.
    details_ciphertext = models.BinaryField(default=b"")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"justice track of case {self.case_id}"


class Deadline(models.Model):
    """A deadline the counsellor sets (e.g. the two-month AGG claim period) with a reminder.

    The daily-and-hourly schedule (counselling.tasks.send_deadline_reminders) sends a
    content-free e-mail ``remind_days_before`` the due day; a failed e-mail is counted, shown
    to the organisation and retried at the next run.
    """

    case = models.ForeignKey("reporting.Case", on_delete=models.CASCADE, related_name="deadlines")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    due_on = models.DateField()
    remind_days_before = models.PositiveSmallIntegerField(default=7)
    # What the counsellor wrote about it, under the case internal key.
    label_ciphertext = models.BinaryField(default=b"")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reminder_state = models.CharField(max_length=10, default="waiting")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_attempts = models.PositiveSmallIntegerField(default=0)
    reminder_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"deadline {self.pk}"
