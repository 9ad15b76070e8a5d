"""Guards for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache


def is_staff_session(request: HttpRequest) -> bool:
    """Logged in, and (where required) verified with TOTP in this session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if settings.TOTP_REQUIRED:
        return bool(getattr(user, "is_verified", lambda: False)())
    return True


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Login (plus TOTP when required), else to the login page; staff pages are never cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase
        if not is_staff_session(request):
            response = redirect(f"{reverse('counselling:login')}?{urlencode({'next': request.get_full_path()})}")
        else:
            response = view(request, *args, **kwargs)
        return response

    return never_cache(wrapper)
