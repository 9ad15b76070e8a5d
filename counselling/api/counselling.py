"""Staff API twins of the counselling work (SPEC §5.1, §7): one view per operation.

Reading the casework needs a grant (copy holders read too); every write needs the responsible
organisation; anything else is 404. Writes that encrypt need the unlocked organisation key
(``key_required``: 403 ``not_unlocked`` without it). Bad input is 400 with the fields named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from counselling import casework
from counselling.access import (
    coordinator_membership,
    get_case_for_action,
    get_case_for_member,
    key_required,
    membership_of,
    oversight_membership,
    request_case_keys,
)
from counselling.api.views import CreatedOutput, StaffAPIView
from counselling.codes import (
    ContactMode,
    DeadlineKind,
    InterventionCode,
    JusticeOutcome,
    Outcome,
    Proceedings,
    ReferralReason,
    YesNoUnknown,
)
from counselling.funder import funder_statistics
from meldestelle.api import ERROR, invalid
from meldestelle.errors import ApplicationError
from meldestelle.pagination import PagePagination, page_of
from reporting.models import Case, HelpService
from reporting.services import CaseKeys, help_service_delete, help_service_save, help_services
from reporting.services.consent import consent_record, summary_draft
from reporting.services.help import phone_is_valid
from reporting.taxonomy import REPORTER_LANGUAGES, CaseStatus

WRITE_RESPONSES = {201: CreatedOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


def _write(request: Request, case_id: int, serializer_class: type[serializers.Serializer],
           act: Callable[[Case, CaseKeys, dict[str, Any]], Any], *, created: bool = True) -> Response:
    """Access (404) first, then the input (400), then the keys (403), then the service."""
    case = get_case_for_action(request.user, case_id)
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    keys = request_case_keys(request, case)
    result = act(case, keys, data.validated_data)  # an ApplicationError is the API's error answer
    return Response({"id": result.pk}, status=201 if created else 200)


class ContactInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ContactMode.choices)
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, default=None,
                                                min_value=1, max_value=1440)
    who = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CaseContactView(StaffAPIView):
    @extend_schema(request=ContactInput, responses=WRITE_RESPONSES, tags=["staff"],
                   summary="Document a counselling contact")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, ContactInput, lambda case, keys, d: casework.contact_add(
            actor=request.user, case=case, internal_key=keys.internal_key or b"", **d))


class InterventionInput(serializers.Serializer):
    code = serializers.ChoiceField(choices=InterventionCode.choices)
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CaseInterventionView(StaffAPIView):
    @extend_schema(request=InterventionInput, responses=WRITE_RESPONSES, tags=["staff"],
                   summary="Document an intervention")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, InterventionInput, lambda case, keys, d: casework.intervention_add(
            actor=request.user, case=case, internal_key=keys.internal_key or b"", **d))


class JusticeInput(serializers.Serializer):
    reported_to_police = serializers.ChoiceField(choices=YesNoUnknown.choices)
    politically_motivated = serializers.ChoiceField(
        choices=YesNoUnknown.choices, help_text="classified by the police as politically motivated crime (PMK)")
    proceedings = serializers.ChoiceField(choices=Proceedings.choices)
    outcome = serializers.ChoiceField(choices=JusticeOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CaseJusticeView(StaffAPIView):
    @extend_schema(request=JusticeInput, responses={200: CreatedOutput, 400: ERROR, 401: ERROR, 403: ERROR,
                                                    404: ERROR},
                   tags=["staff"], summary="Set the criminal-justice track")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, JusticeInput, lambda case, keys, d: casework.justice_track_set(
            actor=request.user, case=case, internal_key=keys.internal_key or b"", **d), created=False)


class DeadlineInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DeadlineKind.choices)
    due_on = serializers.DateField()
    remind_days_before = serializers.IntegerField(required=False, default=7, min_value=0, max_value=90)
    # The metaclass moves declared fields off the class; the stubs see Field.label.
    label = serializers.CharField(required=False, allow_blank=True, default="",  # type: ignore[assignment]
                                  max_length=5000)


class CaseDeadlineView(StaffAPIView):
    @extend_schema(request=DeadlineInput, responses=WRITE_RESPONSES, tags=["staff"],
                   summary="Set a deadline with a reminder")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, DeadlineInput, lambda case, keys, d: casework.deadline_set(
            actor=request.user, case=case, internal_key=keys.internal_key or b"", **d))


class DeadlineDoneInput(serializers.Serializer):
    deadline = serializers.IntegerField(help_text="id of the deadline")


class CaseDeadlineDoneView(StaffAPIView):
    @extend_schema(request=DeadlineDoneInput, responses={200: CreatedOutput, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Mark a deadline done")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = DeadlineDoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            deadline = casework.deadline_done(actor=request.user, case=case,
                                              deadline_id=data.validated_data["deadline"])
        except ApplicationError as exc:
            raise invalid({"deadline": [exc.message]}) from exc
        return Response({"id": deadline.pk})


class ReferralInput(serializers.Serializer):
    service = serializers.IntegerField(help_text="id of an entry of the directory (GET /api/v1/directory/)")
    reason = serializers.ChoiceField(choices=ReferralReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CaseReferralView(StaffAPIView):
    @extend_schema(request=ReferralInput, responses=WRITE_RESPONSES, tags=["staff"],
                   summary="Refer to a service of the directory")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, ReferralInput, lambda case, keys, d: casework.referral_add(
            actor=request.user, case=case, internal_key=keys.internal_key or b"", **d))


class CloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    wishes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                   help_text="what the person wanted")
    status = serializers.ChoiceField(choices=[(CaseStatus.CLOSED, CaseStatus.CLOSED.label),
                                              (CaseStatus.REFERRED, CaseStatus.REFERRED.label)],
                                     required=False, default=CaseStatus.CLOSED)
    ask_reporter = serializers.BooleanField(required=False, default=True,
                                            help_text="ask the reporter whether they got what they needed")


class CaseCloseView(StaffAPIView):
    @extend_schema(request=CloseInput, responses=WRITE_RESPONSES, tags=["staff"],
                   summary="Close with the outcome and the person's wishes")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, CloseInput, lambda case, keys, d: casework.case_close_with_outcome(
            actor=request.user, case=case, internal_key=keys.internal_key or b"", **d))


class SummaryInput(serializers.Serializer):
    text = serializers.CharField(max_length=3000, help_text="anonymised; the reporter approves or vetoes it")


class CaseSummaryView(StaffAPIView):
    @extend_schema(request=SummaryInput, responses=WRITE_RESPONSES, tags=["staff"],
                   summary="Draft a public summary for the reporter's approval")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        return _write(request, case_id, SummaryInput, lambda case, keys, d: summary_draft(
            case=case, case_key=keys.case_key, text=d["text"], actor=request.user))


class ConsentInput(serializers.Serializer):
    """The consent by purpose the person of a hand-recorded case gave (all four required)."""

    contact = serializers.BooleanField(help_text="we may contact the person")
    statistics = serializers.BooleanField(help_text="count it in the anonymous statistics")
    network = serializers.BooleanField(help_text="pass an anonymised record to a monitoring network")
    publication = serializers.BooleanField(help_text="an anonymised description may be published")


class CaseConsentView(StaffAPIView):
    @extend_schema(request=ConsentInput, responses={200: CreatedOutput, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Record the consent of a person without a receipt code",
                   description="Only for cases recorded by hand (no receipt code): a reporter with a receipt "
                               "code changes their consent in the follow-up (400 `reporter_decides`).")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = consent_record(actor=request.user, case=case, **data.validated_data)
        return Response({"id": case.pk})


class CaseworkOutput(serializers.Serializer):
    contacts = serializers.ListField(child=serializers.DictField())
    interventions = serializers.ListField(child=serializers.DictField())
    referrals = serializers.ListField(child=serializers.DictField())
    deadlines = serializers.ListField(child=serializers.DictField())
    justice = serializers.DictField(allow_null=True)
    outcome = serializers.DictField(allow_null=True)
    consent = serializers.DictField()
    summaries = serializers.ListField(child=serializers.DictField())


class CaseworkView(StaffAPIView):
    @extend_schema(responses={200: CaseworkOutput, 401: ERROR, 403: ERROR, 404: ERROR}, tags=["staff"],
                   summary="The counselling work of a case, decrypted")
    @key_required
    def get(self, request: Request, case_id: int) -> Response:
        case = get_case_for_member(request.user, case_id)
        keys = request_case_keys(request, case)
        view = casework.casework_read(case=case, internal_key=keys.internal_key or b"")
        from counselling.views.casework import consent_of, summaries_of

        return Response({
            "contacts": view.contacts, "interventions": view.interventions, "referrals": view.referrals,
            "deadlines": [{**d, "due_on": d["due_on"].isoformat()} for d in view.deadlines],
            "justice": view.justice, "outcome": view.outcome, "consent": consent_of(case),
            "summaries": summaries_of(case, keys.case_key),
        })


# --------------------------------------------------------------------------------------------
# The directory of further services


class DirectoryEntry(serializers.Serializer):
    """One entry of the directory: the reporter's help page shows it unless ``referral_only``;
    counsellors refer people to every entry."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=HelpService.Kind.choices)  # type: ignore[assignment]
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40,
                                  help_text="as people dial it, for example 0800 111 0 111")
    web = serializers.URLField(required=False, allow_blank=True, default="", max_length=300)
    languages = serializers.ListField(child=serializers.ChoiceField(choices=REPORTER_LANGUAGES), required=False,
                                      default=list, help_text="languages the service answers in")
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    position = serializers.IntegerField(required=False, default=0, min_value=0, max_value=9999,
                                        help_text="order on the help page")
    referral_only = serializers.BooleanField(required=False, default=False,
                                             help_text="offered for referrals only, not on the help page")
    is_demo = serializers.BooleanField(read_only=True)

    def validate_phone(self, value: str) -> str:
        value = value.strip()
        if not phone_is_valid(value):
            raise serializers.ValidationError(
                _("Please enter the number with digits only, for example 0800 111 0 111."))
        return value


