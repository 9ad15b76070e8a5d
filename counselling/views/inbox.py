"""The inbox and manual entry of a case (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from counselling import selectors
from counselling.access import membership_of
from counselling.decorators import staff_required
from counselling.forms import ManualEntryForm, manual_report
from counselling.views.common import _case_url, _page
from reporting.models import Case
from reporting.services import report_submit


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    tab = request.GET.get("tab", selectors.DEFAULT_TAB)
    if tab not in selectors.TABS:
        tab = selectors.DEFAULT_TAB
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    filters = selectors.InboxFilters.from_query(request.GET)
    page = None
    counts: dict[str, int] = {}
    cutoff = None
    names = selectors.district_names()
    if membership is not None and membership.organisation is not None:
        # One cut-off for the counts and the list, and the tab's count doubles as the
        # paginator's total: one aggregate query instead of an extra COUNT(*).
        cutoff = selectors.overdue_cutoff(membership.organisation)
        counts = selectors.inbox_counts(membership=membership, filters=filters, cutoff=cutoff)
        cases = selectors.inbox_cases(membership=membership, tab=tab, filters=filters, cutoff=cutoff, sort=sort)
        page = selectors.CountedPaginator(cases, selectors.PAGE_SIZE, count=counts[tab]).get_page(
            request.GET.get("page"))
        inbox_rows(page.object_list, names=names, cutoff=cutoff)
    query = {k: v for k, v in (("status", filters.status), ("district", filters.district),
                               ("motive", filters.motive), ("assignee", filters.assignee)) if v}
    return _page(request, "counselling/inbox.html", {
        "tab": tab, "tabs": [(key, label, counts.get(key, 0)) for key, label in selectors.TABS.items()],
        "page": page, "filters": filters, "filter_query": urlencode(query),
        "tab_query": urlencode({"tab": tab, **query, **({"sort": sort} if sort != selectors.DEFAULT_SORT else {})}),
        "columns": sort_columns(tab=tab, query=query, sort=sort),
        "sort": sort, "filtered": bool(query),
        "districts": names, "statuses": Case._meta.get_field("status").choices,
        "motives": selectors.taxonomy.Motive.choices, "colleagues": selectors.colleagues(
            membership.organisation if membership else None),
        "cutoff": cutoff, "unread_count": counts.get("unread", 0),
        "unopenable": selectors.unopenable_cases(membership.organisation if membership else None),
    })


# (the ?sort= a first click applies, label) per column, in the table's order; None: not sortable.
# "Received" starts newest first, "Waiting" longest waiting first; a second click turns it round.
SORTABLE = (
    ("-received", _lazy("Received")),
    ("received", _lazy("Waiting")),
    ("type", _lazy("Incident")),
    (None, _lazy("Motives")),
    ("district", _lazy("Place")),
    ("language", _lazy("Language")),
    ("counselling", _lazy("Wants counselling")),
    ("files", _lazy("Files")),
    ("unread", _lazy("Unread")),
    ("status", _lazy("Status")),
)


def _opposite(sort: str) -> str:
    return sort[1:] if sort.startswith("-") else f"-{sort}"


def sort_columns(*, tab: str, query: dict[str, str], sort: str) -> list[dict[str, object]]:
    """Header cells: label, the link that sorts by the column (or turns the order round), and
    aria-sort for the column the list is sorted by."""
    columns = []
    for first, label in SORTABLE:
        cell: dict[str, object] = {"label": label, "url": None, "aria_sort": None, "key": first}
        if first is not None:
            both_received = first.lstrip("-") == "received"
            current = sort == first if both_received else sort in (first, _opposite(first))
            target = _opposite(sort) if current else first
            cell["url"] = "?" + urlencode({"tab": tab, **query, "sort": target})
            if current:
                cell["aria_sort"] = "descending" if sort.startswith("-") else "ascending"
        columns.append(cell)
    return columns


def inbox_rows(cases: Iterable[Case], *, names: dict[str, str], cutoff: datetime | None) -> None:
    """Adds what a row shows beyond the columns: names for codes, days waiting, severity."""
    today = timezone.localdate()
    for case in cases:
        case.district_name = names.get(case.district, case.district)  # type: ignore[attr-defined]
        case.language_name = language_name(case.language)  # type: ignore[attr-defined]
        case.type_label = selectors._label(selectors.taxonomy.IncidentType, case.incident_type)  # type: ignore[attr-defined]
        rank = selectors.severity_rank(case.incident_type)
        case.severity_level = "high" if rank <= 1 else "medium" if rank <= 3 else "low"  # type: ignore[attr-defined]
        case.motive_labels = [selectors._label(selectors.taxonomy.Motive, m) for m in case.motives or []]  # type: ignore[attr-defined]
        waiting = case.is_open and case.first_reply_at is None
        case.days_waiting = (today - case.received_on).days if waiting else None  # type: ignore[attr-defined]
        case.overdue = bool(waiting and cutoff and case.created_at < cutoff)  # type: ignore[attr-defined]


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


@staff_required
def manual_entry(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    if membership is None or membership.organisation is None:
        raise Http404
    form = ManualEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        submitted = report_submit(report=manual_report(form.cleaned_data), organisation=membership.organisation,
                                  actor=request.user)
        messages.success(request, _("Case %(reference)s has been recorded.") % {"reference": submitted.case.reference})
        return redirect(_case_url(submitted.case))
    return _page(request, "counselling/manual_entry.html", {"form": form})
