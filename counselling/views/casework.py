"""Staff pages of the counselling work (SPEC §5.1): the forms of the case page's casework
section (``templates/counselling/_casework.html``), the funder statistics page and its CSV,
and the network export download.

Each form posts here, is checked with the same input serializer as its API twin
(``counselling.api.counselling``), calls one service and goes back to the case page with a
message. Access as everywhere: 404 for anything the caller may not act on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework import serializers

from counselling import casework
from counselling.access import (
    get_case_for_action,
    key_required,
    oversight_membership,
    request_case_keys,
)
from counselling.api import counselling as api
from counselling.decorators import staff_required
from counselling.forms import ConsentRecordForm
from counselling.funder import funder_csv, funder_statistics
from counselling.models import Membership
from counselling.views.common import _case_url, _page
from reporting.models import Case, Organisation, PublicSummary
from reporting.services import CaseKeys, ServiceError
from reporting.services.consent import consent_record, summary_draft, summary_text


def consent_of(case: Case) -> dict[str, bool]:
    return {"contact": case.consent_contact, "statistics": case.consent_statistics,
            "network": case.consent_network, "publication": case.consent_publication}


def consent_choices(case: Case) -> list[tuple[str, str, bool]]:
    """(purpose, label, given) for the form that records a hand-recorded case's consent."""
    form = ConsentRecordForm()
    return [(purpose, str(form.fields[f"consent_{purpose}"].label), given)
            for purpose, given in consent_of(case).items()]


def summaries_of(case: Case, case_key: bytes) -> list[dict[str, Any]]:
    return [{"id": s.pk, "state": s.state, "state_label": s.get_state_display(),
             "text": summary_text(summary=s, case_key=case_key)}
            for s in PublicSummary.objects.filter(case=case).select_related("case")]


def _post(request: HttpRequest, case_id: int, serializer_class: type[serializers.Serializer],
          act: Callable[[Case, CaseKeys, dict[str, Any]], Any], done: str) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    data = serializer_class(data=request.POST)
    if not data.is_valid():
        names = ", ".join(str(data.fields[name].label or name) for name in data.errors if name in data.fields)
        messages.error(request, _("Some answers need another look: %(fields)s") % {"fields": names})
        return redirect(_case_url(case) + "#casework")
    keys = request_case_keys(request, case)
    try:
        act(case, keys, data.validated_data)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_case_url(case) + "#casework")
    messages.success(request, done)
    return redirect(_case_url(case) + "#casework")


def _internal(keys: CaseKeys) -> bytes:
    return keys.internal_key or b""


@require_POST
@staff_required
@key_required
def contact_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.ContactInput, lambda case, keys, d: casework.contact_add(
        actor=request.user, case=case, internal_key=_internal(keys), **d), _("The contact has been documented."))


@require_POST
@staff_required
@key_required
def intervention_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.InterventionInput, lambda case, keys, d: casework.intervention_add(
        actor=request.user, case=case, internal_key=_internal(keys), **d),
        _("The intervention has been documented."))


@require_POST
@staff_required
@key_required
def justice_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.JusticeInput, lambda case, keys, d: casework.justice_track_set(
        actor=request.user, case=case, internal_key=_internal(keys), **d),
        _("The criminal-justice track has been saved."))


@require_POST
@staff_required
@key_required
def deadline_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.DeadlineInput, lambda case, keys, d: casework.deadline_set(
        actor=request.user, case=case, internal_key=_internal(keys), **d), _("The deadline has been set."))


@require_POST
@staff_required
def deadline_done_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    data = api.DeadlineDoneInput(data=request.POST)
    try:
        if not data.is_valid():
            raise ServiceError("invalid", _("This deadline does not exist."))
        casework.deadline_done(actor=request.user, case=case, deadline_id=data.validated_data["deadline"])
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_case_url(case) + "#casework")
    messages.success(request, _("The deadline is marked done."))
    return redirect(_case_url(case) + "#casework")


@require_POST
@staff_required
@key_required
def referral_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.ReferralInput, lambda case, keys, d: casework.referral_add(
        actor=request.user, case=case, internal_key=_internal(keys), **d), _("The referral has been documented."))


@require_POST
@staff_required
@key_required
def close_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.CloseInput, lambda case, keys, d: casework.case_close_with_outcome(
        actor=request.user, case=case, internal_key=_internal(keys), **d),
        _("The case is closed with its outcome."))


@require_POST
@staff_required
@key_required
def summary_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _post(request, case_id, api.SummaryInput, lambda case, keys, d: summary_draft(
        case=case, case_key=keys.case_key, text=d["text"], actor=request.user),
        _("The summary waits for the reporter's answer."))


@require_POST
@staff_required
def consent_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record the consent by purpose that the person of a hand-recorded case gave."""
    case = get_case_for_action(request.user, case_id)
    form = ConsentRecordForm(request.POST)
    form.is_valid()  # four check boxes: every input is valid, an absent box is a no
    data = form.cleaned_data
    try:
        consent_record(actor=request.user, case=case, contact=data["consent_contact"],
                       statistics=data["consent_statistics"], network=data["consent_network"],
                       publication=data["consent_publication"])
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_case_url(case) + "#casework")
    messages.success(request, _("The consent is recorded."))
    return redirect(_case_url(case) + "#casework")


# --------------------------------------------------------------------------------------------
# Funder statistics


def funder_scope(membership: Membership, query: Mapping[str, Any]) -> tuple[int, list[Organisation]] | None:
    """(year, organisations) the caller may see: a partner admin their own, a coordinator all
    (or the one named by ``organisation``); None for a year that is not a number."""
    try:
        year = int(query.get("year") or timezone.localdate().year)
    except (TypeError, ValueError):
        return None
    if not 2000 <= year <= 2100:
        return None
    if membership.is_coordinator:
        organisations = list(Organisation.objects.order_by("name"))
        slug = query.get("organisation")
        if slug:
            organisations = [o for o in organisations if o.slug == slug]
    else:
        organisations = [membership.organisation] if membership.organisation else []
    return year, organisations


@require_GET
@staff_required
def funder_page(request: HttpRequest) -> HttpResponse:
    membership = oversight_membership(request)
    scope = funder_scope(membership, request.GET)
    if scope is None:
        scope = funder_scope(membership, {})
    assert scope is not None
    year, organisations = scope
    stats = funder_statistics(year=year, organisations=organisations)
    return _page(request, "counselling/funder.html", {"stats": stats, "year": year})


@require_GET
@staff_required
def funder_export(request: HttpRequest) -> HttpResponse:
    membership = oversight_membership(request)
    scope = funder_scope(membership, request.GET) or funder_scope(membership, {})
    assert scope is not None
    year, organisations = scope
    response = HttpResponse(funder_csv(funder_statistics(year=year, organisations=organisations)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="counselling-{year}.csv"'
    return response


# --------------------------------------------------------------------------------------------
# Exports to monitoring networks


def export_scope(membership: Membership) -> int | None:
    """The organisation whose incidents the caller exports; None: all (the coordinator)."""
    return None if membership.is_coordinator else membership.organisation_id


@require_GET
@staff_required
def network_export_view(request: HttpRequest, network: str) -> HttpResponse:
    from stats.networks import UnknownNetwork, network_export

    membership = oversight_membership(request)
    scope = funder_scope(membership, request.GET) or funder_scope(membership, {})
    assert scope is not None
    try:
        body = network_export(actor=request.user, network=network, year=scope[0],
                              organisation_id=export_scope(membership))
    except UnknownNetwork:
        raise Http404 from None
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{network}-{scope[0]}.csv"'
    return response
