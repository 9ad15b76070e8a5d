"""The public, anonymous API of the reporter's side (SPEC §7).

One view per operation, input and output serializers beside it. The serializers check the
JSON shape (types) and document the schema; the rules are those of `reporting.forms.ReportForm`,
which the submit view binds with the same data, so form and API cannot drift apart. The views
use no cookies and no session (`authentication_classes = []`, hence no CSRF), and like the
pages they never log request data. Errors are raised as ApplicationError and written by the
API's one exception handler (meldestelle.api).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.forms import Form
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meldestelle.api import error_doc, errors_as_fields, field_messages, invalid
from meldestelle.errors import ApplicationError
from meldestelle.pagination import PagePagination, page_of
from meldestelle.ratelimit import request_client
from reporting import abuse, crypto, places
from reporting.forms import ReplyForm, ReportForm, shallow_copy
from reporting.models import Case, Organisation
from reporting.selectors import (
    SealedItem,
    partner_directory,
    reporter_case_view,
    reporter_sealed_case_view,
)
from reporting.services import (
    ReporterAccess,
    case_shred,
    message_post,
    messages_mark_read,
    report_submit,
    seal_offer,
    sealed_message_post,
    sealed_report_submit,
)
from reporting.services.conversation import MESSAGE_MAX_BUCKET
from reporting.services.sealed import BINDING_MAX_AGE_SECONDS, REPORT_MAX_BUCKET, SealedReport
from reporting.services.sealed_files import (
    META_MAX_BUCKET,
    SealedFile,
    max_sealed_file_bytes,
    sealed_attachment_ids,
    sealed_followup_files_add,
)
from reporting.services.submission import remove_blobs
from reporting.taxonomy import (
    INCIDENT_TYPE_HELP,
    PLACE_ONLINE,
    PLACE_UNKNOWN,
    REPORTER_LANGUAGES,
    UNKNOWN,
    AreaOfLife,
    Channel,
    IncidentType,
    Motive,
    ReporterRole,
)
from reporting.uploads import SealedStreamUploadHandler, refusal_status

logger = logging.getLogger(__name__)


class PublicAPIView(APIView):
    """Anonymous: no authentication, hence no session and no CSRF; nothing but JSON."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


ERRORS = {
    400: error_doc("Invalid input; `fields` says which."),
    429: error_doc("Too many requests; try again later."),
}


# DRF reads a JSON body whole, without Django's DATA_UPLOAD_MAX_MEMORY_SIZE check; a report
# (at most 20,000 characters of description) fits many times into this.
MAX_JSON_BYTES = 1024 * 1024


