"""Codes of the counselling work (SPEC §5.1): stable values, translated labels.

Only these codes stay in plain text; everything a counsellor writes about a contact, an
intervention, a deadline, a referral or the closing is encrypted under the case internal key.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video call")
    EMAIL = "email", _("E-mail")
    MAILBOX = "mailbox", _("Anonymous mailbox")
    OUTREACH = "outreach", _("Outreach (on site)")


class InterventionCode(models.TextChoices):
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    RIGHTS_INFO = "rights_info", _("Information on rights")
    COMPLAINT_LETTER = "complaint_letter", _("Complaint letter")
    MEDIATION = "mediation", _("Mediation")
    TESTING = "testing", _("Testing")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment to authorities, police or court")
    REFERRAL_LEGAL = "referral_legal", _("Referral to legal advice")
    REFERRAL_OTHER = "referral_other", _("Referral to another service")
    LEGAL_ACTION = "legal_action", _("Legal action")
    PUBLIC_ACTION = "public_action", _("Public action (with consent)")


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


class Proceedings(models.TextChoices):
    NONE = "none", _("No proceedings")
    INVESTIGATION = "investigation", _("Investigation")
    CHARGES = "charges", _("Charges brought")
    TRIAL = "trial", _("Trial")
    CONCLUDED = "concluded", _("Concluded")
    UNKNOWN = "unknown", _("Not known")


class JusticeOutcome(models.TextChoices):
    PENDING = "pending", _("Open")
    CONVICTION = "conviction", _("Conviction or penalty order")
    ACQUITTAL = "acquittal", _("Acquittal")
    DISCONTINUED = "discontinued", _("Discontinued")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class DeadlineKind(models.TextChoices):
    AGG_CLAIM = "agg_claim", _("AGG claim deadline (two months)")
    COURT_DATE = "court_date", _("Court date")
    AUTHORITY = "authority", _("Deadline of an authority")
    FOLLOW_UP = "follow_up", _("Follow-up")
    OTHER = "other", _("Other")


class ReferralReason(models.TextChoices):
    LEGAL = "legal", _("Legal advice")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    VICTIM_SUPPORT = "victim_support", _("Victim support")
    SPECIALIST = "specialist", _("Specialist counselling")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    PARTLY_RESOLVED = "partly_resolved", _("Partly resolved")
    NO_RESULT = "no_result", _("No result")
    ENDED_BY_PERSON = "ended_by_person", _("Ended by the person")
    REFERRED = "referred", _("Referred")
    NOT_REACHABLE = "not_reachable", _("Not reachable")


class ReminderState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SENT = "sent", _("Reminder sent")
    FAILED = "failed", _("Reminder e-mail failed; retrying")
