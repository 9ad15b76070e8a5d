"""The counselling work itself (SPEC §5.1): contacts, interventions, the criminal-justice
track, deadlines with reminders, referrals to the directory of further services, and the
outcome at closing.

Services take ``actor=`` and the case internal key (the caller unlocked it), write one
transaction with its audit entry, and keep only codes in plain text: what a counsellor
writes is one JSON ciphertext under the internal key, bound to the case and to
``"<kind>:<row id>"`` (``reporting.crypto``), so a ciphertext moved to another row or case
does not decrypt. The caller has checked that ``actor`` may act on the case.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counselling.codes import (
    ContactMode,
    DeadlineKind,
    InterventionCode,
    JusticeOutcome,
    Outcome,
    Proceedings,
    ReferralReason,
    ReminderState,
    YesNoUnknown,
)
from counselling.models import (
    CaseOutcome,
    CaseToken,
    Contact,
    Deadline,
    Intervention,
    JusticeTrack,
    Membership,
    Referral,
)
from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import Case, HelpService
from reporting.services import ServiceError, case_binding, case_set_status
from reporting.services.consent import outcome_question_ask
from reporting.taxonomy import CaseStatus

logger = logging.getLogger(__name__)

TEXT_MAX = 5000
CLOSING_STATUSES = (CaseStatus.CLOSED, CaseStatus.REFERRED)


def _invalid(field_name: str, message: Any) -> ServiceError:
    error = ServiceError("invalid", str(message))
    error.fields = {field_name: [str(message)]}  # type: ignore[attr-defined]
    return error


def _check_code(value: str, choices: type[models.TextChoices], field_name: str) -> str:
    if value not in choices.values:
        raise _invalid(field_name, gettext_lazy("Choose one of the options."))
    return value


def _check_text(value: str, field_name: str) -> str:
    if len(value) > TEXT_MAX:
        raise _invalid(field_name, gettext_lazy("At most 5000 characters."))
    return value.strip()


def _check_past(value: date | None, field_name: str) -> date | None:
    if value is not None and value > timezone.localdate():
        raise _invalid(field_name, gettext_lazy("This date is in the future."))
    return value


def _seal(internal_key: bytes, case: Case, kind: str, row_id: int, payload: dict[str, Any]) -> bytes:
    return crypto.encrypt(internal_key, json.dumps(payload).encode(), case_id=case_binding(case),
                          purpose=f"{kind}:{row_id}")


def _open(internal_key: bytes, case: Case, kind: str, row_id: int, ciphertext: bytes | memoryview) -> dict[str, Any]:
    if not ciphertext:
        return {}
    return json.loads(crypto.decrypt(internal_key, bytes(ciphertext), case_id=case_binding(case),
                                     purpose=f"{kind}:{row_id}"))


def _token(case: Case) -> uuid.UUID:
    token, _created = CaseToken.objects.get_or_create(case=case, defaults={"token": uuid.uuid4()})
    return token.token


def _row(model: type[Any], *, case: Case, actor: Any, kind: str, internal_key: bytes,
         payload: dict[str, Any], **codes: Any) -> Any:
    row = model.objects.create(case=case, organisation_id=case.organisation_id, case_token=_token(case),
                               year=timezone.localdate().year, author=actor, **codes)
    row.details_ciphertext = _seal(internal_key, case, kind, row.pk, payload)
    row.save(update_fields=["details_ciphertext"])
    return row


# --------------------------------------------------------------------------------------------
# Contacts, interventions, referrals


def contact_add(*, actor: Any, case: Case, internal_key: bytes, mode: str, occurred_on: date | None = None,
                duration_minutes: int | None = None, who: str = "", note: str = "") -> Contact:
    _check_code(mode, ContactMode, "mode")
    _check_past(occurred_on, "occurred_on")
    if duration_minutes is not None and not 0 < duration_minutes <= 24 * 60:
        raise _invalid("duration_minutes", gettext_lazy("Give the duration in minutes (1 to 1440)."))
    payload = {"occurred_on": (occurred_on or timezone.localdate()).isoformat(),
               "duration_minutes": duration_minutes, "who": _check_text(who, "who"),
               "note": _check_text(note, "note")}
    with transaction.atomic():
        contact = _row(Contact, case=case, actor=actor, kind="contact", internal_key=internal_key,
                       payload=payload, mode=mode)
        audit_log(actor=actor, action=AuditAction.CONTACT_ADDED, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"contact": contact.pk, "mode": mode})
    return contact


def intervention_add(*, actor: Any, case: Case, internal_key: bytes, code: str, occurred_on: date | None = None,
                     note: str = "") -> Intervention:
    _check_code(code, InterventionCode, "code")
    _check_past(occurred_on, "occurred_on")
    if code == InterventionCode.PUBLIC_ACTION and not case.consent_publication:
        raise _invalid("code", gettext_lazy("Public action needs the reporter's consent to publication."))
    payload = {"occurred_on": (occurred_on or timezone.localdate()).isoformat(), "note": _check_text(note, "note")}
    with transaction.atomic():
        intervention = _row(Intervention, case=case, actor=actor, kind="intervention", internal_key=internal_key,
                            payload=payload, code=code)
        audit_log(actor=actor, action=AuditAction.INTERVENTION_ADDED, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"intervention": intervention.pk, "code": code})
    return intervention


def referral_add(*, actor: Any, case: Case, internal_key: bytes, service: int, reason: str,
                 note: str = "") -> Referral:
    """Refer the person to an entry of the coordinator's directory (``reporting.HelpService``,
    by id; entries kept for referrals only count too)."""
    _check_code(reason, ReferralReason, "reason")
    entry = HelpService.objects.filter(pk=service).first()
    if entry is None:
        raise _invalid("service", gettext_lazy("Choose a service from the directory."))
    with transaction.atomic():
        referral = _row(Referral, case=case, actor=actor, kind="referral", internal_key=internal_key,
                        payload={"note": _check_text(note, "note")}, service=entry, reason=reason)
        audit_log(actor=actor, action=AuditAction.REFERRAL_ADDED, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"referral": referral.pk, "service": entry.pk})
    return referral


# --------------------------------------------------------------------------------------------
# The criminal-justice track


def justice_track_set(*, actor: Any, case: Case, internal_key: bytes, reported_to_police: str,
                      politically_motivated: str, proceedings: str, outcome: str, note: str = "") -> JusticeTrack:
    _check_code(reported_to_police, YesNoUnknown, "reported_to_police")
    _check_code(politically_motivated, YesNoUnknown, "politically_motivated")
    _check_code(proceedings, Proceedings, "proceedings")
    _check_code(outcome, JusticeOutcome, "outcome")
    note = _check_text(note, "note")
    with transaction.atomic():
        track, _created = JusticeTrack.objects.select_for_update().get_or_create(case=case)
        track.reported_to_police = reported_to_police
        track.politically_motivated = politically_motivated
        track.proceedings = proceedings
        track.outcome = outcome
        track.details_ciphertext = _seal(internal_key, case, "justice", track.pk, {"note": note})
        track.save()
        audit_log(actor=actor, action=AuditAction.JUSTICE_TRACK_UPDATED, case_id=case.pk,
                  organisation_id=case.organisation_id,
                  data={"reported_to_police": reported_to_police, "proceedings": proceedings})
    return track


# --------------------------------------------------------------------------------------------
# Deadlines and their reminders


def deadline_set(*, actor: Any, case: Case, internal_key: bytes, kind: str, due_on: date,
                 remind_days_before: int = 7, label: str = "") -> Deadline:
    _check_code(kind, DeadlineKind, "kind")
    if due_on < timezone.localdate():
        raise _invalid("due_on", gettext_lazy("The deadline is in the past."))
    if not 0 <= remind_days_before <= 90:
        raise _invalid("remind_days_before", gettext_lazy("Remind between 0 and 90 days before."))
    label = _check_text(label, "label")
    with transaction.atomic():
        deadline = Deadline.objects.create(case=case, organisation_id=case.organisation_id, kind=kind,
                                           due_on=due_on, remind_days_before=remind_days_before, created_by=actor)
        deadline.label_ciphertext = _seal(internal_key, case, "deadline", deadline.pk, {"label": label})
        deadline.save(update_fields=["label_ciphertext"])
        audit_log(actor=actor, action=AuditAction.DEADLINE_SET, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"deadline": deadline.pk, "kind": kind})
    return deadline


def deadline_done(*, actor: Any, case: Case, deadline_id: int) -> Deadline:
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().filter(pk=deadline_id, case=case).first()
        if deadline is None:
            raise ServiceError("not_found", _("This deadline does not exist."))
        if deadline.done_at is None:
            deadline.done_at = timezone.now()
            deadline.save(update_fields=["done_at"])
            audit_log(actor=actor, action=AuditAction.DEADLINE_DONE, case_id=case.pk,
                      organisation_id=case.organisation_id, data={"deadline": deadline.pk})
    return deadline


def _reminder_recipients(deadline: Deadline) -> list[tuple[int, str]]:
    """The case's assignee; without one, every member of the organisation who gets e-mails."""
    users = get_user_model().objects.filter(is_active=True, membership__organisation_id=deadline.organisation_id)
    users = users.exclude(email="").exclude(membership__notify=Membership.Notify.NONE)
    assignee_id = Case.objects.filter(pk=deadline.case_id).values_list("assignee_id", flat=True).first()
    if assignee_id is not None and users.filter(pk=assignee_id).exists():
        users = users.filter(pk=assignee_id)
    return list(users.order_by("pk").values_list("pk", "email"))


