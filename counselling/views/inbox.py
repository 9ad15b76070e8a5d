"""The inbox and manual entry of a case (SPEC §5)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from counselling import selectors
from counselling.access import membership_of
from counselling.decorators import staff_required
from counselling.forms import ManualEntryForm
from counselling.views.common import _case_url, _page
from reporting.models import Case
from reporting.services import ReportInput, report_submit


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    tab = request.GET.get("tab", selectors.DEFAULT_TAB)
    if tab not in selectors.TABS:
        tab = selectors.DEFAULT_TAB
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
        cases = selectors.inbox_cases(membership=membership, tab=tab, filters=filters, cutoff=cutoff)
        page = selectors.CountedPaginator(cases, selectors.PAGE_SIZE, count=counts[tab]).get_page(
            request.GET.get("page"))
        for case in page.object_list:
            case.district_name = names.get(case.district, case.district)
    query = {k: v for k, v in (("status", filters.status), ("district", filters.district),
                               ("motive", filters.motive), ("assignee", filters.assignee)) if v}
    return _page(request, "counselling/inbox.html", {
        "tab": tab, "tabs": [(key, label, counts.get(key, 0)) for key, label in selectors.TABS.items()],
        "page": page, "filters": filters, "filter_query": urlencode(query), "tab_query": urlencode({"tab": tab, **query}),
        "districts": names, "statuses": Case._meta.get_field("status").choices,
        "motives": selectors.taxonomy.Motive.choices, "colleagues": selectors.colleagues(
            membership.organisation if membership else None),
        "cutoff": cutoff, "unread_count": counts.get("unread", 0),
    })


@staff_required
def manual_entry(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    if membership is None or membership.organisation is None:
        raise Http404
    form = ManualEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = ReportInput(
            description=data["description"], incident_type=data["incident_type"], occurred_on=data["occurred_on"],
            district=data["district"], area_of_life=data["area_of_life"], place_details=data["place_details"],
            motives=list(data["motives"]), role=data["role"], wants_counselling=data["wants_counselling"],
            language=data["language"], channel=data["channel"], contact_method="",
        )
        submitted = report_submit(report=report, organisation=membership.organisation, actor=request.user)
        messages.success(request, _("Case %(reference)s has been recorded.") % {"reference": submitted.case.reference})
        return redirect(_case_url(submitted.case))
    return _page(request, "counselling/manual_entry.html", {"form": form})
