"""Middleware that keeps client addresses out of everything and sets security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

ADDRESS_HEADERS = ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_USER_AGENT")


class NoClientAddressMiddleware:
    """Take the client address and user agent out of the request before any view sees them.

    Rate limiting needs a keyed, rotating hash of the address, computed here once and kept
    on the request as `request.client_hash`; the raw values are removed from META so that
    nothing further down (views, error reports, logging) can store them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from meldestelle.ratelimit import client_hash

        address = request.META.get("REMOTE_ADDR", "")
        if settings.BEHIND_PROXY:
            # Behind our reverse proxy the last hop it appended is the client.
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            address = forwarded.split(",")[-1].strip() or address
        request.client_hash = client_hash(address)  # type: ignore[attr-defined]
        for name in ADDRESS_HEADERS:
            if name in request.META:
                request.META[name] = ""
        return self.get_response(request)


PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if getattr(request, "no_store", False) or request.path.startswith(("/api/", "/staff/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
