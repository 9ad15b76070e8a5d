"""Reads of the staff side: the inbox (no decryption) and the decrypted case view.

The inbox is built on `Case.organisation` so the (organisation, status, -created_at) and
(organisation, -created_at) indexes carry it; the assignee comes in the same query. The
"copies" tab lists the cases another organisation is responsible for but of which the
member's organisation kept a copy (a `CaseGrant`, see `case_transfer(keep_copy=True)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from counselling.models import Membership
from reporting import places, taxonomy
from reporting.audit import AuditAction
from reporting.models import Attachment, AuditEntry, Case, CaseGrant, Organisation
from reporting.services import (
    CaseKeys,
    attachment_meta,
    message_text,
    note_text,
    report_decrypt,
)
from reporting.taxonomy import CLOSED_STATUSES, OPEN_STATUSES, CaseStatus

TABS: dict[str, Any] = {
    "new": _("New"),
    "mine": _("Mine"),
    "open": _("Open"),
    "overdue": _("Overdue"),
    "closed": _("Closed"),
    # Cases another organisation is responsible for; we kept a copy when transferring them.
    "copies": _("Copies"),
}
COPIES_TAB = "copies"
DEFAULT_TAB = "open"
PAGE_SIZE = 50


def working_days_before(moment: datetime, days: int) -> datetime:
    """The cut-off: a case created before it has had `days` working days (Mon–Fri) by `moment`.

    A deadline counted from a weekend starts on Monday, so on a weekend `moment` counts as
    the end of Friday.
    """
    local = timezone.localtime(moment)
    if local.weekday() >= 5:
        local = (local - timedelta(days=local.weekday() - 5)).replace(hour=0, minute=0, second=0, microsecond=0)
    counted = 0
    while counted < days:
        local -= timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local


def overdue_cutoff(organisation: Organisation, now: datetime | None = None) -> datetime:
    return working_days_before(now or timezone.now(), organisation.reply_deadline_days)


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    district: str = ""
    motive: str = ""
    assignee: str = ""  # a user id, "none" for unassigned, or empty

    @classmethod
    def from_query(cls, query: Any) -> InboxFilters:
        status = query.get("status", "")
        motive = query.get("motive", "")
        assignee = query.get("assignee", "")
        return cls(
            status=status if status in CaseStatus.values else "",
            # PostgreSQL refuses NUL in text parameters (DataError, a 500 before); no code has one.
            district=str(query.get("district", ""))[:10].replace("\x00", ""),
            motive=motive if motive in taxonomy.Motive.values else "",
            # ASCII digits only: str.isdigit() accepts "²", which int() refuses later.
            assignee=assignee
            if assignee == "none" or (assignee.isascii() and assignee.isdigit() and len(assignee) <= 18)
            else "",
        )


def _motive_q(motive: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(motives__contains=[motive])
    # SQLite: match the quoted code in the JSON text ("racism" is not inside "anti_black_racism").
    return Q(motives__icontains=f'"{motive}"')


def _tab_q(tab: str, *, user: Any, cutoff: datetime) -> Q:
    if tab == "new":
        return Q(status=CaseStatus.NEW)
    if tab == "mine":
        return Q(assignee=user, status__in=OPEN_STATUSES)
    if tab == "overdue":
        return Q(status__in=OPEN_STATUSES, first_reply_at__isnull=True, created_at__lt=cutoff)
    if tab == "closed":
        return Q(status__in=CLOSED_STATUSES)
    return Q(status__in=OPEN_STATUSES)


def _copies_of(organisation: Organisation) -> QuerySet[Case]:
    """Cases of other organisations this one kept a copy of (a grant left after a transfer).

    Driven from the organisation's grants (indexed), not by probing every case.
    """
    held = CaseGrant.objects.filter(organisation=organisation).values("case_id")
    return Case.objects.filter(pk__in=held).exclude(organisation=organisation)


def _filtered(organisation: Organisation, filters: InboxFilters, *, copies: bool = False) -> QuerySet[Case]:
    if copies:
        queryset = _copies_of(organisation)
    else:
        queryset = Case.objects.filter(organisation=organisation)
    return _apply_filters(queryset, filters)


def _apply_filters(queryset: QuerySet[Case], filters: InboxFilters) -> QuerySet[Case]:
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.district:
        queryset = queryset.filter(district=filters.district)
    if filters.motive:
        queryset = queryset.filter(_motive_q(filters.motive))
    if filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee:
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    return queryset


class CountedPaginator(Paginator):
    """A paginator told its total (the tab's count from ``inbox_counts``, same filters, same
    cut-off), so it does not run its own ``COUNT(*)`` over the organisation's cases."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def inbox_cases(
    *, membership: Membership, tab: str, filters: InboxFilters, cutoff: datetime | None = None
) -> QuerySet[Case]:
    """Cases of the member's organisation for one tab; plaintext columns only.

    The "copies" tab instead lists cases of other organisations the member's organisation
    holds a grant for (a copy kept on transfer).
    """
    organisation = membership.organisation
    if organisation is None:
        return Case.objects.none()
    tab = tab if tab in TABS else DEFAULT_TAB
    if tab == COPIES_TAB:
        queryset = _filtered(organisation, filters, copies=True)
    else:
        cutoff = cutoff or overdue_cutoff(organisation)
        queryset = _filtered(organisation, filters).filter(_tab_q(tab, user=membership.user, cutoff=cutoff))
    return (
        queryset
        .select_related("assignee", "organisation")
        .only(
            "id", "reference", "status", "assignee__id", "assignee__username", "channel", "received_on",
            "district", "incident_type", "motives", "staff_unread", "reporter_unread", "first_reply_at",
            "created_at", "organisation__id", "organisation__slug", "organisation__name", "duplicate_of_id",
        )
        .order_by("-created_at", "-id")
    )


