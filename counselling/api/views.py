"""Staff API (SPEC §7): session login with TOTP, CSRF enforced by SessionAuthentication.

One view per operation with its serializers beside it. Anything the caller may not see is 404:
reading a case needs a grant (`get_case_for_member`, copy holders too), every action the
responsible organisation (`get_case_for_action`). Methods that need the organisation key are
wrapped in `key_required`, which answers 403 ``not_unlocked`` for a session without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.http import Http404, HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from counselling import auth, selectors
from counselling.access import (
    get_case_for_action,
    get_case_for_member,
    key_required,
    membership_of,
    request_case_keys,
    request_org_key,
)
from counselling.decorators import is_staff_session
from counselling.forms import MANUAL_CHANNELS, district_choices, manual_report
from counselling.services import case_opened
from meldestelle.api import ERROR, SafeJSONParser, invalid
from meldestelle.errors import ApplicationError
from meldestelle.pagination import PagePagination, page_of
from meldestelle.ratelimit import request_client
from reporting.models import Case, Organisation
from reporting.services import (
    CaseKeys,
    case_mark_duplicate,
    case_set_status,
    case_shred,
    case_take,
    case_transfer,
    case_unmark_duplicate,
    message_post,
    note_add,
    report_submit,
)
from reporting.taxonomy import (
    REPORTER_LANGUAGES,
    AreaOfLife,
    CaseStatus,
    DeleteReason,
    IncidentType,
    Motive,
    ReporterRole,
)


class IsStaffSession(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return is_staff_session(request._request)


class StaffAPIView(APIView):
    permission_classes = [IsStaffSession]

    def get_authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without a staff session.
        return 'Session realm="staff"'


# --------------------------------------------------------------------------------------------
# Auth


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1000, trim_whitespace=False)
    otp = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class LoginOutput(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    organisation = serializers.CharField(allow_null=True)
    key_access = serializers.BooleanField()
    key_problem = serializers.CharField(allow_blank=True)
    csrf_token = serializers.CharField()


class LoginView(APIView):
    """Password + TOTP; sets the session and the unlock cookie.

    JSON only, and only from this site: a request whose Origin is another site is refused
    before its body is read, so a cross-site form cannot log a browser into an account of the
    sender's choosing (review F-06). Every failed login gets the same 400 ``login_failed``.
    """

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [SafeJSONParser]

    @extend_schema(request=LoginInput, responses={200: LoginOutput, 400: ERROR, 403: ERROR, 415: ERROR},
                   tags=["staff"], summary="Staff login")
    def post(self, request: Request) -> Response:
        if not auth.origin_allowed(request._request):
            raise ApplicationError("cross_origin", _("Logging in is only possible from this site."))
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = auth.login_check(username=data.validated_data["username"],
                                  password=data.validated_data["password"], otp=data.validated_data["otp"],
                                  client=request_client(request))
        membership = result.membership
        response = Response()
        django_request: HttpRequest = request._request
        auth.session_start(django_request, response, result)
        response.data = LoginOutput({
            "username": result.user.get_username(),
            "role": membership.role if membership else None,
            "organisation": membership.organisation.slug if membership and membership.organisation else None,
            "key_access": result.org_private_key is not None, "key_problem": result.key_problem,
            "csrf_token": get_token(django_request),
        }).data
        return response


class LogoutView(StaffAPIView):
    @extend_schema(request=None, responses={204: None, 401: ERROR}, tags=["staff"], summary="Staff logout")
    def post(self, request: Request) -> Response:
        response = Response(status=204)
        auth.session_end(request._request, response)
        return response


# --------------------------------------------------------------------------------------------
# Cases


class CaseListItem(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    status = serializers.CharField()
    channel = serializers.CharField()
    received_on = serializers.DateField()
    district = serializers.CharField()
    incident_type = serializers.CharField()
    motives = serializers.ListField(child=serializers.CharField())
    assignee = serializers.SerializerMethodField()
    staff_unread = serializers.BooleanField()
    reporter_unread = serializers.BooleanField()
    first_reply_at = serializers.DateTimeField(allow_null=True)
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    # The responsible organisation: not the caller's for cases in the "copies" tab.
    organisation = serializers.CharField(source="organisation.slug")
    language = serializers.CharField(help_text="the reporter's language")
    wants_counselling = serializers.BooleanField()
    files = serializers.IntegerField(source="file_count", default=0, help_text="number of files")
    unopenable = serializers.SerializerMethodField(help_text=(
        "The report was encrypted in the reporter's browser to a key that is not my organisation's "
        "(found at an unlock): nobody can open it, and the case answers 409 `seal_unopenable`."))

    def get_assignee(self, case: Case) -> str | None:
        return case.assignee.get_username() if case.assignee else None

    def get_unopenable(self, case: Case) -> bool:
        return case.pk in self.context.get("unopenable", ())


CaseListOutput = page_of(
    "CaseListPage", CaseListItem(many=True),
    counts=serializers.DictField(child=serializers.IntegerField(), help_text="Cases in each tab, same filters."),
)


class ManualEntryInput(serializers.Serializer):
    """A case that came by phone, in person, by letter or from another organisation (SPEC §5),
    with the person's consent by purpose (SPEC §5.1): the four answers are required, since
    the counsellor records what the person said, not a default."""

    channel = serializers.ChoiceField(choices=MANUAL_CHANNELS)
    description = serializers.CharField(max_length=20000)
    incident_type = serializers.ChoiceField(choices=IncidentType.choices, required=False, allow_blank=True,
                                            default="")
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)
    district = serializers.ChoiceField(choices=[], required=False, default="unknown",
                                       help_text="a district AGS key, `online` or `unknown`")
    area_of_life = serializers.ChoiceField(choices=AreaOfLife.choices, required=False, allow_blank=True,
                                           default="")
    place_details = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    motives = serializers.ListField(child=serializers.ChoiceField(choices=Motive.choices), required=False,
                                    default=list)
    role = serializers.ChoiceField(choices=ReporterRole.choices, required=False, allow_blank=True, default="")
    wants_counselling = serializers.BooleanField(required=False, default=False)
    language = serializers.ChoiceField(choices=REPORTER_LANGUAGES, required=False, default="de")
    consent_contact = serializers.BooleanField(help_text="we may contact the person")
    consent_statistics = serializers.BooleanField(help_text="count it in the anonymous statistics")
    consent_network = serializers.BooleanField(help_text="pass an anonymised record to a monitoring network")
    consent_publication = serializers.BooleanField(
        help_text="an anonymised description may be published in the chronicle")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [key for key, _label in district_choices()]  # type: ignore[attr-defined]


class ManualEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class CaseListView(StaffAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tab", str, enum=list(selectors.TABS), description=(
                "'copies': cases another organisation is responsible for, of which mine kept a copy")),
            OpenApiParameter("status", str, enum=CaseStatus.values),
            OpenApiParameter("district", str), OpenApiParameter("motive", str),
            OpenApiParameter("assignee", str, description="user id or 'none'"),
            OpenApiParameter("page", int),
            OpenApiParameter("sort", str, enum=list(selectors.SORTS), description=(
                "'-received' newest first (default), 'received' longest waiting first, 'type' gravest first")),
        ],
        responses={200: CaseListOutput, 401: ERROR}, tags=["staff"],
        summary="Cases of my organisation (or, with tab=copies, copies it kept)",
        operation_id="staff_cases_list",
    )
    def get(self, request: Request) -> Response:
        pagination = PagePagination()
        membership = membership_of(request.user)
        if membership is None or membership.organisation is None:
            return pagination.get_paginated_response(pagination.paginate([], request), counts={})
        tab = request.query_params.get("tab", selectors.DEFAULT_TAB)
        if tab not in selectors.TABS:
            tab = selectors.DEFAULT_TAB
        filters = selectors.InboxFilters.from_query(request.query_params)
        cutoff = selectors.overdue_cutoff(membership.organisation)
        counts = selectors.inbox_counts(membership=membership, filters=filters, cutoff=cutoff)
        sort = request.query_params.get("sort", selectors.DEFAULT_SORT)
        cases = selectors.inbox_cases(membership=membership, tab=tab, filters=filters, cutoff=cutoff,
                                      sort=sort if sort in selectors.SORTS else selectors.DEFAULT_SORT)
        rows = pagination.paginate(cases, request, paginator=selectors.CountedPaginator(
            cases, selectors.PAGE_SIZE, count=counts[tab]))
        unopenable = {case.pk for case in selectors.unopenable_cases(membership.organisation)}
        return pagination.get_paginated_response(
            CaseListItem(rows, many=True, context={"unopenable": unopenable}).data, counts=counts
        )

    @extend_schema(request=ManualEntryInput, responses={201: ManualEntryOutput, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Record a case that came by phone, in person or by letter",
                   operation_id="staff_cases_record")
    def post(self, request: Request) -> Response:
        membership = membership_of(request.user)
        if membership is None or membership.organisation is None:
            raise Http404
        data = ManualEntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        submitted = report_submit(report=manual_report(data.validated_data), organisation=membership.organisation,
                                  actor=request.user)
        return Response(ManualEntryOutput({"id": submitted.case.pk, "reference": submitted.case.reference}).data,
                        status=201)


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    from_reporter = serializers.BooleanField()
    author = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class AttachmentOutput(serializers.Serializer):
    uuid = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    from_reporter = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CaseDetailOutput(CaseListItem):
    report = serializers.DictField()
    messages = MessageOutput(many=True, source="message_views")
    notes = NoteOutput(many=True, source="note_views")
    attachments = AttachmentOutput(many=True, source="attachment_views")


def _detail(case: Case, keys: CaseKeys) -> dict[str, Any]:
    content = selectors.case_content(case=case, keys=keys)
    case.report = content.report  # type: ignore[attr-defined]
    case.message_views = content.messages  # type: ignore[attr-defined]
    case.note_views = content.notes  # type: ignore[attr-defined]
    case.attachment_views = content.attachments  # type: ignore[attr-defined]
    case.file_count = len(content.attachments)  # type: ignore[attr-defined]
    return CaseDetailOutput(case).data


class CaseDetailView(StaffAPIView):
    @extend_schema(responses={200: CaseDetailOutput, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}, tags=["staff"],
                   summary="A case, decrypted (409 `seal_unopenable`: encrypted in the browser to another key)")
    @key_required
    def get(self, request: Request, case_id: int) -> Response:
        case = get_case_for_member(request.user, case_id)
        keys = request_case_keys(request, case)
        case_opened(actor=request.user, case=case)
        return Response(_detail(case, keys))


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)


class CaseStateOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.CharField()
    assignee = serializers.SerializerMethodField()
    organisation = serializers.CharField(source="organisation.slug")

    def get_assignee(self, case: Case) -> str | None:
        return case.assignee.get_username() if case.assignee else None


class CaseStatusView(StaffAPIView):
    @extend_schema(request=StatusInput, responses={200: CaseStateOutput, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Change the status")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_set_status(actor=request.user, case=case, status=data.validated_data["status"])
        return Response(CaseStateOutput(case).data)


class CaseTakeView(StaffAPIView):
    @extend_schema(request=None, responses={200: CaseStateOutput, 401: ERROR, 404: ERROR, 409: ERROR},
                   tags=["staff"], summary="Take the case")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        case = case_take(actor=request.user, case=case)
        return Response(CaseStateOutput(case).data)


class BodyInput(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


class CreatedOutput(serializers.Serializer):
    id = serializers.IntegerField()


def _create_from_body(request: Request, case_id: int,
                      create: Callable[[Case, CaseKeys, str], Model]) -> Response:
    """Find the case, validate the body, open the case keys, then let `create` write; 201 with its id.

    The steps run in this order, so a caller who may not act on the case gets 404 before any
    validation, and an invalid body is refused before the session's keys are looked at.
    Callers are wrapped in `key_required`.
    """
    case = get_case_for_action(request.user, case_id)
    data = BodyInput(data=request.data)
    data.is_valid(raise_exception=True)
    keys = request_case_keys(request, case)
    created = create(case, keys, data.validated_data["body"])
    return Response({"id": created.pk}, status=201)


class CaseMessageView(StaffAPIView):
    @extend_schema(request=BodyInput, responses={201: CreatedOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
                   tags=["staff"], summary="Message the reporter")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        def post_message(case: Case, keys: CaseKeys, body: str) -> Model:
            return message_post(case=case, case_key=keys.case_key, body=body, actor=request.user)

        return _create_from_body(request, case_id, post_message)


class CaseNoteView(StaffAPIView):
    @extend_schema(request=BodyInput, responses={201: CreatedOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
                   tags=["staff"], summary="Add an internal note")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        def add_note(case: Case, keys: CaseKeys, body: str) -> Model:
            assert keys.internal_key is not None
            return note_add(case=case, internal_key=keys.internal_key, body=body, actor=request.user)

        return _create_from_body(request, case_id, add_note)


class TransferInput(serializers.Serializer):
    organisation = serializers.SlugField(help_text="slug of the receiving organisation")
    keep_copy = serializers.BooleanField(default=False)


class CaseTransferView(StaffAPIView):
    @extend_schema(request=TransferInput, responses={200: CaseStateOutput, 400: ERROR, 401: ERROR, 403: ERROR,
                                                     404: ERROR},
                   tags=["staff"], summary="Transfer to another organisation")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        target = Organisation.objects.filter(slug=data.validated_data["organisation"], active=True).first()
        if target is None:
            raise invalid({"organisation": [_("No active organisation has this name.")]})
        org_private_key = request_org_key(request)
        case = case_transfer(actor=request.user, case=case, to_organisation=target,
                             org_private_key=org_private_key, keep_copy=data.validated_data["keep_copy"])
        return Response(CaseStateOutput(case).data)


class DuplicateInput(serializers.Serializer):
    original = serializers.CharField(
        max_length=32, allow_null=True,
        help_text="reference of the original case of the same organisation; null unmarks",
    )


class DuplicateOutput(CaseStateOutput):
    duplicate_of = serializers.CharField(source="duplicate_of.reference", allow_null=True, default=None)


class CaseDuplicateView(StaffAPIView):
    @extend_schema(request=DuplicateInput, responses={200: DuplicateOutput, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Mark as a duplicate of another case, or unmark")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = DuplicateInput(data=request.data)
        data.is_valid(raise_exception=True)
        reference = data.validated_data["original"]
        if reference is None:
            case = case_unmark_duplicate(actor=request.user, case=case)
        else:
            original = Case.objects.filter(reference__iexact=reference.strip(),
                                           organisation_id=case.organisation_id).first()
            if original is None:
                raise invalid({"original": [_("No case of your organisation has this reference.")]})
            case = case_mark_duplicate(actor=request.user, case=case, original=original)
        return Response(DuplicateOutput(case).data)


class DeleteInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DeleteReason.choices)
    confirm = serializers.BooleanField(help_text="must be true: the case is destroyed for good")


class CaseDeleteView(StaffAPIView):
    @extend_schema(request=DeleteInput, responses={204: None, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Delete the case now (crypto-shred)")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = DeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["confirm"]:
            raise invalid({"confirm": [_("Confirm that the case is to be destroyed for good.")]})
        case_shred(actor=request.user, case=case, reason=data.validated_data["reason"])
        return Response(status=204)