def _directory_entry(entry_id: int) -> HelpService:
    entry = HelpService.objects.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    return entry


class DirectoryView(StaffAPIView):
    @extend_schema(responses={200: page_of("DirectoryPage", DirectoryEntry(many=True)), 401: ERROR, 404: ERROR},
                   parameters=[OpenApiParameter("page", int)], tags=["staff"],
                   summary="The directory of further help (help page and referrals)",
                   operation_id="staff_directory_list")
    def get(self, request: Request) -> Response:
        if membership_of(request.user) is None:
            raise Http404
        pagination = PagePagination()
        services = pagination.paginate(help_services(), request)
        return pagination.get_paginated_response(DirectoryEntry(services, many=True).data)

    @extend_schema(request=DirectoryEntry, responses={201: DirectoryEntry, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Add a directory entry (coordinator)",
                   operation_id="staff_directory_create")
    def post(self, request: Request) -> Response:
        coordinator_membership(request._request)
        data = DirectoryEntry(data=request.data)
        data.is_valid(raise_exception=True)
        service = help_service_save(actor=request.user, **data.validated_data)
        return Response(DirectoryEntry(service).data, status=201)


class DirectoryEntryView(StaffAPIView):
    @extend_schema(responses={200: DirectoryEntry, 401: ERROR, 404: ERROR}, tags=["staff"],
                   summary="One directory entry", operation_id="staff_directory_read")
    def get(self, request: Request, entry_id: int) -> Response:
        if membership_of(request.user) is None:
            raise Http404
        return Response(DirectoryEntry(_directory_entry(entry_id)).data)

    @extend_schema(request=DirectoryEntry(partial=True),
                   responses={200: DirectoryEntry, 400: ERROR, 401: ERROR, 404: ERROR}, tags=["staff"],
                   summary="Change a directory entry (coordinator); only the fields given change",
                   operation_id="staff_directory_update")
    def patch(self, request: Request, entry_id: int) -> Response:
        coordinator_membership(request._request)
        entry = _directory_entry(entry_id)
        data = DirectoryEntry(entry, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        entry = help_service_save(actor=request.user, service=entry, **data.validated_data)
        return Response(DirectoryEntry(entry).data)

    @extend_schema(request=None, responses={204: None, 401: ERROR, 404: ERROR}, tags=["staff"],
                   summary="Remove a directory entry (coordinator); referrals to it stay counted",
                   operation_id="staff_directory_delete")
    def delete(self, request: Request, entry_id: int) -> Response:
        coordinator_membership(request._request)
        help_service_delete(actor=request.user, service=_directory_entry(entry_id))
        return Response(status=204)


# --------------------------------------------------------------------------------------------
# Counselling statistics for the funder


class OrganisationFiguresOut(serializers.Serializer):
    organisation = serializers.CharField()
    name = serializers.CharField()
    cases = serializers.IntegerField()
    people_counselled = serializers.IntegerField()
    contacts = serializers.DictField(child=serializers.IntegerField(), help_text="by mode")
    interventions = serializers.DictField(child=serializers.IntegerField(), help_text="by code")
    referrals = serializers.IntegerField()
    outcomes = serializers.DictField(child=serializers.IntegerField(), help_text="by outcome code")
    first_replies = serializers.IntegerField()
    first_reply_median_hours = serializers.FloatField(allow_null=True)
    first_reply_within_deadline = serializers.IntegerField()
    outcome_answers = serializers.DictField(child=serializers.IntegerField(),
                                            help_text="the reporters' anonymous answers")


class FunderStatisticsOut(serializers.Serializer):
    year = serializers.IntegerField()
    organisations = OrganisationFiguresOut(many=True)


class FunderStatisticsView(StaffAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("year", int), OpenApiParameter(
            "organisation", str, description="slug; coordinators only (default: every organisation)")],
        responses={200: FunderStatisticsOut, 400: ERROR, 401: ERROR, 404: ERROR}, tags=["staff"],
        summary="Counselling statistics for the funder (partner admins: own organisation)",
    )
    def get(self, request: Request) -> Response:
        membership = oversight_membership(request._request)
        from counselling.views.casework import funder_scope

        scope = funder_scope(membership, request.query_params)
        if scope is None:
            raise invalid({"year": [_("Give a year such as 2026.")]})
        year, organisations = scope
        return Response(funder_statistics(year=year, organisations=organisations).as_dict())


# --------------------------------------------------------------------------------------------
# Exports to monitoring networks


class NetworkExportView(StaffAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("year", int)],
        responses={(200, "text/csv"): str, 400: ERROR, 401: ERROR, 404: ERROR}, tags=["staff"],
        summary="Anonymised per-incident export for a monitoring network (consented incidents only)",
    )
    def get(self, request: Request, network: str) -> Any:
        from django.http import HttpResponse

        from counselling.views.casework import export_scope, funder_scope
        from stats.networks import UnknownNetwork, network_export

        membership = oversight_membership(request._request)
        scope = funder_scope(membership, request.query_params)
        if scope is None:
            raise invalid({"year": [_("Give a year such as 2026.")]})
        try:
            body = network_export(actor=request.user, network=network, year=scope[0],
                                  organisation_id=export_scope(membership))
        except UnknownNetwork:
            raise Http404 from None
        return HttpResponse(body, content_type="text/csv; charset=utf-8")
