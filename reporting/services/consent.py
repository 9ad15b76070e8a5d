"""What the reporter controls after submitting (SPEC §5.1): consent by purpose, the approval
of a public summary, and the anonymous outcome question at closing.

Consent lives as codes on the case and, for the purposes that leave the organisation, on the
incident (``cases._incident_refresh``), so statistics and exports can follow it without keys.
Withdrawing a purpose removes the incident from every later release and export; releases
already frozen stay as they were (docs/methodology.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import Case, ChronicleEntry, OutcomeQuestion, PublicSummary
from reporting.services.cases import _incident_refresh
from reporting.services.common import ServiceError, case_binding
from reporting.traces import pad, to_the_hour, unpad

logger = logging.getLogger(__name__)

PURPOSE_SUMMARY = "summary"
# Every purpose the reporter decides, in the order the pages list them.
PURPOSES = ("consent_contact", "consent_statistics", "consent_network", "consent_publication")
SUMMARY_MAX_CHARS = 3000


@dataclass(frozen=True)
class Consent:
    contact: bool
    statistics: bool
    network: bool
    publication: bool

    @classmethod
    def of(cls, case: Case) -> Consent:
        return cls(contact=case.consent_contact, statistics=case.consent_statistics,
                   network=case.consent_network, publication=case.consent_publication)


def consent_set(*, case: Case, contact: bool, statistics: bool, network: bool, publication: bool) -> Case:
    """The reporter's choice by purpose (through the receipt code: no staff actor).

    Withdrawing publication takes every published summary of the case off the chronicle and
    marks its summaries withdrawn; withdrawing statistics or the network export takes the
    incident out of every later release or export (the incident follows all its reports).
    """
    return _consent_apply(case=case, actor=None, values={
        "consent_contact": contact, "consent_statistics": statistics, "consent_network": network,
        "consent_publication": publication})


def consent_record(*, actor: Any, case: Case, contact: bool, statistics: bool, network: bool,
                   publication: bool) -> Case:
    """A counsellor records the consent by purpose that a person gave by phone, in person or
    by letter, for a case recorded by hand (no receipt code). It counts exactly as a reporter's
    own choice: the statistics and the network export follow it, and a withdrawal takes the
    incident out of every later release or export. A reporter with a receipt code decides
    alone, in the follow-up."""
    if case.receipt_lookup:
        raise ServiceError("reporter_decides", str(_(
            "The reporter sets their consent themselves with their receipt code.")))
    return _consent_apply(case=case, actor=actor, values={
        "consent_contact": contact, "consent_statistics": statistics, "consent_network": network,
        "consent_publication": publication})


def _consent_apply(*, case: Case, actor: Any, values: dict[str, bool]) -> Case:
    """Apply the answers; the reporter's own change (`actor=None`) and a counsellor's record of
    a hand-recorded person's change are audited as different actions."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        changed = {name: value for name, value in values.items() if getattr(case, name) != value}
        if not changed:
            return case
        for name, value in changed.items():
            setattr(case, name, value)
        case.save(update_fields=[*changed, "updated_at"])
        _incident_refresh(case.incident_id)
        if not values["consent_publication"]:
            _unpublish(case)
        audit_log(actor=actor,
                  action=AuditAction.CONSENT_CHANGED if actor is None else AuditAction.CONSENT_RECORDED,
                  case_id=case.pk,
                  organisation_id=case.organisation_id, data={"changed": changed})
    return case


def _unpublish(case: Case) -> None:
    ChronicleEntry.objects.filter(summary__case=case).delete()
    PublicSummary.objects.filter(
        case=case, state__in=(PublicSummary.State.PENDING, PublicSummary.State.APPROVED)
    ).update(state=PublicSummary.State.WITHDRAWN)


def chronicle_remove_for_case(case: Case) -> None:
    """The reporter deleted the report: what they approved leaves the chronicle with it."""
    ChronicleEntry.objects.filter(summary__case=case).delete()


# --------------------------------------------------------------------------------------------
# Public summaries


