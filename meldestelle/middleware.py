"""Middleware that keeps client addresses out of everything and sets security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

ADDRESS_HEADERS = (
    "REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_USER_AGENT",
    "HTTP_X_TOR_CIRCUIT",
)


class NoClientAddressMiddleware:
    """Take the client address, Tor circuit and user agent out of the request before any view
    sees them.

    Rate limiting needs a keyed, rotating hash of the client's identity (its address, or its Tor
    circuit on the onion service: meldestelle.ratelimit.client_identity), computed here once and
    kept on the request as `request.client_hash`; the raw values are removed from META so that
    nothing further down (views, error reports, logging) can store them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from meldestelle.ratelimit import client_hash, client_identity

        request.client_hash = client_hash(client_identity(request.META))  # type: ignore[attr-defined]
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
