"""JSON errors for the API (SPEC §7): {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_response(code: str, message: str, *, http_status: int, fields: dict[str, Any] | None = None) -> Response:
    return Response({"error": {"code": code, "message": str(message), "fields": fields or {}}}, status=http_status)


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, dict | list) else _flatten(item) for item in detail]
    return [str(detail)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        return error_response("not_found", _("Not found."), http_status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            "invalid", _("Some answers need another look."), http_status=400, fields=_flatten(exc.detail)
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code_map = {
        401: "not_authenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        413: "too_large",
        415: "unsupported_media_type",
        429: "throttled",
    }
    code = code_map.get(response.status_code, "error")
    message = getattr(exc, "detail", None) or _("Something went wrong.")
    if isinstance(message, dict | list):
        message = _("Something went wrong.")
    return error_response(code, str(message), http_status=response.status_code)


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python can decode is a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("The request is nested too deeply.")) from exc
