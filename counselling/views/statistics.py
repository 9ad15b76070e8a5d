"""Internal statistics for staff: the unsuppressed dashboard (coordinator: everything,
partner admin: their own organisation) and publication of a year (coordinator only).

They live on the staff side because they need staff roles; the stats app stays free of
counselling imports (dependencies point one way, SPEC layout).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from counselling.access import coordinator_membership, oversight_membership
from counselling.decorators import staff_required
from counselling.views.common import _page
from reporting import places
from reporting.models import Organisation
from reporting.services import ServiceError
from reporting.taxonomy import IncidentType, Motive
from stats import presentation, selectors
from stats.services import PublicationRefused, statistics_export_log, statistics_publish


class DashboardFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    district = forms.ChoiceField(label=_("District"), required=False, choices=())
    motive = forms.ChoiceField(label=_("Motive"), required=False, choices=())
    incident_type = forms.ChoiceField(label=_("Type of incident"), required=False, choices=())
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args: object, all_organisations: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        anything = [("", gettext("All"))]
        cast(forms.TypedChoiceField, self.fields["year"]).choices = [(y, str(y)) for y in selectors.record_years()]
        cast(forms.ChoiceField, self.fields["district"]).choices = anything + [
            (key, presentation.label("district", key))
            for key in places.place_keys()
        ]
        cast(forms.ChoiceField, self.fields["motive"]).choices = anything + list(Motive.choices)
        cast(forms.ChoiceField, self.fields["incident_type"]).choices = anything + list(IncidentType.choices)
        if all_organisations:
            cast(forms.TypedChoiceField, self.fields["organisation"]).choices = anything + [
                (org.pk, org.name) for org in Organisation.objects.order_by("name")
            ]
        else:
            del self.fields["organisation"]


def _dashboard_filter(request: HttpRequest) -> tuple[DashboardFilterForm, selectors.DashboardFilter, int | None]:
    membership = oversight_membership(request)
    everything = membership.is_coordinator
    data = request.GET.copy()
    data.setdefault("year", str(timezone.localdate().year))
    form = DashboardFilterForm(data, all_organisations=everything)
    if not form.is_valid():
        form = DashboardFilterForm(
            {"year": str(timezone.localdate().year)}, all_organisations=everything
        )
        form.is_valid()
    clean = form.cleaned_data
    organisation_id = clean.get("organisation") if everything else membership.organisation_id
    flt = selectors.DashboardFilter(
        year=clean["year"],
        organisation_id=organisation_id,
        district=clean.get("district") or "",
        motive=clean.get("motive") or "",
        incident_type=clean.get("incident_type") or "",
    )
    return form, flt, organisation_id


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, flt, organisation_id = _dashboard_filter(request)
    membership = oversight_membership(request)
    internal = selectors.internal_tables(flt)
    organisation = (
        Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    )
    return _page(
        request,
        "counselling/statistics.html",
        {
            "form": form,
            "filter": flt,
            "membership": membership,
            "organisation": organisation,
            "total": internal["total"],
            "views": presentation.table_views(internal, k=None),
            "export_query": request.GET.urlencode(),
        },
    )


@staff_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    _form, flt, organisation_id = _dashboard_filter(request)
    membership = oversight_membership(request)
    internal = selectors.internal_tables(flt)
    statistics_export_log(
        actor=request.user, organisation_id=organisation_id or membership.organisation_id,
        filters=flt.as_audit_data(),
    )
    response = HttpResponse(presentation.internal_csv(internal), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="statistics-internal-{flt.year}.csv"'
    )
    return response


class PublishForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a correction: say what changed against the previous version."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.TypedChoiceField, self.fields["year"]).choices = [(y, str(y)) for y in selectors.record_years()]


@staff_required
def publish(request: HttpRequest) -> HttpResponse:
    membership = coordinator_membership(request)
    form = PublishForm(request.POST or None)
    unprotected: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        try:
            publication = statistics_publish(
                actor=request.user, year=form.cleaned_data["year"], note=form.cleaned_data["note"]
            )
        except PublicationRefused as refused:
            form.add_error(None, refused.message)
            unprotected = [
                {"version": version, "table": presentation.TABLE_TITLES.get(table, table),
                 "cell": presentation.label(table, code)}
                for version, table, code in refused.cells
            ]
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                gettext("Published %(year)s, version %(version)s.")
                % {"year": publication.year, "version": publication.version},
            )
            return redirect(reverse("stats:year", args=[publication.year]))
    previews = [
        {"year": year, "counted": selectors.counted_records(year=year).count(),
         "latest": selectors.latest_publication(year)}
        for year in selectors.record_years()
    ]
    return _page(
        request,
        "counselling/statistics_publish.html",
        {"membership": membership, "form": form, "previews": previews, "k": selectors.min_cell(),
         "unprotected": unprotected},
    )
