"""Reads of the staff side: the inbox (no decryption) and the decrypted case view.

The inbox is built on `Case.organisation` so the (organisation, status, -created_at) and
(organisation, -created_at) indexes carry it; the assignee comes in the same query. The
"copies" tab lists the cases another organisation is responsible for but of which the
member's organisation kept a copy (a `CaseGrant`, see `case_transfer(keep_copy=True)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case as DjCase
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from counselling.models import Membership
from reporting import places, taxonomy
from reporting.audit import AuditAction, audit_action
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
# Incident types from the gravest down (the inbox's "type" sort and its severity marks).
SEVERITY: tuple[str, ...] = (
    taxonomy.IncidentType.EXTREME_VIOLENCE, taxonomy.IncidentType.ASSAULT, taxonomy.IncidentType.THREAT,
    taxonomy.IncidentType.PROPERTY_DAMAGE, taxonomy.IncidentType.DISCRIMINATION,
    taxonomy.IncidentType.OFFENSIVE_BEHAVIOUR, taxonomy.IncidentType.MASS_MAILING,
)
# ?sort= values of the inbox and GET /api/v1/cases/: each a column, "-" for the other direction.
SORTS: dict[str, tuple[str, ...]] = {
    "received": ("created_at", "id"),  # oldest first: the longest waiting on top
    "-received": ("-created_at", "-id"),
    "type": ("severity", "-created_at", "-id"),  # gravest first
    "-type": ("-severity", "-created_at", "-id"),
    "district": ("district", "-created_at", "-id"),
    "-district": ("-district", "-created_at", "-id"),
    "language": ("language", "-created_at", "-id"),
    "-language": ("-language", "-created_at", "-id"),
    "counselling": ("-wants_counselling", "-created_at", "-id"),
    "-counselling": ("wants_counselling", "-created_at", "-id"),
    "files": ("-file_count", "-created_at", "-id"),
    "-files": ("file_count", "-created_at", "-id"),
    "unread": ("-staff_unread", "-created_at", "-id"),
    "-unread": ("staff_unread", "-created_at", "-id"),
    "status": ("status", "-created_at", "-id"),
    "-status": ("-status", "-created_at", "-id"),
}
DEFAULT_SORT = "-received"
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


def severity_rank(incident_type: str) -> int:
    return SEVERITY.index(incident_type) if incident_type in SEVERITY else len(SEVERITY)


def inbox_cases(
    *, membership: Membership, tab: str, filters: InboxFilters, cutoff: datetime | None = None,
    sort: str = DEFAULT_SORT,
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
    files = (Attachment.objects.filter(case=OuterRef("pk")).order_by().values("case")
             .annotate(n=Count("id")).values("n"))
    severity = DjCase(*(When(incident_type=code, then=Value(rank)) for rank, code in enumerate(SEVERITY)),
                      default=Value(len(SEVERITY)), output_field=IntegerField())
    return (
        queryset
        .select_related("assignee", "organisation")
        .only(
            "id", "reference", "status", "assignee__id", "assignee__username", "channel", "received_on",
            "district", "incident_type", "motives", "staff_unread", "reporter_unread", "first_reply_at",
            "created_at", "organisation__id", "organisation__slug", "organisation__name", "duplicate_of_id",
            "language", "wants_counselling",
        )
        .annotate(file_count=Coalesce(Subquery(files, output_field=IntegerField()), 0), severity=severity)
        .order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))
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


def unopenable_cases(organisation: Organisation | None) -> list[Case]:
    """Cases of the organisation whose browser-made seal did not open with its key (flagged at
    an unlock, reporting's browser_seals_check): nobody can read them."""
    if organisation is None:
        return []
    return list(Case.objects.filter(
        grants__organisation=organisation, grants__seal_check=CaseGrant.SealCheck.UNOPENABLE,
    ).only("pk", "reference").order_by("pk"))


def case_unopenable(case: Case, organisation: Organisation | None) -> bool:
    """Whether the organisation's grant of the case is flagged as not opening (see above)."""
    return organisation is not None and CaseGrant.objects.filter(
        case=case, organisation=organisation, seal_check=CaseGrant.SealCheck.UNOPENABLE,
    ).exists()


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


def reported_date(report: dict[str, Any]) -> str:
    """The incident date as the staff pages write every date (SHORT_DATE_FORMAT), or its month."""
    day, month = report.get("occurred_on"), report.get("occurred_month")
    if isinstance(day, str) and day:
        try:
            return date_format(date.fromisoformat(day), "SHORT_DATE_FORMAT")
        except ValueError:
            return day
    if isinstance(month, str) and month:
        try:
            year, number = (int(part) for part in month.split("-", 1))
            return date_format(date(year, number, 1), "YEAR_MONTH_FORMAT")
        except ValueError:
            return month
    return ""


def report_rows(report: dict[str, Any], districts: dict[str, str]) -> list[tuple[str, str]]:
    """The report's fields as (label, value) rows, codes turned into their labels."""
    yes, no = str(_("Yes")), str(_("No"))
    contact = {"mailbox": _("Anonymous mailbox"), "email": _("E-mail"), "phone": _("Phone")}
    rows: list[tuple[Any, Any]] = [
        (_("How it reached us"), _label(taxonomy.Channel, report.get("channel", ""))),
        (_("What happened"), report.get("description", "")),
        (_("Kind of incident"), _label(taxonomy.IncidentType, report.get("incident_type", ""))),
        (_("Date"), reported_date(report)),
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


# Every action of the audit vocabulary in words (issue 19): the timeline never shows a raw id.
EVENT_LABELS: dict[AuditAction, Any] = {
    AuditAction.CASE_SUBMITTED: _("Report received"),
    AuditAction.CASE_MANUAL_ENTRY: _("Recorded by hand"),
    AuditAction.CASE_SHREDDED: _("Case deleted"),
    AuditAction.CASE_SEAL_UNOPENABLE: _("Report cannot be opened: encrypted to another key"),
    AuditAction.ATTACHMENT_ADDED: _("File added"),
    AuditAction.ATTACHMENT_CLEANED: _("Hidden information removed from a file"),
    AuditAction.MESSAGE_FROM_REPORTER: _("Message from the reporter"),
    AuditAction.ORGANISATION_CREATED: _("Organisation created"),
    AuditAction.ORGANISATION_UPDATED: _("Organisation settings changed"),
    AuditAction.ORGANISATION_KEY_ROTATED: _("Organisation key renewed"),
    AuditAction.ORGANISATION_KEY_ROTATION_DUE: _("Organisation key due for renewal"),
    AuditAction.ORGANISATION_KEY_MISMATCH: _("Organisation key did not match"),
    AuditAction.ORGANISATION_RECOVERY_KEY_SET: _("Recovery key set"),
    AuditAction.CASE_VIEWED: _("Case opened"),
    AuditAction.CASE_TAKEN: _("Taken"),
    AuditAction.CASE_ASSIGNED: _("Assigned"),
    AuditAction.CASE_STATUS_CHANGED: _("Status changed"),
    AuditAction.CASE_TRANSFERRED: _("Transferred"),
    AuditAction.CASE_MARKED_DUPLICATE: _("Marked as duplicate"),
    AuditAction.CASE_UNMARKED_DUPLICATE: _("No longer a duplicate"),
    AuditAction.CASE_CLASSIFIED: _("Classified for the statistics"),
    AuditAction.ATTACHMENT_DOWNLOADED: _("File downloaded"),
    AuditAction.ATTACHMENT_VIEWED: _("File viewed"),
    AuditAction.MESSAGE_SENT: _("Message to the reporter"),
    AuditAction.NOTE_ADDED: _("Internal note"),
    AuditAction.AUTH_LOGIN: _("Logged in"),
    AuditAction.AUTH_LOGIN_FAILED: _("Login failed"),
    AuditAction.AUTH_UNLOCKED: _("Key unlocked"),
    AuditAction.AUTH_LOGOUT: _("Logged out"),
    AuditAction.MEMBER_CREATED: _("Account created"),
    AuditAction.MEMBER_GRANTED: _("Key access granted"),
    AuditAction.MEMBER_REVOKED: _("Key access revoked"),
    AuditAction.MEMBER_PASSWORD_CHANGED: _("Password changed"),
    AuditAction.MEMBER_PASSWORD_RESET: _("Password reset"),
    AuditAction.REPLY_TEMPLATE_SAVED: _("Reply template saved"),
    AuditAction.REPLY_TEMPLATE_DELETED: _("Reply template deleted"),
    AuditAction.CONTACT_ADDED: _("Contact documented"),
    AuditAction.INTERVENTION_ADDED: _("Intervention documented"),
    AuditAction.JUSTICE_TRACK_UPDATED: _("Criminal-justice track updated"),
    AuditAction.DEADLINE_SET: _("Deadline set"),
    AuditAction.DEADLINE_DONE: _("Deadline done"),
    AuditAction.DEADLINE_REMINDER_SENT: _("Deadline reminder sent"),
    AuditAction.DEADLINE_REMINDER_FAILED: _("Deadline reminder failed"),
    AuditAction.REFERRAL_ADDED: _("Referral documented"),
    AuditAction.CASE_CLOSED_WITH_OUTCOME: _("Closed with an outcome"),
    AuditAction.DIRECTORY_UPDATED: _("Help directory updated"),
    AuditAction.HELP_SERVICE_SAVED: _("Help page entry saved"),
    AuditAction.HELP_SERVICE_DELETED: _("Help page entry deleted"),
    AuditAction.SUMMARY_DRAFTED: _("Public summary drafted"),
    AuditAction.CONSENT_CHANGED: _("Reporter changed their consent"),
    AuditAction.CONSENT_RECORDED: _("Consent recorded for the person"),
    AuditAction.SUMMARY_ANSWERED: _("Reporter answered the summary"),
    AuditAction.OUTCOME_QUESTION_ASKED: _("Reporter asked how it went"),
    AuditAction.OUTCOME_QUESTION_ANSWERED: _("Reporter answered how it went"),
    AuditAction.NETWORK_EXPORTED: _("Export for a monitoring network"),
    AuditAction.STATS_RECORDS_IMPORTED: _("Statistics records imported"),
    AuditAction.STATS_PUBLISHED: _("Statistics published"),
    AuditAction.STATS_EXPORTED: _("Statistics exported"),
    AuditAction.CHAIN_KEYED: _("Audit log secured"),
    AuditAction.ANCHORED: _("Audit log anchored"),
}
# Shown as messages and notes themselves, or too frequent to be useful in a timeline.
_EVENT_SKIP = {
    AuditAction.CASE_VIEWED, AuditAction.ATTACHMENT_DOWNLOADED, AuditAction.ATTACHMENT_VIEWED,
    AuditAction.MESSAGE_SENT, AuditAction.MESSAGE_FROM_REPORTER, AuditAction.NOTE_ADDED,
}


def event_label(action: str) -> str:
    """The action in words in the active language; an unknown value never shows as itself."""
    try:
        return str(EVENT_LABELS[audit_action(action)])
    except (KeyError, ValueError):
        return str(_("Other change"))


def _event_text(entry: AuditEntry, org_names: dict[int, str], user_names: dict[int, str]) -> str:
    data: Any = entry.data or {}  # JSON as stored
    if entry.action == AuditAction.CASE_STATUS_CHANGED:
        return str(_("Status: %(old)s → %(new)s") % {
            "old": _label(CaseStatus, data.get("from", "")), "new": _label(CaseStatus, data.get("to", "")),
        })
    if entry.action == AuditAction.CASE_TRANSFERRED:
        return str(_("Transferred from %(old)s to %(new)s") % {
            "old": org_names.get(data.get("from"), "?"), "new": org_names.get(data.get("to"), "?"),
        })
    if entry.action == AuditAction.CASE_ASSIGNED:
        if data.get("assignee") is None:
            return str(_("No longer assigned to anyone"))
        return str(_("Assigned to %(name)s") % {"name": user_names.get(data.get("assignee"), "?")})
    return event_label(entry.action)


def case_timeline(case: Case, messages: list[MessageView], notes: list[NoteView]) -> list[TimelineItem]:
    entries = [e for e in AuditEntry.objects.filter(case_id=case.pk).order_by("id") if e.action not in _EVENT_SKIP]
    org_ids = {v for e in entries for k, v in (e.data or {}).items() if k in ("from", "to") and isinstance(v, int)}
    org_names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    user_ids = {(e.data or {}).get("assignee") for e in entries if e.action == AuditAction.CASE_ASSIGNED}
    user_names = dict(get_user_model().objects.filter(pk__in=[i for i in user_ids if isinstance(i, int)])
                      .values_list("pk", "username"))
    items = [
        TimelineItem(at=e.created_at, kind="event", text=_event_text(e, org_names, user_names),
                     actor=e.actor_label)
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
