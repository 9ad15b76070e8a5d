"""Staff login, unlock, logout and password change (SPEC §5).

The login is one form: username, password and the authenticator code, judged together, with
one answer for every failure (`counselling.auth`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from counselling import auth
from counselling.access import membership_of
from counselling.decorators import is_staff_session, staff_required
from counselling.forms import LoginForm, PasswordChangeForm, UnlockForm
from counselling.services import member_change_password
from counselling.views.common import STAFF, _page, _safe_next
from meldestelle.ratelimit import request_client
from reporting.services import ServiceError


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    return _login(request)


def _login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and is_staff_session(request):
        return redirect("counselling:inbox")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = auth.login_check(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                otp=form.cleaned_data["otp"], client=request_client(request),
            )
        except auth.LoginRefused as exc:
            form.add_error(None, exc.message)
            status = 400
        else:
            response = redirect(_safe_next(request, reverse("counselling:inbox")))
            auth.session_start(request, response, result)
            return response
    return render(request, "counselling/login.html",
                  {**STAFF, "form": form, "totp_required": settings.TOTP_REQUIRED,
                   "next": request.GET.get("next", "")}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    response = redirect("counselling:login")
    auth.session_end(request, response)
    return response


@staff_required
def unlock_view(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = redirect(_safe_next(request, reverse("counselling:inbox")))
        try:
            auth.unlock_again(request, response, password=form.cleaned_data["password"],
                              client=request_client(request))
        except auth.LoginRefused as exc:
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.add_error(None, exc.message if exc.code == auth.KEY_MISMATCH
                           else _("Your account holds no key for the organisation's cases."))
        else:
            return response
    return _page(request, "counselling/unlock.html", {"form": form, "next": request.GET.get("next", "")})


@staff_required
def password_change(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    if membership is None:
        raise Http404
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_change_password(membership=membership, old_password=form.cleaned_data["old_password"],
                                   new_password=form.cleaned_data["new_password"])
        except ServiceError:
            form.add_error("old_password", _("The current password is not right."))
        else:
            # The service ended every session of this member; this one goes on under a new
            # session key (the unlock halves move with it).
            assert request.user.is_authenticated  # staff_required
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed; your key access moved with it."))
            return redirect("counselling:inbox")
    return _page(request, "counselling/password.html", {"form": form})