def deadline_reminders_due(*, today: date | None = None) -> list[int]:
    """Ids of the deadlines whose reminder is due (or failed before and is retried now)."""
    today = today or timezone.localdate()
    due = Deadline.objects.filter(done_at__isnull=True).exclude(reminder_state=ReminderState.SENT)
    return [d.pk for d in due.only("pk", "due_on", "remind_days_before")
            if d.due_on - timedelta(days=d.remind_days_before) <= today]


def deadline_remind(deadline_id: int) -> bool:
    """Send the content-free reminder of one deadline; True if it went out to everyone.

    Each recipient is reached once (``deliver_once``); a failure marks the deadline failed
    (shown on the case page and the organisation's page), and the next run retries.
    """
    from reporting.tasks import deliver_once

    deadline = Deadline.objects.filter(pk=deadline_id, done_at__isnull=True).first()
    if deadline is None or deadline.reminder_state == ReminderState.SENT:
        return False
    link = settings.SITE_URL.rstrip("/") + reverse("counselling:case", args=[deadline.case_id])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A deadline is coming up")
        body = _("A deadline you set in Meldestelle is coming up.\n\nOpen the case: {link}\n").format(link=link)
    try:
        for user_id, address in _reminder_recipients(deadline):

            def send(address: str = address) -> int:
                return send_mail(subject, body, None, [address])

            deliver_once(f"deadline{deadline.pk}", f"user{user_id}", send)
    except Exception as exc:  # the mail server refused or was unreachable: retried next run
        logger.warning("Deadline reminder %s failed: %s", deadline.pk, type(exc).__name__)
        with transaction.atomic():
            Deadline.objects.filter(pk=deadline.pk).update(
                reminder_state=ReminderState.FAILED, reminder_failed_at=timezone.now(),
                reminder_attempts=models.F("reminder_attempts") + 1)
            audit_log(actor=None, action=AuditAction.DEADLINE_REMINDER_FAILED, case_id=deadline.case_id,
                      organisation_id=deadline.organisation_id, data={"deadline": deadline.pk})
        return False
    with transaction.atomic():
        Deadline.objects.filter(pk=deadline.pk).update(
            reminder_state=ReminderState.SENT, reminder_sent_at=timezone.now(),
            reminder_attempts=models.F("reminder_attempts") + 1)
        audit_log(actor=None, action=AuditAction.DEADLINE_REMINDER_SENT, case_id=deadline.case_id,
                  organisation_id=deadline.organisation_id, data={"deadline": deadline.pk})
    return True