def _validated(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The request body checked against `serializer_class`; raises ApplicationError for a body
    that cannot be read, is not an object or does not have the documented shape."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_JSON_BYTES and not str(request.content_type).startswith("multipart/"):
        raise ApplicationError("too_large", _("The request is too large."))
    try:
        payload = request.data
    except UnsupportedMediaType as exc:
        raise ApplicationError("unsupported_media_type", _("Please send JSON or multipart/form-data.")) from exc
    except ParseError as exc:
        raise ApplicationError("malformed", _("The request body could not be read as JSON.")) from exc
    return _shaped(payload, serializer_class)


def _shaped(payload: Any, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApplicationError("malformed", _("The request body must be a JSON object."))
    shape = serializer_class(data=payload)
    if not shape.is_valid():
        raise invalid(field_messages(shape.errors))
    return dict(shape.validated_data)


# --------------------------------------------------------------------------------------------
# Taxonomy and partners


class CodeLabel(serializers.Serializer):
    code = serializers.CharField()
    # A declared field (popped by the serializer metaclass), not Field.label; stubs can't tell.
    label = serializers.CharField()  # type: ignore[assignment]


class IncidentTypeEntry(CodeLabel):
    description = serializers.CharField()


class TaxonomyOut(serializers.Serializer):
    language = serializers.CharField()
    incident_types = IncidentTypeEntry(many=True)
    motives = CodeLabel(many=True)
    areas_of_life = CodeLabel(many=True)
    roles = CodeLabel(many=True)
    places = CodeLabel(many=True, help_text="District AGS keys, plus `online` and `unknown`.")
    languages = serializers.ListField(child=serializers.CharField())


def _codes(choices: Any) -> list[dict[str, str]]:
    return [{"code": code, "label": str(label)} for code, label in choices]


class TaxonomyView(PublicAPIView):
    @extend_schema(
        operation_id="taxonomy", responses={200: TaxonomyOut},
        description="Codes and labels of SPEC §2; labels in the language of Accept-Language.",
    )
    def get(self, request: Request) -> Response:
        return Response({
            "language": get_language(),
            "incident_types": [
                {"code": code, "label": str(label), "description": str(INCIDENT_TYPE_HELP.get(code, ""))}
                for code, label in IncidentType.choices
            ],
            "motives": _codes(Motive.choices),
            "areas_of_life": _codes(AreaOfLife.choices),
            "roles": _codes(ReporterRole.choices),
            "places": [
                *_codes(places.districts_by_name()),
                {"code": PLACE_ONLINE, "label": _("Online, no physical place")},
                {"code": PLACE_UNKNOWN, "label": _("Unknown")},
            ],
            "languages": list(REPORTER_LANGUAGES),
        })


class PartnerOut(serializers.Serializer):
    slug = serializers.CharField(help_text="Send as `partner` to choose this organisation.")
    name = serializers.CharField()
    coverage_text = serializers.CharField()
    statewide = serializers.BooleanField()
    districts = CodeLabel(many=True)
    all_motives = serializers.BooleanField()
    motives = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    public_contact = serializers.CharField()


class PartnersView(PublicAPIView):
    @extend_schema(operation_id="partners", responses={200: page_of("PartnerPage", PartnerOut(many=True))},
                   parameters=[OpenApiParameter("page", int)],
                   description="Active partner organisations and what they cover, a page at a time.")
    def get(self, request: Request) -> Response:
        pagination = PagePagination()
        return pagination.get_paginated_response([
            {
                "slug": entry.slug, "name": entry.name, "coverage_text": entry.coverage_text,
                "statewide": entry.statewide,
                "districts": [{"code": d["code"], "label": d["name"]} for d in entry.districts],
                "all_motives": entry.all_motives, "motives": entry.motives, "languages": entry.languages,
                "public_contact": entry.public_contact,
            }
            for entry in pagination.paginate(partner_directory(), request)
        ])


# --------------------------------------------------------------------------------------------
# Proof of work and submission


class ChallengeOut(serializers.Serializer):
    challenge = serializers.CharField()
    difficulty = serializers.IntegerField(
        help_text='Find a decimal `nonce` so that SHA-256(challenge + ":" + nonce) begins with '
        "this many zero bits. 0 means no puzzle is needed."
    )


class ChallengeView(PublicAPIView):
    @extend_schema(operation_id="reports_challenge", responses={200: ChallengeOut})
    def get(self, request: Request) -> Response:
        return Response({"challenge": abuse.challenge_issue(), "difficulty": abuse.pow_difficulty()})


class StrictCharField(serializers.CharField):
    """Text only: a number or a list where text belongs is an error, not converted."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PlainShape(serializers.Serializer):
    """An input shape of plain fields (no nested serializers), built cheaply.

    DRF builds every declared field anew from its arguments for every serializer instance (a
    deep copy); for a report's 27 fields that was about a millisecond of each submission
    (issue 16). A plain field keeps nothing of a validation in itself and is only bound (its
    name and parent set) after the copy, so each instance gets shallow copies instead; the
    declared fields are never bound or changed.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: shallow_copy(field) for name, field in self._declared_fields.items()}


def _text(help_text: str = "", **kwargs: Any) -> StrictCharField:
    return StrictCharField(required=False, allow_blank=True, trim_whitespace=False, help_text=help_text, **kwargs)


class ReportIn(PlainShape):
    """The JSON shape of a report. The rules (choices, dates, lengths) are ReportForm's."""

    # Required fields are checked by the form, so that the message is the same as on the page.
    description = _text("Required, at most 20,000 characters.")
    incident_type = _text("An incident type code, or `unknown`.")
    occurred_on = _text("The day, YYYY-MM-DD, not in the future.")
    occurred_month = _text("The month if the day is unknown, YYYY-MM.")
    district = _text("A district AGS key, `online` or `unknown` (default).")
    area_of_life = _text("An area-of-life code, or `unknown`.")
    place_details = _text("Free text about the place.")
    motives = serializers.ListField(child=StrictCharField(), required=False,
                                    help_text="Motive codes; `unknown` for “I don't know”.")
    role = _text("A reporter-role code, or `unknown`.")
    people_affected = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    wants_counselling = serializers.BooleanField(required=False, default=False)
    contact = serializers.ChoiceField(choices=["mailbox", "email", "phone"], required=False, default="mailbox")
    contact_email = _text("Required when contact is `email`.")
    contact_phone = _text("Required when contact is `phone`.")
    notify_email = _text("Optional address for a content-free reply notice.")
    partner = _text("Slug of a partner organisation (GET /partners/); empty: choose for me.")
    language = _text("Language of the reporter; default from Accept-Language.")
    consent = serializers.BooleanField(required=False, default=False, help_text="Must be true (GDPR Art. 9(2)(a)).")
    consent_contact = serializers.BooleanField(required=False, default=True,
                                               help_text="The counselling service may contact me.")
    consent_statistics = serializers.BooleanField(required=False, default=True,
                                                  help_text="Count it in the anonymous statistics.")
    consent_network = serializers.BooleanField(required=False, default=False,
                                               help_text="Pass an anonymised record to a monitoring network.")
    consent_publication = serializers.BooleanField(required=False, default=False,
                                                   help_text="I may be asked to approve an anonymised summary.")
    keep_metadata = serializers.BooleanField(required=False, default=False)
    challenge = _text("From GET /reports/challenge/; required when its difficulty > 0.")
    nonce = _text("The solution of the challenge.")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False,
        help_text="multipart only: up to REPORT_MAX_FILES JPEG/PNG/WebP/PDF files.",
    )


