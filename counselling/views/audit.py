"""The audit log pages (SPEC §5): who did what, when, to which case — never content.

Partner admins see their organisation's entries, the coordinator sees all; everyone else
gets a 404, so the page does not reveal itself. The coordinator also sees the chain's status
as of the last daily check and the anchors e-mailed to them (SPEC §3.9), newest first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from counselling.access import oversight_membership
from counselling.decorators import staff_required
from counselling.models import Membership
from counselling.views.common import _page
from reporting.models import AuditAnchor, AuditEntry, Organisation

ENTRIES_PER_PAGE = 100
ANCHORS_SHOWN = 30
MAX_ACTION_FILTER = 80


def audit_entries_visible_to(
    membership: Membership, *, action_prefix: str = "", case_id: int | None = None
) -> QuerySet[AuditEntry]:
    """Newest first; the coordinator's view is unrestricted, a partner admin's is their own
    organisation's. Only the columns the page shows are loaded (never `data`)."""
    entries = AuditEntry.objects.only(
        "id", "created_at", "actor_label", "action", "organisation_id", "case_id"
    ).order_by("-id")
    if not membership.is_coordinator:
        entries = entries.filter(organisation_id=membership.organisation_id)
    if action_prefix:
        entries = entries.filter(action__startswith=action_prefix)
    if case_id is not None:
        entries = entries.filter(case_id=case_id)
    return entries


@staff_required
def audit_log_view(request: HttpRequest) -> HttpResponse:
    membership = oversight_membership(request)
    action_prefix = request.GET.get("action", "").strip()[:MAX_ACTION_FILTER]
    raw_case = request.GET.get("case", "").strip()
    case_id: int | None = None
    filter_error: Any = ""
    if raw_case:
        if raw_case.isdigit() and len(raw_case) <= 18:
            case_id = int(raw_case)
        else:
            filter_error = _("A case id is a whole number.")
    entries = audit_entries_visible_to(membership, action_prefix=action_prefix, case_id=case_id)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query: dict[str, Any] = {}
    if action_prefix:
        query["action"] = action_prefix
    if case_id is not None:
        query["case"] = case_id
    organisation_names: dict[int, str] = {}
    if membership.is_coordinator:
        ids = {entry.organisation_id for entry in page if entry.organisation_id is not None}
        organisation_names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = [
        {"entry": entry, "organisation": organisation_names.get(entry.organisation_id or 0, "")}
        for entry in page
    ]
    anchors: list[AuditAnchor] = []
    anchor_count = 0
    if membership.is_coordinator:
        anchors = list(AuditAnchor.objects.order_by("-id")[:ANCHORS_SHOWN])
        anchor_count = AuditAnchor.objects.count()
    return _page(
        request,
        "counselling/audit.html",
        {
            "membership": membership,
            "page": page,
            "action_prefix": action_prefix,
            "case_filter": raw_case,
            "filter_error": filter_error,
            "rows": rows,
            "filter_query": urlencode(query),
            "all_organisations": membership.is_coordinator,
            "organisation": membership.organisation,
            "anchors": anchors,
            "anchor_count": anchor_count,
            "last_check": anchors[0] if anchors else None,
        },
    )