def deadline_reminders_run(*, today: date | None = None) -> int:
    """The schedule's run: every due reminder; how many went out."""
    return sum(deadline_remind(deadline_id) for deadline_id in deadline_reminders_due(today=today))


# --------------------------------------------------------------------------------------------
# Closing with an outcome


def case_close_with_outcome(*, actor: Any, case: Case, internal_key: bytes, outcome: str, wishes: str = "",
                            status: str = CaseStatus.CLOSED, ask_reporter: bool = True) -> CaseOutcome:
    """Close (or refer) the case with its outcome and what the person wanted; ask the
    reporter through the mailbox whether they got what they needed (if they can be asked)."""
    _check_code(outcome, Outcome, "outcome")
    if status not in CLOSING_STATUSES:
        raise _invalid("status", gettext_lazy("Choose one of the options."))
    wishes = _check_text(wishes, "wishes")
    with transaction.atomic():
        case = case_set_status(actor=actor, case=case, status=status)
        row = CaseOutcome.objects.select_for_update().filter(case=case).first()
        if row is None:
            row = _row(CaseOutcome, case=case, actor=actor, kind="outcome", internal_key=internal_key,
                       payload={"wishes": wishes}, outcome=outcome)
        else:
            row.outcome, row.year, row.author = outcome, timezone.localdate().year, actor
            row.details_ciphertext = _seal(internal_key, case, "outcome", row.pk, {"wishes": wishes})
            row.save(update_fields=["outcome", "year", "author", "details_ciphertext"])
        audit_log(actor=actor, action=AuditAction.CASE_CLOSED_WITH_OUTCOME, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"outcome": outcome, "status": status})
        if ask_reporter:
            outcome_question_ask(case=case, actor=actor)
    return row