def summary_draft(*, case: Case, case_key: bytes, text: str, actor: Any) -> PublicSummary:
    """A counsellor's anonymised summary for the chronicle, waiting for the reporter.

    Only for a report whose reporter consents to publication and can answer (has a receipt
    code); an earlier summary still waiting is withdrawn.
    """
    text = text.strip()
    if not text or len(text) > SUMMARY_MAX_CHARS:
        raise ServiceError("invalid_summary", str(_("Write a summary of at most 3000 characters.")))
    if not case.receipt_lookup:
        raise ServiceError("no_reporter", str(_("Only a reporter with a receipt code can approve a summary.")))
    if not case.consent_publication:
        raise ServiceError("no_publication_consent",
                           str(_("The reporter has not agreed to the publication of a summary.")))
    with transaction.atomic():
        PublicSummary.objects.filter(case=case, state=PublicSummary.State.PENDING).update(
            state=PublicSummary.State.WITHDRAWN)
        summary = PublicSummary.objects.create(case=case, author=actor, text_ciphertext=b"")
        summary.text_ciphertext = crypto.encrypt(
            case_key, pad(text.encode()), case_id=case_binding(case), purpose=f"{PURPOSE_SUMMARY}:{summary.pk}"
        )
        summary.save(update_fields=["text_ciphertext"])
        Case.objects.filter(pk=case.pk).update(reporter_unread=True)
        audit_log(actor=actor, action=AuditAction.SUMMARY_DRAFTED, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"summary": summary.pk})
    return summary


def summary_text(*, summary: PublicSummary, case_key: bytes) -> str:
    return unpad(crypto.decrypt(
        case_key, bytes(summary.text_ciphertext), case_id=case_binding(summary.case),
        purpose=f"{PURPOSE_SUMMARY}:{summary.pk}",
    )).decode()


def summary_answer(*, case: Case, case_key: bytes, summary_id: int, approve: bool) -> PublicSummary:
    """The reporter approves (published at once) or vetoes (never published) a waiting summary."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        summary = PublicSummary.objects.filter(pk=summary_id, case=case, state=PublicSummary.State.PENDING).first()
        if summary is None:
            raise ServiceError("no_summary", str(_("There is no summary waiting for your answer.")))
        if approve and not case.consent_publication:
            raise ServiceError("no_publication_consent",
                               str(_("Agree to the publication of a summary first, then approve it.")))
        summary.state = PublicSummary.State.APPROVED if approve else PublicSummary.State.VETOED
        summary.answered_at = to_the_hour()
        summary.save(update_fields=["state", "answered_at"])
        if approve:
            ChronicleEntry.objects.create(
                summary=summary, incident_id=case.incident_id, year=case.received_on.year,
                month=case.received_on.month, text=summary_text(summary=summary, case_key=case_key),
                is_demo=case.organisation.is_demo, published_at=timezone.now(),
            )
        audit_log(actor=None, action=AuditAction.SUMMARY_ANSWERED, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"summary": summary.pk, "answer": summary.state})
    return summary


def summaries_waiting(case: Case) -> list[PublicSummary]:
    return list(PublicSummary.objects.filter(case=case, state=PublicSummary.State.PENDING).select_related("case"))


# --------------------------------------------------------------------------------------------
# The outcome question


def outcome_question_ask(*, case: Case, actor: Any | None) -> OutcomeQuestion | None:
    """Ask the reporter at closing whether they got what they needed; None where nobody can
    be asked (no receipt code, no consent to contact, or a question already waiting)."""
    if not case.receipt_lookup or not case.consent_contact:
        return None
    with transaction.atomic():
        if OutcomeQuestion.objects.filter(case=case, answer="").exists():
            return None
        question = OutcomeQuestion.objects.create(
            case=case, organisation_id=case.organisation_id, year=timezone.localdate().year,
        )
        Case.objects.filter(pk=case.pk).update(reporter_unread=True)
        audit_log(actor=actor, action=AuditAction.OUTCOME_QUESTION_ASKED, case_id=case.pk,
                  organisation_id=case.organisation_id, data={"question": question.pk})
    return question


def outcome_question_open(case: Case) -> OutcomeQuestion | None:
    return OutcomeQuestion.objects.filter(case=case, answer="").first()


def outcome_answer(*, case: Case, answer: str) -> OutcomeQuestion:
    """The reporter's answer: stored as a code, detached from the case, with no time."""
    if answer not in OutcomeQuestion.Answer.values:
        raise ServiceError("invalid_answer", str(_("Choose one of the answers.")))
    with transaction.atomic():
        question = OutcomeQuestion.objects.select_for_update().filter(case=case, answer="").first()
        if question is None:
            raise ServiceError("no_question", str(_("There is no question waiting for your answer.")))
        question.answer = answer
        question.case = None
        question.save(update_fields=["answer", "case"])
        # The audit entry says that, not what, the reporter answered.
        audit_log(actor=None, action=AuditAction.OUTCOME_QUESTION_ANSWERED, case_id=case.pk,
                  organisation_id=case.organisation_id)
    return question
