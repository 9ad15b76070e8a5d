"""JSON errors for the API (SPEC §7): {"error": {"code", "message", "fields"}}, written in one place.

Every API error goes through `exception_handler`: an `ApplicationError` (meldestelle.errors)
raised by a service, an access check or a view; Django's Http404; and DRF's own exceptions
(validation, authentication, parsing, throttling). `ERROR` is the one schema that documents it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from meldestelle.errors import STATUS, ApplicationError


class ErrorBody(serializers.Serializer):
    code = serializers.CharField(help_text="Stable; clients branch on it.")
    message = serializers.CharField(help_text="For people, in the language of Accept-Language.")
    # Declared fields are popped from the class by the serializer metaclass; the stubs see the
    # Serializer.fields property instead.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Input names and what is wrong with them; empty unless the input was refused.",
    )


class Error(serializers.Serializer):
    error = ErrorBody()


#: The one error schema, for `extend_schema(responses={400: ERROR, ...})`.
ERROR = Error


def error_doc(description: str) -> OpenApiResponse:
    """The error schema with a description of when it is sent."""
    return OpenApiResponse(ERROR, description=description)


def error_body(error: ApplicationError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "fields": error.fields}}


def error_response(error: ApplicationError) -> Response:
    return Response(error_body(error), status=error.status)


def invalid(fields: dict[str, list[str]], *, code: str = "invalid") -> ApplicationError:
    """The error for refused input: `fields` says which answers and why."""
    return ApplicationError(code, _("Some answers need another look."), fields=fields)


def errors_as_fields(form: Any) -> dict[str, list[str]]:
    """A Django form's errors as the API's `fields` (non-field errors under "non_field")."""
    return {
        ("non_field" if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
        for name, messages in form.errors.items()
    }


def field_messages(detail: Any) -> dict[str, list[str]]:
    """DRF's (possibly nested) error detail as {field: [message, ...]}, nested messages lifted
    to the top-level field they belong to (a list item's error is the list's)."""

    def leaves(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [text for item in value.values() for text in leaves(item)]
        if isinstance(value, list):
            return [text for item in value for text in leaves(item)]
        return [str(value)]

    if isinstance(detail, dict):
        return {str(name): leaves(value) for name, value in detail.items()}
    return {"non_field_errors": leaves(detail)}


# DRF's own exceptions carry a status; their code is the one STATUS gives that status.
_DRF_CODES = ("not_authenticated", "forbidden", "not_found", "method_not_allowed", "not_acceptable",
              "too_large", "unsupported_media_type", "throttled")
_CODE_OF_STATUS = {STATUS[code]: code for code in _DRF_CODES}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return error_response(exc)
    if isinstance(exc, Http404):
        return error_response(ApplicationError("not_found", _("Not found.")))
    if isinstance(exc, exceptions.ValidationError):
        return error_response(invalid(field_messages(exc.detail)))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _CODE_OF_STATUS.get(response.status_code, "error")
    message = getattr(exc, "detail", None)
    if not message or isinstance(message, dict | list):
        message = _("Something went wrong.")
    final = error_response(ApplicationError(code, message, http_status=response.status_code))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            final[header] = response[header]
    return final


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python can decode is a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("The request is nested too deeply.")) from exc