def inbox_counts(
    *, membership: Membership, filters: InboxFilters, cutoff: datetime | None = None
) -> dict[str, int]:
    """Cases per tab: one aggregate query over the organisation's own cases (its index serves
    it), and one count of the copies it kept."""
    organisation = membership.organisation
    if organisation is None:
        return dict.fromkeys(TABS, 0)
    cutoff = cutoff or overdue_cutoff(organisation)
    aggregates = {
        tab: Count("id", filter=_tab_q(tab, user=membership.user, cutoff=cutoff))
        for tab in TABS if tab != COPIES_TAB
    }
    aggregates["unread"] = Count("id", filter=Q(staff_unread=True, status__in=OPEN_STATUSES))
    counts = _filtered(organisation, filters).aggregate(**aggregates)
    counts[COPIES_TAB] = _filtered(organisation, filters, copies=True).count()
    return counts


def district_names() -> dict[str, str]:
    names = places.district_names()
    names[taxonomy.PLACE_ONLINE] = str(_("Online"))
    names[taxonomy.PLACE_UNKNOWN] = str(_("Unknown"))
    return names


def colleagues(organisation: Organisation | None) -> QuerySet[Membership]:
    if organisation is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .exclude(role=Membership.Role.COORDINATOR)
        .select_related("user")
        .order_by("user__username")
    )


# --------------------------------------------------------------------------------------------
# The decrypted case


def _label(choices: Any, code: str) -> str:
    if not code:
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def report_rows(report: dict[str, Any], districts: dict[str, str]) -> list[tuple[str, str]]:
    """The report's fields as (label, value) rows, codes turned into their labels."""
    yes, no = str(_("Yes")), str(_("No"))
    contact = {"mailbox": _("Anonymous mailbox"), "email": _("E-mail"), "phone": _("Phone")}
    rows: list[tuple[Any, Any]] = [
        (_("How it reached us"), _label(taxonomy.Channel, report.get("channel", ""))),
        (_("What happened"), report.get("description", "")),
        (_("Kind of incident"), _label(taxonomy.IncidentType, report.get("incident_type", ""))),
        (_("Date"), report.get("occurred_on") or report.get("occurred_month") or ""),
        (_("Place"), districts.get(report.get("district", ""), report.get("district", ""))),
        (_("Area of life"), _label(taxonomy.AreaOfLife, report.get("area_of_life", ""))),
        (_("Place details"), report.get("place_details", "")),
        (_("Motives"), ", ".join(_label(taxonomy.Motive, m) for m in report.get("motives", []))),
        (_("Reporter"), _label(taxonomy.ReporterRole, report.get("role", ""))),
        (_("People affected"), "" if report.get("people_affected") is None else str(report["people_affected"])),
        (_("Wants counselling"), yes if report.get("wants_counselling") else no),
        (_("Contact by"), contact.get(report.get("contact_method", ""), report.get("contact_method", ""))),
        (_("Contact e-mail"), report.get("contact_email", "")),
        (_("Contact phone"), report.get("contact_phone", "")),
    ]
    return [(str(label), str(value)) for label, value in rows]


@dataclass(frozen=True)
class MessageView:
    id: int
    from_reporter: bool
    author: str
    text: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class AttachmentView:
    uuid: str
    name: str
    content_type: str
    size: int
    from_reporter: bool
    created_at: datetime


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # event | message | note
    text: str
    actor: str = ""
    from_reporter: bool = False