class ReportOut(serializers.Serializer):
    receipt = serializers.CharField(help_text="The receipt code. Shown once; never stored by us.")
    reference = serializers.CharField()


def api_refusal(form: Form) -> ApplicationError:
    """The API's answer to a form refused for its answers or its files: 400 ``invalid``, 413
    ``too_large`` or 415 ``unsupported_media_type``, with every message under its field."""
    code = {413: "too_large", 415: "unsupported_media_type"}.get(refusal_status(form), "invalid")
    return invalid(errors_as_fields(form), code=code)


def _pass_submission_gate(request: Request, data: dict[str, Any]) -> None:
    """The API's side of the one submission gate: proof of work, then the limits."""
    verdict = abuse.submission_gate(request_client(request), data.get("challenge", ""), data.get("nonce", ""),
                                    puzzle_required=True)
    if verdict is abuse.Verdict.POW_MISSING:
        raise ApplicationError(
            "pow_required", _("Please solve the challenge first (GET /api/v1/reports/challenge/)."),
            fields={"nonce": [_("This field is required.")]})
    if verdict is abuse.Verdict.POW_INVALID:
        raise ApplicationError(
            "pow_invalid", _("The challenge was not solved, has expired or was used before."),
            fields={"nonce": [_("Please solve a new challenge.")]})
    if verdict is abuse.Verdict.THROTTLED:
        raise ApplicationError("throttled", _(
            "We are receiving very many reports right now. Nothing was stored; please try again later."
        ))


