"""Reads for the reporter's side: the partner directory and the reporter's view of a case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from reporting import crypto, places, snapshot
from reporting.models import Case, HelpService, Message, Organisation
from reporting.services import (
    ReporterAccess,
    attachment_meta,
    message_purpose,
    message_text,
    report_decrypt,
)
from reporting.services.common import (
    PURPOSE_ATTACHMENT_META,
    PURPOSE_REPORT,
    PURPOSE_REPORTER_WRAP,
    case_binding,
)
from reporting.services.consent import outcome_question_open, summaries_waiting
from reporting.taxonomy import CaseStatus, Motive


def _join(items: list[str]) -> str:
    return ", ".join(items)


def coverage_in_words(org: Organisation, district_names: dict[str, str]) -> str:
    """"All of Lower Saxony; all kinds of incident" or the districts and motives it covers."""
    if org.statewide:
        where = _("all of Lower Saxony")
    else:
        names = sorted(district_names.get(code, code) for code in org.districts)
        where = _join(names) if names else _("no district yet")
    if org.all_motives:
        why = _("all kinds of hostility")
    else:
        labels = [str(Motive(code).label) for code in org.motives if code in Motive.values]
        why = _join(labels)
    return _("Covers {where}; {why}").format(where=where, why=why)


@dataclass(frozen=True)
class PartnerEntry:
    slug: str
    name: str
    coverage_text: str
    statewide: bool
    districts: list[dict[str, str]]
    all_motives: bool
    motives: list[str]
    languages: list[str]
    public_contact: str


def partner_directory() -> list[PartnerEntry]:
    """Active organisations, with their coverage in words (for the form and the API)."""
    district_names = places.district_names()
    return [
        PartnerEntry(
            slug=org.slug,
            name=org.name,
            coverage_text=coverage_in_words(org, district_names),
            statewide=org.statewide,
            districts=[{"code": code, "name": district_names.get(code, code)} for code in org.districts],
            all_motives=org.all_motives,
            motives=list(org.motives),
            languages=list(org.languages),
            public_contact=org.public_contact,
        )
        for org in sorted((org for org in snapshot.organisations() if org.active), key=lambda org: (org.name, org.pk))
    ]


def status_explanation(status: str) -> str:
    explanations: dict[str, str] = {
        CaseStatus.NEW: _("Your report has arrived. A counsellor will read it soon."),
        CaseStatus.IN_PROGRESS: _("A counsellor is working on your report."),
        CaseStatus.CLOSED: _("Your report is closed. You can still write to us here."),
        CaseStatus.REFERRED: _("Your report has been passed on to a service that can help better."),
        CaseStatus.REJECTED: _("The counselling service could not take up this report."),
    }
    return explanations.get(status, "")


@dataclass(frozen=True)
class MessageView:
    from_reporter: bool
    body: str
    created_at: datetime
    unread: bool


@dataclass(frozen=True)
class ReporterCaseView:
    reference: str
    status: str
    status_label: str
    status_text: str
    received_on: date
    description: str
    messages: list[MessageView]
    attachments: list[str]


def reporter_case_view(access: ReporterAccess) -> ReporterCaseView:
    """What the reporter sees: status, their report, the thread and their files (decrypted)."""
    case = access.case
    report = report_decrypt(case=case, case_key=access.case_key)
    messages = [
        MessageView(
            from_reporter=message.direction == Message.Direction.FROM_REPORTER,
            body=message_text(message=message, case_key=access.case_key),
            created_at=message.created_at,
            unread=message.direction == Message.Direction.TO_REPORTER and message.read_at is None,
        )
        for message in case.messages.select_related("case").order_by("id")
    ]
    # Only the reporter's own files: what counsellors add (scans, internal documents) stays
    # with the counselling service.
    attachments = [
        str(attachment_meta(attachment=attachment, case_key=access.case_key).get("name", ""))
        for attachment in case.attachments.filter(from_reporter=True)
        .select_related("case")
        .order_by("id")
    ]
    return ReporterCaseView(
        reference=case.reference,
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        status_text=status_explanation(case.status),
        received_on=case.received_on,
        description=str(report.get("description", "")),
        messages=messages,
        attachments=attachments,
    )


@dataclass(frozen=True)
class SealedItem:
    """One ciphertext under the case key and what it is bound to besides the case."""

    purpose: str
    ciphertext: bytes


@dataclass(frozen=True)
class SealedMessageView:
    from_reporter: bool
    body: SealedItem
    created_at: datetime
    unread: bool


@dataclass(frozen=True)
class ReporterSealedCaseView:
    """What the reporter sees, as ciphertext (the follow-up in the browser, SPEC §3.10): the same
    as `ReporterCaseView`, opened in the browser with the case key it unwraps with the code."""

    reference: str
    binding: str  # case_binding: associated data of every ciphertext, the receipt wrap's salt
    status: str
    status_label: str
    status_text: str
    received_on: date
    reporter_wrap: SealedItem  # the case key under crypto.receipt_kek(code, binding)
    report: SealedItem  # padded JSON; the browser shows its description
    messages: list[SealedMessageView]
    attachments: list[SealedItem]  # JSON name, type and size of the reporter's own files
    # What waits for the reporter's answer on the page the server shows (reporting/_followup_choices)
    summaries_waiting: int
    outcome_question: bool


def reporter_sealed_case_view(case: Case) -> ReporterSealedCaseView:
    return ReporterSealedCaseView(
        reference=case.reference,
        binding=case_binding(case),
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        status_text=status_explanation(case.status),
        received_on=case.received_on,
        reporter_wrap=SealedItem(PURPOSE_REPORTER_WRAP, bytes(case.reporter_wrapped_key or b"")),
        report=SealedItem(PURPOSE_REPORT, bytes(case.report_ciphertext)),
        messages=[
            SealedMessageView(
                from_reporter=message.direction == Message.Direction.FROM_REPORTER,
                body=SealedItem(message_purpose(message), bytes(message.body_ciphertext)),
                created_at=message.created_at,
                unread=message.direction == Message.Direction.TO_REPORTER and message.read_at is None,
            )
            for message in case.messages.order_by("id")
        ],
        attachments=[
            SealedItem(f"{PURPOSE_ATTACHMENT_META}:{attachment.uuid.hex}", bytes(attachment.meta_ciphertext))
            for attachment in case.attachments.filter(from_reporter=True).order_by("id")
        ],
        summaries_waiting=len(summaries_waiting(case)),
        outcome_question=outcome_question_open(case) is not None,
    )


@dataclass(frozen=True)
class OrgKeyStatus:
    """What the partner-admin page shows about the organisation key (no secret in it)."""

    version: int
    created_at: datetime
    fingerprint: str  # of the stored public key, for comparing with what a member's key derives
    rotation_due_since: datetime | None
    suspended: bool
    needs_recovery_code: bool  # created before key epochs: the next rotation asks for it once


def organisation_key_status(organisation: Organisation) -> OrgKeyStatus:
    key = organisation.current_key
    return OrgKeyStatus(
        version=key.version,
        created_at=key.created_at,
        fingerprint=crypto.public_key_fingerprint(bytes(key.public_key)),
        rotation_due_since=organisation.key_rotation_due_at,
        suspended=key.suspended_at is not None,
        needs_recovery_code=not organisation.recovery_public_key,
    )


def _language_names(codes: list[str]) -> str:
    names = []
    for code in codes:
        try:
            names.append(str(get_language_info(code)["name_local"]))
        except KeyError:
            continue
    return _join(names)


@dataclass(frozen=True)
class HelpEntry:
    name: str
    description: str
    phone: str
    phone_link: str  # for tel: links, digits and a leading + only
    web: str
    languages: str  # in their own names: "Deutsch, العربيّة"
    region: str


def _help_entry(service: HelpService) -> HelpEntry:
    return HelpEntry(
        name=service.name, description=service.description, phone=service.phone,
        phone_link=re.sub(r"[^0-9+]", "", service.phone), web=service.web,
        languages=_language_names(list(service.languages)), region=service.region,
    )


def help_page_view() -> dict[str, Any]:
    """What the help page shows (SPEC §4.0): the emergency numbers and the coordinator's
    directory of further help, grouped by kind, and the partner organisations' public contacts."""
    services = list(HelpService.objects.filter(referral_only=False))
    emergency = [_help_entry(s) for s in services if s.kind == HelpService.Kind.EMERGENCY]
    groups = []
    for kind in HelpService.Kind:
        if kind == HelpService.Kind.EMERGENCY:
            continue
        entries = [_help_entry(s) for s in services if s.kind == kind]
        if entries:
            groups.append({"kind": kind.value, "title": str(kind.label), "entries": entries})
    partners = [
        {"name": entry.name, "coverage": entry.coverage_text, "contact": entry.public_contact,
         "languages": _language_names(entry.languages)}
        for entry in partner_directory() if entry.public_contact
    ]
    return {"emergency": emergency, "help_groups": groups, "partners": partners}