@dataclass
class CaseContent:
    report: dict[str, Any]
    rows: list[tuple[str, str]]
    messages: list[MessageView] = field(default_factory=list)
    notes: list[NoteView] = field(default_factory=list)
    attachments: list[AttachmentView] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)


_EVENT_TEXT: dict[str, Any] = {
    AuditAction.CASE_SUBMITTED: _("Report received"),
    AuditAction.CASE_MANUAL_ENTRY: _("Recorded by hand"),
    AuditAction.CASE_TAKEN: _("Taken"),
    AuditAction.CASE_ASSIGNED: _("Assigned"),
    AuditAction.CASE_MARKED_DUPLICATE: _("Marked as duplicate"),
    AuditAction.ATTACHMENT_ADDED: _("File added"),
}
# Shown as messages and notes themselves, or too frequent to be useful in a timeline.
_EVENT_SKIP = {
    AuditAction.CASE_VIEWED, AuditAction.ATTACHMENT_DOWNLOADED, AuditAction.MESSAGE_SENT,
    AuditAction.MESSAGE_FROM_REPORTER, AuditAction.NOTE_ADDED,
}


def _event_text(entry: AuditEntry, org_names: dict[int, str]) -> str:
    data: Any = entry.data or {}  # JSON as stored
    if entry.action == AuditAction.CASE_STATUS_CHANGED:
        return str(_("Status: %(old)s → %(new)s") % {
            "old": _label(CaseStatus, data.get("from", "")), "new": _label(CaseStatus, data.get("to", "")),
        })
    if entry.action == AuditAction.CASE_TRANSFERRED:
        return str(_("Transferred from %(old)s to %(new)s") % {
            "old": org_names.get(data.get("from"), "?"), "new": org_names.get(data.get("to"), "?"),
        })
    if entry.action in _EVENT_TEXT:
        return str(_EVENT_TEXT[entry.action])
    return entry.action


def case_timeline(case: Case, messages: list[MessageView], notes: list[NoteView]) -> list[TimelineItem]:
    entries = [e for e in AuditEntry.objects.filter(case_id=case.pk).order_by("id") if e.action not in _EVENT_SKIP]
    org_ids = {v for e in entries for k, v in (e.data or {}).items() if k in ("from", "to") and isinstance(v, int)}
    org_names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    items = [
        TimelineItem(at=e.created_at, kind="event", text=_event_text(e, org_names), actor=e.actor_label)
        for e in entries
    ]
    items += [
        TimelineItem(at=m.created_at, kind="message", text=m.text, actor=m.author, from_reporter=m.from_reporter)
        for m in messages
    ]
    items += [TimelineItem(at=n.created_at, kind="note", text=n.text, actor=n.author) for n in notes]
    return sorted(items, key=lambda item: item.at)


def case_content(*, case: Case, keys: CaseKeys) -> CaseContent:
    """Everything of a case decrypted for its organisation's members."""
    report = report_decrypt(case=case, case_key=keys.case_key)
    content = CaseContent(report=report, rows=report_rows(report, district_names()))
    reporter_label = str(_("Reporter"))
    for message in case.messages.select_related("author").all():
        message.case = case
        content.messages.append(MessageView(
            id=message.pk, from_reporter=message.direction == message.Direction.FROM_REPORTER,
            author=reporter_label if message.author is None else message.author.get_username(),
            text=message_text(message=message, case_key=keys.case_key),
            created_at=message.created_at, read_at=message.read_at,
        ))
    if keys.internal_key is not None:
        for note in case.notes.select_related("author").all():
            note.case = case
            content.notes.append(NoteView(
                id=note.pk, author=note.author.get_username() if note.author else "",
                text=note_text(note=note, internal_key=keys.internal_key), created_at=note.created_at,
            ))
    # In id order: the reporter's files carry only the hour (reporting.traces).
    for attachment in case.attachments.all().order_by("id"):
        attachment.case = case
        meta = attachment_meta(attachment=attachment, case_key=keys.case_key)
        content.attachments.append(AttachmentView(
            uuid=attachment.uuid.hex, name=str(meta.get("name", "")), content_type=str(meta.get("content_type", "")),
            size=int(meta.get("size", 0)), from_reporter=attachment.from_reporter, created_at=attachment.created_at,
        ))
    content.timeline = case_timeline(case, content.messages, content.notes)
    return content


def attachment_for_case(case: Case, attachment_uuid: UUID) -> Attachment | None:
    attachment = Attachment.objects.filter(case=case, uuid=attachment_uuid).first()
    if attachment is not None:
        attachment.case = case
    return attachment


def transfer_targets(case: Case) -> QuerySet[Organisation]:
    return Organisation.objects.filter(active=True).exclude(pk=case.organisation_id).order_by("name")