class ReportSubmitView(PublicAPIView):
    @extend_schema(
        operation_id="reports_submit",
        request={"application/json": ReportIn, "multipart/form-data": ReportIn},
        responses={
            201: ReportOut, **ERRORS,
            413: error_doc("Too many or too large files."),
            415: error_doc("A file of a type we do not accept."),
            503: error_doc("Nothing was stored; try again later."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, ReportIn)
        files = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
        # The typed values as they are: the form's fields read booleans, numbers and lists
        # directly, so nothing is turned back into the strings of an HTML form.
        answers = {name: value for name, value in data.items() if name != "files" and value is not None}
        form = ReportForm(answers, MultiValueDict({"files": files}), language=request.LANGUAGE_CODE, for_page=False)
        # The answers, and the files' number and size: cheap, nothing is decoded yet.
        if not form.is_valid():
            raise api_refusal(form)
        _pass_submission_gate(request, data)
        # Only now, past proof of work and the limits, are the files decoded (SPEC §4.4).
        if not form.sanitise_uploads():
            raise api_refusal(form)
        try:
            submitted = report_submit(report=form.report_input(channel=Channel.API), files=form.cleaned_files)
        except ApplicationError as exc:
            raise ApplicationError(
                exc.code, _("We cannot receive reports at this moment. Please try again later."), http_status=503,
            ) from exc
        except DatabaseError as exc:
            # Rolled back, files removed: nothing is stored. Never log the error's message.
            logger.error("Report not stored: %s", type(exc).__name__)
            raise ApplicationError("unavailable", _(
                "Nothing you entered has been stored. Please try again in a few minutes."
            )) from exc
        return Response({"receipt": submitted.receipt_code, "reference": submitted.case.reference}, status=201)


# --------------------------------------------------------------------------------------------
# Follow-up


class ReceiptIn(serializers.Serializer):
    receipt = StrictCharField(help_text="The receipt code; case and dashes do not matter.")
    challenge = _text("From GET /followup/challenge/; needed after several wrong codes (429 `pow_required`).")
    nonce = _text("The solution of the challenge.")


class MessageIn(ReceiptIn):
    body = StrictCharField(trim_whitespace=False, help_text="At most 20,000 characters.")


class MessageOut(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["reporter", "staff"])
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    unread = serializers.BooleanField(help_text="A staff message the reporter had not read yet.")


class FollowupOut(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    status_text = serializers.CharField()
    received_on = serializers.DateField()
    messages = MessageOut(many=True)
    attachments = serializers.IntegerField(help_text="Number of files.")


class DeletedOut(serializers.Serializer):
    deleted = serializers.BooleanField()


FOLLOWUP_ERRORS = {
    400: ERRORS[400],
    404: error_doc("The code does not open a report (one answer for all)."),
    429: error_doc(
        "`pow_required`: several wrong codes from here; solve GET /followup/challenge/ and send "
        "`challenge` and `nonce` with the next try."
    ),
}


class FollowupChallengeView(PublicAPIView):
    @extend_schema(
        operation_id="followup_challenge", responses={200: ChallengeOut},
        description="The proof of work the next follow-up request from this client needs "
        "(difficulty 0: none). It rises with every wrong receipt code from the same client.",
    )
    def get(self, request: Request) -> Response:
        difficulty = abuse.followup_difficulty(request_client(request))
        return Response({"challenge": abuse.challenge_issue() if difficulty else "", "difficulty": difficulty})


def _open(request: Request, serializer_class: type[serializers.Serializer]) -> tuple[dict[str, Any], ReporterAccess]:
    """The validated body and the reporter's access it opens; raises ApplicationError."""
    data = _validated(request, serializer_class)
    try:
        access = abuse.followup_open(
            request_client(request), data["receipt"], challenge=data.get("challenge", ""), nonce=data.get("nonce", ""),
        )
    except abuse.FollowupBlocked as exc:
        raise ApplicationError("pow_required", _(
            "Several codes that do not open a report were tried from here. Please solve the "
            "challenge (GET /api/v1/followup/challenge/) and send it with your next try."
        ), http_status=429, fields={"nonce": [_("Please solve a new challenge.")]}) from exc
    if access is None:
        raise ApplicationError("not_found", _("This code does not open a report. Please check it and try again."))
    return data, access


def _case_out(access: ReporterAccess) -> dict[str, Any]:
    view = reporter_case_view(access)
    messages_mark_read(case=access.case, by_reporter=True)
    return {
        "reference": view.reference, "status": view.status, "status_label": view.status_label,
        "status_text": view.status_text, "received_on": view.received_on.isoformat(),
        "messages": [
            {"direction": "reporter" if m.from_reporter else "staff", "body": m.body,
             "created_at": m.created_at.isoformat(), "unread": m.unread}
            for m in view.messages
        ],
        "attachments": len(view.attachments),
    }


class FollowupView(PublicAPIView):
    @extend_schema(operation_id="followup", request=ReceiptIn, responses={200: FollowupOut, **FOLLOWUP_ERRORS},
                   description="Status and messages of the report; marks the staff's messages read.")
    def post(self, request: Request) -> Response:
        data, access = _open(request, ReceiptIn)
        return Response(_case_out(access))


class FollowupMessageView(PublicAPIView):
    @extend_schema(operation_id="followup_message", request=MessageIn, responses={201: FollowupOut, **FOLLOWUP_ERRORS})
    def post(self, request: Request) -> Response:
        data, access = _open(request, MessageIn)
        form = ReplyForm({"receipt": data["receipt"], "body": data["body"]})
        if not form.is_valid():
            raise invalid(errors_as_fields(form))
        message_post(case=access.case, case_key=access.case_key, body=form.cleaned_data["body"], actor=None)
        return Response(_case_out(access), status=201)


class FollowupDeleteView(PublicAPIView):
    @extend_schema(operation_id="followup_delete", request=ReceiptIn, responses={200: DeletedOut, **FOLLOWUP_ERRORS},
                   description="Crypto-shred the report: nothing of it can be read afterwards.")
    def post(self, request: Request) -> Response:
        data, access = _open(request, ReceiptIn)
        case_shred(actor=None, case=access.case, reason="reporter")
        return Response({"deleted": True})



# --------------------------------------------------------------------------------------------
# Encryption in the reporter's browser (SPEC §3.10): routing before sealing, then ciphertext only


class SealBindIn(serializers.Serializer):
    """Codes only: nothing the person wrote."""

    district = _text("A district AGS key, `online` or `unknown` (default).")
    motives = serializers.ListField(child=StrictCharField(), required=False,
                                    help_text="Motive codes; `unknown` for “I don't know”.")
    language = _text("Language of the reporter; default from Accept-Language.")
    partner = _text("Slug of a partner organisation (GET /partners/); empty: choose for me.")
    form_ts = _text("The report page's signed timestamp, when the browser has one.")
    homepage = _text("Leave empty.")
    challenge = _text("From GET /reports/challenge/; required when its difficulty > 0.")
    nonce = _text("The solution of the challenge.")


class SealBindOut(serializers.Serializer):
    token = serializers.CharField(help_text="Signed, single use, valid for 15 minutes: send it with the sealed report.")
    binding = serializers.CharField(help_text="Bind every ciphertext to this: AES-GCM associated data, HPKE info, "
                                    "the receipt wrap's HKDF salt.")
    organisation = serializers.CharField(help_text="Slug of the organisation the report is routed to.")
    key_version = serializers.IntegerField(help_text="The epoch of its public key.")
    public_key = serializers.CharField(help_text="Base64: ML-KEM-768 (1,184 bytes) + X25519 (32 bytes), X-Wing.")
    expires_in = serializers.IntegerField(help_text="Seconds.")
    attachment_ids = serializers.ListField(
        child=serializers.CharField(),
        help_text="The ids (hex) the files are bound to, in the order they are sent: the attachment stream's "
        "and the file metadata's associated data.",
    )


def _bind_codes(data: dict[str, Any], language: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The codes checked against the lists the form offers; (codes, field errors)."""
    errors: dict[str, list[str]] = {}
    district = data.get("district") or PLACE_UNKNOWN
    if not isinstance(district, str) or district not in places.place_keys():
        errors["district"] = [_("Please choose a district from the list, “online” or “I don't know”.")]
    motives = data.get("motives") or []
    allowed = set(Motive.values) | {UNKNOWN}
    if any(code not in allowed for code in motives):
        errors["motives"] = [_("Please choose from the list.")]
    chosen_language = data.get("language") or language
    if chosen_language not in REPORTER_LANGUAGES:
        errors["language"] = [_("Please choose one of the languages offered.")]
    partner = data.get("partner") or ""
    if partner and partner not in {entry.slug for entry in partner_directory()}:
        errors["partner"] = [_("Please choose an organisation from the list.")]
    codes = {
        "district": district, "motives": sorted({code for code in motives if code != UNKNOWN}),
        "language": chosen_language, "partner": partner,
    }
    return codes, errors


@contextmanager
def _sealed_streams(request: Request) -> Iterator[tuple[Any, list[Any], SealedStreamUploadHandler]]:
    """A multipart body of ciphertext (SPEC §3.10): the JSON of the field `sealed` (parsed, not
    yet shaped), each file's encrypted stream (a part `file`) and the handler that wrote them.
    The streams go into the attachment store as they arrive and leave it again unless the block
    ends without an exception (everything was stored)."""
    handler = SealedStreamUploadHandler(
        request._request, max_files=settings.REPORT_MAX_FILES, max_bytes=max_sealed_file_bytes()
    )
    request._request.upload_handlers = [handler]
    try:
        try:
            form = request.data
            sealed_json = form.get("sealed") if isinstance(form, dict) else None
            streams = request.FILES.getlist("file")
        except ParseError as exc:
            raise ApplicationError("malformed", _("The request body could not be read.")) from exc
        try:
            payload = json.loads(sealed_json) if isinstance(sealed_json, str) else None
        except ValueError:
            payload = None
        yield payload, streams, handler
    except BaseException:
        handler.upload_interrupted()  # a stream still open (the body broke off) is dropped
        remove_blobs(handler.blob_names)
        raise


def _sealed_files(streams: list[Any], metas: list[bytes]) -> tuple[SealedFile, ...]:
    """The streams as the checks take them, each with its metadata ciphertext; streams beyond
    the metadata (too many files: the checks refuse them by count) with none."""
    files = tuple(
        SealedFile(blob_name=stream.blob_name or "", ciphertext_bytes=stream.size, head=stream.head,
                   meta_ciphertext=meta)
        for stream, meta in zip(streams, metas, strict=False)
    )
    return files + tuple(SealedFile(blob_name="", ciphertext_bytes=stream.size, head=b"", meta_ciphertext=b"")
                         for stream in streams[len(files):])


def _unavailable(code: str) -> ApplicationError:
    return ApplicationError(code, _("We cannot receive reports at this moment. Please try again later."),
                            http_status=503)


class SealBindView(PublicAPIView):
    @extend_schema(
        operation_id="reports_bind", request=SealBindIn,
        responses={200: SealBindOut, **ERRORS, 503: error_doc("Nobody can receive reports.")},
        description="Routing before sealing (SPEC §3.10): codes and the proof of work in, a case binding and "
        "the routed organisation's public key out. Counts as one submission for the limits.",
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, SealBindIn)
        # The browser sends the report page's timestamp and honeypot: the page's own gate.
        verdict = abuse.form_gate(data, timestamp_required=False)
        if verdict is abuse.Verdict.REFUSED:
            raise ApplicationError("refused", _(
                "We could not accept this submission. Please check your answers and send it again."
            ))
        if verdict is abuse.Verdict.EXPIRED:
            raise ApplicationError("expired", _(
                "This form was open for a long time, so for your safety we did not send it yet. "
                "Your answers are still here: please check them and send the form again."
            ))
        codes, errors = _bind_codes(data, request.LANGUAGE_CODE)
        if errors:
            raise invalid(errors)
        _pass_submission_gate(request, data)
        try:
            offer = seal_offer(**codes)
        except ApplicationError as exc:
            raise _unavailable(exc.code) from exc
        organisation = Organisation.objects.filter(pk=offer.organisation_id).values_list("slug", flat=True).first()
        return Response({
            "token": offer.token, "binding": offer.binding, "organisation": organisation or "",
            "key_version": offer.key_version, "public_key": base64.b64encode(offer.public_key).decode(),
            "expires_in": BINDING_MAX_AGE_SECONDS, "attachment_ids": sealed_attachment_ids(offer.binding),
        })


class Base64Field(StrictCharField):
    """Standard base64 (with padding) of at most `max_bytes` bytes; the value is the bytes."""

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        super().__init__(max_length=(max_bytes + 2) // 3 * 4, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raise serializers.ValidationError(_("This is not base64.")) from None


class SealedReportIn(PlainShape):
    """Ciphertext, codes and the receipt's look-up token: nothing the server can read."""

    token = StrictCharField(max_length=1000, help_text="From POST /reports/bind/.")
    sealed_case_key = Base64Field(max_bytes=crypto.SEALED_KEY_BYTES, help_text="HPKE seal of the case key.")
    sealed_internal_key = Base64Field(max_bytes=crypto.SEALED_KEY_BYTES, help_text="HPKE seal of the internal key.")
    report = Base64Field(max_bytes=1 + crypto.NONCE_BYTES + REPORT_MAX_BUCKET + 16,
                         help_text="The report: padded JSON under the case key (AES-256-GCM).")
    lookup_token = Base64Field(max_bytes=crypto.RECEIPT_TOKEN_BYTES, help_text="HKDF of the receipt code.")
    reporter_wrap = Base64Field(max_bytes=crypto.WRAPPED_KEY_BYTES, help_text="The case key under the receipt key.")
    incident_type = _text("An incident type code, or `unknown`.")
    wants_counselling = serializers.BooleanField(required=False, default=False)
    notify_email = serializers.EmailField(required=False, allow_blank=True, max_length=254,
                                          help_text="Optional; the server must read it to send content-free notices.")
    consent = serializers.BooleanField(required=False, default=False, help_text="Must be true (GDPR Art. 9(2)(a)).")
    consent_contact = serializers.BooleanField(required=False, default=True)
    consent_statistics = serializers.BooleanField(required=False, default=True)
    consent_network = serializers.BooleanField(required=False, default=False)
    consent_publication = serializers.BooleanField(required=False, default=False)
    attachments = serializers.ListField(
        child=Base64Field(max_bytes=1 + crypto.NONCE_BYTES + META_MAX_BUCKET + 16), required=False, default=list,
        help_text="multipart only: for each `file` part, in order, its name, type and size as padded JSON under "
        "the case key (AES-256-GCM, purpose `attachment-meta:<id>`).",
    )


class SealedReportOut(serializers.Serializer):
    reference = serializers.CharField()


_BINDING_REFUSALS = {"binding_expired", "binding_invalid", "binding_used", "binding_stale"}


class SealedReportView(PublicAPIView):
    @extend_schema(
        operation_id="reports_sealed", request=SealedReportIn,
        responses={201: SealedReportOut, **ERRORS,
                   409: error_doc("The binding expired, was used or is stale: bind again.")},
        description="A report sealed in the browser (SPEC §3.10). Checked by length and format only; "
        "nothing is stored when anything is refused.",
    )
    def post(self, request: Request) -> Response:
        if str(request.content_type).startswith("multipart/"):
            return self._with_files(request)
        data = _validated(request, SealedReportIn)
        if data["attachments"]:
            raise ApplicationError("malformed", _("The files are missing."))
        return self._store(data, ())

    def _with_files(self, request: Request) -> Response:
        """multipart: the JSON in the field `sealed`, each file's stream in a part `file`."""
        with _sealed_streams(request) as (payload, streams, handler):
            if handler.failed is not None:
                logger.error("Sealed files not stored: %s", handler.failed)
                raise _unavailable("storage_unavailable")
            data = _shaped(payload, SealedReportIn)
            if len(streams) <= settings.REPORT_MAX_FILES and len(data["attachments"]) != len(streams):
                raise ApplicationError("malformed", _(
                    "Your encrypted report could not be accepted. Nothing was stored; please send it again."
                ))
            return self._store(data, _sealed_files(streams, data["attachments"]))

    def _store(self, data: dict[str, Any], files: tuple[SealedFile, ...]) -> Response:
        errors: dict[str, list[str]] = {}
        incident_type = data.get("incident_type") or ""
        if incident_type == UNKNOWN:
            incident_type = ""
        if incident_type and incident_type not in IncidentType.values:
            errors["incident_type"] = [_("Please choose from the list.")]
        if not data.get("consent"):
            errors["consent"] = [_("Please confirm that you agree, so that we may process your report.")]
        if errors:
            raise ApplicationError("invalid", _("Some answers need another look."), http_status=400, fields=errors)
        sealed = SealedReport(
            token=data["token"], sealed_case_key=data["sealed_case_key"],
            sealed_internal_key=data["sealed_internal_key"], report_ciphertext=data["report"],
            lookup_token=data["lookup_token"], reporter_wrap=data["reporter_wrap"],
            incident_type=incident_type, wants_counselling=data["wants_counselling"],
            notify_email=data.get("notify_email") or "",
            consent_contact=data["consent_contact"], consent_statistics=data["consent_statistics"],
            consent_network=data["consent_network"], consent_publication=data["consent_publication"],
            files=files,
        )
        try:
            case = sealed_report_submit(sealed=sealed)
        except ApplicationError as exc:
            if exc.code in _BINDING_REFUSALS:
                raise ApplicationError(exc.code, _(
                    "Your report was not sent yet because its preparation expired. Nothing was stored; "
                    "please send it again."
                ), http_status=409) from exc
            if exc.code == "malformed":
                raise ApplicationError("malformed", _(
                    "Your encrypted report could not be accepted. Nothing was stored; please send it again."
                ), http_status=400) from exc
            if exc.code in {"too_many_files", "file_too_large"}:
                raise  # 413, with its own message
            raise _unavailable(exc.code) from exc
        except DatabaseError as exc:
            logger.error("Sealed report not stored: %s", type(exc).__name__)
            raise ApplicationError("unavailable", _(
                "Nothing you entered has been stored. Please try again in a few minutes."
            ), http_status=503) from exc
        return Response({"reference": case.reference}, status=201)


# --------------------------------------------------------------------------------------------
# The follow-up in the reporter's browser (SPEC §3.10): the receipt code stays in the browser.
# It sends the code's look-up token; the server answers with ciphertext the browser opens with
# the code, and takes replies the browser encrypted under the case key.


class SealedFollowupIn(serializers.Serializer):
    lookup_token = Base64Field(max_bytes=crypto.RECEIPT_TOKEN_BYTES,
                               help_text="HKDF of the normalised receipt code (as at submission).")
    challenge = _text("From GET /followup/challenge/; needed after several wrong codes (429 `pow_required`).")
    nonce = _text("The solution of the challenge.")


class SealedMessageIn(SealedFollowupIn):
    seal_id = StrictCharField(max_length=32, help_text="32 random hex digits: the message is bound to "
                              "`message:<seal_id>`; once per case.")
    body = Base64Field(max_bytes=1 + crypto.NONCE_BYTES + MESSAGE_MAX_BUCKET + 16,
                       help_text="The message, padded (as at submission) and encrypted under the case key "
                       "(AES-256-GCM, bound to the case binding and `message:<seal_id>`).")


class SealedItemOut(serializers.Serializer):
    purpose = serializers.CharField(help_text="Associated data: meldestelle/v1|<binding>|<purpose>.")
    ciphertext = serializers.CharField(help_text="Base64: version byte, nonce, ciphertext and tag.")


class SealedMessageOut(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["reporter", "staff"])
    body = SealedItemOut(help_text="Padded text under the case key.")
    created_at = serializers.DateTimeField()
    unread = serializers.BooleanField(help_text="A staff message the reporter had not read yet.")


class SealedFollowupOut(serializers.Serializer):
    reference = serializers.CharField()
    binding = serializers.CharField(help_text="What every ciphertext is bound to; the salt of the receipt key.")
    status = serializers.CharField()
    status_label = serializers.CharField()
    status_text = serializers.CharField()
    received_on = serializers.DateField()
    reporter_wrap = SealedItemOut(help_text="The case key under HKDF(code, salt=binding, info=receipt).")
    report = SealedItemOut(help_text="The report: padded JSON.")
    messages = SealedMessageOut(many=True)
    attachments = SealedItemOut(many=True, help_text="The reporter's files: JSON name, type and size.")
    summaries_waiting = serializers.IntegerField(help_text="Summaries waiting for the reporter's approval "
                                                 "(POST /followup/choices/ with the code shows them).")
    outcome_question = serializers.BooleanField(help_text="The outcome question waits for an answer.")


class SealedMessageSentOut(serializers.Serializer):
    created_at = serializers.DateTimeField()


def _find(request: Request, serializer_class: type[serializers.Serializer]) -> tuple[dict[str, Any], Case]:
    """The validated body and the case its look-up token finds: the gate of `_open` (a wrong
    token is a wrong code, with the same answer, and counts)."""
    data = _validated(request, serializer_class)
    return data, _find_case(request, data)


def _find_case(request: Request, data: dict[str, Any]) -> Case:
    try:
        case = abuse.followup_find(
            request_client(request), data["lookup_token"], challenge=data.get("challenge", ""),
            nonce=data.get("nonce", ""),
        )
    except abuse.FollowupBlocked as exc:
        raise ApplicationError("pow_required", _(
            "Several codes that do not open a report were tried from here. Please solve the "
            "challenge (GET /api/v1/followup/challenge/) and send it with your next try."
        ), http_status=429, fields={"nonce": [_("Please solve a new challenge.")]}) from exc
    if case is None:
        raise ApplicationError("not_found", _("This code does not open a report. Please check it and try again."))
    return case


def _sealed(item: SealedItem) -> dict[str, str]:
    return {"purpose": item.purpose, "ciphertext": base64.b64encode(item.ciphertext).decode()}


class FollowupSealedView(PublicAPIView):
    @extend_schema(
        operation_id="followup_sealed", request=SealedFollowupIn,
        responses={200: SealedFollowupOut, **FOLLOWUP_ERRORS},
        description="The follow-up in the browser (SPEC §3.10): status, and as ciphertext the reporter wrap, "
        "the report, the messages and the reporter's file names, for the browser to open with the code. "
        "Marks the staff's messages read.",
    )
    def post(self, request: Request) -> Response:
        _data, case = _find(request, SealedFollowupIn)
        view = reporter_sealed_case_view(case)
        messages_mark_read(case=case, by_reporter=True)
        return Response({
            "reference": view.reference, "binding": view.binding, "status": view.status,
            "status_label": view.status_label, "status_text": view.status_text,
            "received_on": view.received_on.isoformat(),
            "reporter_wrap": _sealed(view.reporter_wrap), "report": _sealed(view.report),
            "messages": [
                {"direction": "reporter" if m.from_reporter else "staff", "body": _sealed(m.body),
                 "created_at": m.created_at.isoformat(), "unread": m.unread}
                for m in view.messages
            ],
            "attachments": [_sealed(item) for item in view.attachments],
            "summaries_waiting": view.summaries_waiting, "outcome_question": view.outcome_question,
        })


class FollowupSealedMessageView(PublicAPIView):
    @extend_schema(
        operation_id="followup_sealed_message", request=SealedMessageIn,
        responses={201: SealedMessageSentOut, **FOLLOWUP_ERRORS,
                   409: error_doc("This `seal_id` was used before in this case: nothing was stored.")},
        description="A reply encrypted in the browser (SPEC §3.10), stored like any reply of the reporter. "
        "Checked by length and format only; nothing is stored when anything is refused.",
    )
    def post(self, request: Request) -> Response:
        data, case = _find(request, SealedMessageIn)
        try:
            message = sealed_message_post(case=case, seal_id=data["seal_id"], body_ciphertext=data["body"])
        except ApplicationError as exc:
            if exc.code == "malformed":
                raise ApplicationError("malformed", _(
                    "Your encrypted message could not be accepted. Nothing was stored; please send it again."
                )) from exc
            if exc.code == "reply_used":
                raise ApplicationError("reply_used", _(
                    "This message was sent before. Nothing was stored again."
                ), http_status=409) from exc
            raise
        return Response({"created_at": message.created_at.isoformat()}, status=201)


class SealedFileIn(serializers.Serializer):
    id = StrictCharField(max_length=32, help_text="32 random hex digits (128 bits) chosen by the browser: the "
                         "file's attachment id, which its stream and metadata are bound to.")
    meta = Base64Field(max_bytes=1 + crypto.NONCE_BYTES + META_MAX_BUCKET + 16,
                       help_text="Name, type and size as padded JSON under the case key (AES-256-GCM, "
                       "purpose `attachment-meta:<id>`).")


class SealedFilesIn(SealedFollowupIn):
    attachments = SealedFileIn(many=True, help_text="For each `file` part, in order: its id and metadata.")


class SealedFilesOut(serializers.Serializer):
    added = serializers.IntegerField(help_text="How many files were stored.")


class FollowupSealedFilesView(PublicAPIView):
    @extend_schema(
        operation_id="followup_sealed_files",
        request={"multipart/form-data": {
            "type": "object", "required": ["sealed", "file"],
            "properties": {
                "sealed": {"type": "string", "description": "SealedFilesIn as JSON (the look-up token, and "
                           "for each file its id and metadata ciphertext)."},
                "file": {"type": "array", "items": {"type": "string", "format": "binary"},
                         "description": "Each file's ciphertext (reporting.crypto's attachment stream under "
                         "the case key, bound to the case binding and the file's id), in order."},
            },
        }},
        responses={201: SealedFilesOut, **FOLLOWUP_ERRORS,
                   409: error_doc("An attachment id was used before: nothing was stored."),
                   413: error_doc("Too many files, or a file too large: nothing was stored."),
                   415: error_doc("Not multipart/form-data."),
                   503: error_doc("The file store or the database is unavailable: nothing was stored.")},
        description="Files the reporter's browser encrypted in the follow-up (SPEC §3.10), stored like any "
        "file the reporter adds. Checked by length and format only; nothing is stored when anything is "
        "refused. The JSON part's shape is SealedFilesIn.",
    )
    def post(self, request: Request) -> Response:
        if not str(request.content_type).startswith("multipart/"):
            raise ApplicationError("unsupported_media_type", _("Please send multipart/form-data."), http_status=415)
        with _sealed_streams(request) as (payload, streams, handler):
            data = _shaped(payload, SealedFilesIn)
            case = _find_case(request, data)  # the gate first: a wrong token counts
            if handler.failed is not None:
                logger.error("Sealed files not stored: %s", handler.failed)
                raise ApplicationError("storage_unavailable", _(
                    "Your files have not been stored. Please try again in a few minutes."
                ), http_status=503)
            refused = _("Your encrypted files could not be accepted. Nothing was stored; please send them again.")
            if not streams or (len(streams) <= settings.REPORT_MAX_FILES and len(data["attachments"]) != len(streams)):
                raise ApplicationError("malformed", refused)
            files = _sealed_files(streams, [item["meta"] for item in data["attachments"]])
            ids = [item["id"] for item in data["attachments"]]
            ids += [""] * (len(files) - len(ids))
            try:
                added = sealed_followup_files_add(case=case, files=files, attachment_ids=ids)
            except ApplicationError as exc:
                if exc.code == "malformed":
                    raise ApplicationError("malformed", refused) from exc
                if exc.code == "attachment_id_used":
                    raise ApplicationError("attachment_id_used", _(
                        "Your files could not be stored. Nothing was stored; please send them again."
                    ), http_status=409) from exc
                if exc.code in {"too_many_files", "file_too_large"}:
                    raise  # 413, with its own message
                raise ApplicationError(exc.code, _(
                    "Your files have not been stored. Please try again in a few minutes."
                ), http_status=503) from exc
            except DatabaseError as exc:
                logger.error("Sealed files not stored: %s", type(exc).__name__)
                raise ApplicationError("unavailable", _(
                    "Your files have not been stored. Please try again in a few minutes."
                ), http_status=503) from exc
            return Response({"added": len(added)}, status=201)
