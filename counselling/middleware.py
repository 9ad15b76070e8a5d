"""A plain 403/404 page for every staff URL, with DEBUG on as with DEBUG off (issue 19).

With DEBUG on, Django answers an Http404 with its technical page (URL patterns, settings
names); a counsellor who follows a link they may not use should see a calm page with the staff
navigation instead, and nothing about the site's internals. The middleware turns every 403 and
404 under /staff/ into that page, whether a view raised it, the resolver found no pattern, or
CSRF refused a form.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from meldestelle.errors import ApplicationError

STAFF_PREFIX = "/staff/"
_MARK = "_staff_error_page"


def staff_error_page(request: HttpRequest, status: int, text: str | None = None, title: str | None = None) -> HttpResponse:
    from counselling.views.common import _page

    if text is not None:
        title = title or _("Not available right now")
    elif status == 403:
        title, text = _("Not allowed"), _("You cannot open this page with your account.")
    else:
        title, text = _("Page not found"), _("This page does not exist or is not visible to you.")
    response = _page(request, "counselling/error.html", {"title": title, "text": text}, status=status)
    setattr(response, _MARK, True)
    return response


class StaffErrorPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (request.path.startswith(STAFF_PREFIX) and response.status_code in (403, 404)
                and not getattr(response, _MARK, False)):
            return staff_error_page(request, response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        if not request.path.startswith(STAFF_PREFIX):
            return None
        if isinstance(exception, Http404):
            return staff_error_page(request, 404)
        if isinstance(exception, PermissionDenied):
            return staff_error_page(request, 403)
        if isinstance(exception, ApplicationError) and exception.status == 503:
            # A service that is briefly unavailable (the file store): a calm page, not a 500.
            return staff_error_page(request, 503, exception.message)
        if isinstance(exception, ApplicationError) and exception.code == "seal_unopenable":
            # A report sealed in a browser to another key (an action on such a case): no unlock
            # opens it, so the page says so instead of asking for one (SPEC §3.10).
            return staff_error_page(request, exception.status, exception.message)
        if isinstance(exception, ApplicationError) and exception.code == "attachment_unreadable":
            # A file sealed in a browser under another key: refused calmly, not a 500.
            return staff_error_page(request, exception.status, exception.message, _("This file cannot be opened"))
        return None