# --------------------------------------------------------------------------------------------
# Shredding (reporting.signals.case_shredding)


CASEWORK_ROWS: tuple[type[Any], ...] = (Contact, Intervention, Referral, CaseOutcome)


def casework_forget_text(*, case_id: int) -> list[type[Any]]:
    """The case is being shredded: its counselling records keep their codes and lose their text."""
    emptied = [model for model in CASEWORK_ROWS
               if model.objects.filter(case_id=case_id).update(details_ciphertext=b"")]
    return emptied


# --------------------------------------------------------------------------------------------
# Reading (the case page and the API)


@dataclass
class CaseworkView:
    contacts: list[dict[str, Any]] = field(default_factory=list)
    interventions: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    justice: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None


def _author(row: Any) -> str:
    return row.author.get_username() if getattr(row, "author", None) else ""


def casework_read(*, case: Case, internal_key: bytes) -> CaseworkView:
    view = CaseworkView()
    labels = dict(ContactMode.choices)
    for contact in Contact.objects.filter(case=case).select_related("author"):
        details = _open(internal_key, case, "contact", contact.pk, contact.details_ciphertext)
        view.contacts.append({"id": contact.pk, "mode": contact.mode, "mode_label": labels.get(contact.mode, ""),
                              "author": _author(contact), **details})
    labels = dict(InterventionCode.choices)
    for item in Intervention.objects.filter(case=case).select_related("author"):
        details = _open(internal_key, case, "intervention", item.pk, item.details_ciphertext)
        view.interventions.append({"id": item.pk, "code": item.code, "label": labels.get(item.code, ""),
                                   "author": _author(item), **details})
    reasons = dict(ReferralReason.choices)
    for referral in Referral.objects.filter(case=case).select_related("author", "service"):
        details = _open(internal_key, case, "referral", referral.pk, referral.details_ciphertext)
        view.referrals.append({"id": referral.pk, "service": referral.service_id,
                               "service_name": referral.service.name if referral.service else
                               _("(removed from the directory)"),
                               "reason": referral.reason, "reason_label": reasons.get(referral.reason, ""),
                               "author": _author(referral), **details})
    kinds = dict(DeadlineKind.choices)
    states = dict(ReminderState.choices)
    for deadline in Deadline.objects.filter(case=case):
        details = _open(internal_key, case, "deadline", deadline.pk, deadline.label_ciphertext)
        view.deadlines.append({
            "id": deadline.pk, "kind": deadline.kind, "kind_label": kinds.get(deadline.kind, ""),
            "due_on": deadline.due_on, "remind_days_before": deadline.remind_days_before,
            "done": deadline.done_at is not None, "reminder_state": deadline.reminder_state,
            "reminder_label": states.get(deadline.reminder_state, ""),
            "reminder_attempts": deadline.reminder_attempts, "label": details.get("label", ""),
        })
    track = JusticeTrack.objects.filter(case=case).first()
    if track is not None:
        details = _open(internal_key, case, "justice", track.pk, track.details_ciphertext)
        view.justice = {"reported_to_police": track.reported_to_police,
                        "politically_motivated": track.politically_motivated,
                        "proceedings": track.proceedings, "outcome": track.outcome,
                        "note": details.get("note", "")}
    outcome = CaseOutcome.objects.filter(case=case).first()
    if outcome is not None:
        details = _open(internal_key, case, "outcome", outcome.pk, outcome.details_ciphertext)
        view.outcome = {"outcome": outcome.outcome, "label": dict(Outcome.choices).get(outcome.outcome, ""),
                        "wishes": details.get("wishes", "")}
    return view


def failed_reminders(organisation_id: int) -> list[tuple[int, str, datetime | None]]:
    """(case id, case reference, last failure) of the organisation's reminders that failed."""
    return list(Deadline.objects.filter(organisation_id=organisation_id, reminder_state=ReminderState.FAILED,
                                        done_at__isnull=True)
                .values_list("case_id", "case__reference", "reminder_failed_at"))
