"""Site-wide views: health check and translated error pages that reveal nothing."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language_from_request
from django.utils.translation import gettext as _
from django_q.brokers import get_broker

from meldestelle.api import error_body
from meldestelle.errors import ApplicationError
from reporting.blobs import storage_problem


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure is "down"; the detail goes to the operator's logs
        checks["database"] = "down"
    try:
        broker = get_broker()
        checks["queue"] = "ok" if broker.ping() else "down"
    except Exception:
        checks["queue"] = "down"
    try:
        # Where evidence files go (a local directory or the S3 bucket): a host that cannot
        # store them must not take reports with files.
        checks["store"] = "ok" if storage_problem() is None else "down"
    except Exception:
        checks["store"] = "down"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)


def language_home(request: HttpRequest) -> HttpResponse:
    """ "/": the start page in the browser's language (Accept-Language), German when none of the
    seven fits. The switcher on every page changes it."""
    language = get_language_from_request(request)
    response = HttpResponseRedirect(f"/{language}/")
    patch_vary_headers(response, ["Accept-Language"])
    patch_cache_control(response, private=True)
    return response


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        # Django's own answers under /api/ (no route, CSRF, a crash) in the API's one error body.
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}
        return JsonResponse(error_body(ApplicationError(codes[status], title)), status=status)
    return render(request, "error.html", {"title": title, "text": text}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("The request could not be understood"), _("Please go back and try again."))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Not allowed"), _("You cannot open this page."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Page not found"), _("This page does not exist or is not visible to you."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 500, _("Something went wrong on our side"),
        _("Nothing you entered has been stored. Please try again in a few minutes."),
    )
