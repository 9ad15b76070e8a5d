"""Staff API twins of the case page's actions added for casework (issue 19, SPEC §7).

Every action the case page offers has a twin: the older ones live in `counselling.api.views`
(status, take, messages, notes, transfer, duplicate, delete) and
`counselling.api.classification`; here are assigning, adding a file, a file as download and as
the inline picture the page shows, and the reply templates offered for a case. Access is the
page's: reading needs a grant (`get_case_for_member`), acting the responsible organisation
(`get_case_for_action`); 404 for anything else.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from counselling import selectors
from counselling.access import (
    get_case_for_action,
    get_case_for_member,
    key_required,
    membership_of,
    request_case_keys,
)
from counselling.api.views import CaseStateOutput, StaffAPIView
from counselling.attachments import download_response, inline_response
from counselling.forms import CaseFileForm
from counselling.replies import templates_for_case
from counselling.services import case_assign
from meldestelle.api import ERROR, invalid
from meldestelle.errors import ApplicationError
from reporting.api_views import api_refusal
from reporting.services import attachment_add

BINARY = OpenApiResponse(OpenApiTypes.BINARY, description="The decrypted file.")


class AssignInput(serializers.Serializer):
    assignee = serializers.CharField(
        max_length=150, allow_null=True, help_text="username of a colleague of the organisation; null: nobody")


class CaseAssignView(StaffAPIView):
    @extend_schema(request=AssignInput, responses={200: CaseStateOutput, 400: ERROR, 401: ERROR, 404: ERROR},
                   tags=["staff"], summary="Assign to a colleague (or to nobody)")
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["assignee"]
        assignee = None
        if username is not None:
            membership = membership_of(request.user)
            colleague = next((m for m in selectors.colleagues(membership.organisation if membership else None)
                              if m.user.get_username() == username), None)
            if colleague is None:
                raise invalid({"assignee": [_("Choose a colleague from the list.")]})
            assignee = colleague.user
        case = case_assign(actor=request.user, case=case, assignee=assignee)
        return Response(CaseStateOutput(case).data)


class FileOutput(serializers.Serializer):
    uuid = serializers.CharField()


class CaseFileAddView(StaffAPIView):
    """A file for the case (multipart field `files`, one file), checked like a reporter's."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {
                "files": {"type": "string", "format": "binary"},
                "keep_metadata": {"type": "boolean"}}, "required": ["files"]}},
        responses={201: FileOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 413: ERROR, 415: ERROR},
        tags=["staff"], summary="Add a file to the case")
    @key_required
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        keys = request_case_keys(request, case)  # a session without the key: 403 before the upload is read
        uploaded = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
        data: Any = request.data  # multipart: a QueryDict
        keep = str(data.get("keep_metadata", "")).lower() in ("1", "true", "on")
        form = CaseFileForm({"keep_metadata": keep}, MultiValueDict({"files": uploaded}))
        if not form.is_valid():
            raise api_refusal(form)
        attachment = None
        for item in form.cleaned_files:
            attachment = attachment_add(case=case, case_key=keys.case_key, item=item, actor=request.user)
        assert attachment is not None
        return Response({"uuid": attachment.uuid.hex}, status=201)


def _attachment(request: Request, case_id: int, attachment_uuid: UUID) -> Any:
    case = get_case_for_member(request.user, case_id)
    attachment = selectors.attachment_for_case(case, attachment_uuid)
    if attachment is None:
        return None, None
    return attachment, request_case_keys(request, case)


def _not_found() -> ApplicationError:
    return ApplicationError("not_found", _("This file does not exist or is not visible to you."))


class CaseFileDownloadView(StaffAPIView):
    @extend_schema(responses={200: BINARY, 401: ERROR, 403: ERROR, 404: ERROR}, tags=["staff"],
                   summary="A file of the case, decrypted, as a download")
    @key_required
    def get(self, request: Request, case_id: int, attachment_uuid: UUID) -> Any:
        attachment, keys = _attachment(request, case_id, attachment_uuid)
        if attachment is None:
            raise _not_found()
        return download_response(actor=request.user, attachment=attachment, keys=keys)


class CaseFilePreviewView(StaffAPIView):
    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY, description=(
                       "PNG or JPEG: an image without its metadata, or a PDF's first pages")),
                       401: ERROR, 403: ERROR, 404: ERROR},
                   tags=["staff"], summary="A file of the case as the picture the case page shows inline")
    @key_required
    def get(self, request: Request, case_id: int, attachment_uuid: UUID) -> Any:
        attachment, keys = _attachment(request, case_id, attachment_uuid)
        if attachment is None:
            raise _not_found()
        response = inline_response(actor=request.user, attachment=attachment, keys=keys)
        if response is None:
            raise _not_found()
        return response


class ReplyTemplateOutput(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="label", help_text="the kind in the staff member's language")
    language = serializers.CharField()
    in_reporter_language = serializers.BooleanField()
    body = serializers.CharField(help_text="with the case's reference filled in; edit before sending")


class CaseReplyTemplatesOutput(serializers.Serializer):
    reporter_language = serializers.CharField()
    templates = ReplyTemplateOutput(many=True)


class CaseReplyTemplatesView(StaffAPIView):
    @extend_schema(responses={200: CaseReplyTemplatesOutput, 401: ERROR, 404: ERROR}, tags=["staff"],
                   summary="The organisation's reply templates for this case, in the reporter's language where written")
    def get(self, request: Request, case_id: int) -> Response:
        case = get_case_for_action(request.user, case_id)
        return Response(CaseReplyTemplatesOutput({
            "reporter_language": case.language, "templates": templates_for_case(case),
        }).data)
