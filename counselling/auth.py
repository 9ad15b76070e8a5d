"""Staff login: password, TOTP, per-account lockout, and the organisation-key unlock (SPEC §5, §3.7).

`login_check` decides (no request involved); `session_start` / `session_end` put the result
into the request: Django's login, the OTP device, and both halves of the unlocked key.
Nothing here stores a client address; failed logins are counted on the account only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from counselling.access import membership_of, unlock_clear, unlock_store
from counselling.models import Membership
from counselling.services import member_unlock
from reporting.audit import AuditAction, audit_log
from reporting.models import OrganisationKey
from reporting.services import ServiceError

# Key problems a member may have after a successful login (shown on the pages).
KEY_OK = ""
KEY_MISSING = "no_key_access"  # wrap lost (password reset) or never granted
KEY_NONE_FOR_ROLE = "coordinator"  # coordinators hold no case keys by design
KEY_MISMATCH = "key_mismatch"  # the unlocked key does not derive the stored public key (SPEC §3.9)

_DUMMY_HASH: str | None = None


class LoginRefused(ServiceError):
    """`code` is one of invalid_credentials, invalid_otp, locked."""


@dataclass(frozen=True)
class LoginResult:
    user: Any
    membership: Membership | None
    device: TOTPDevice | None
    org_private_key: bytes | None
    key_problem: str


def _burn_password_time(password: str) -> None:
    """Hash anyway for unknown users, so timing does not tell which usernames exist."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("not a real password")
    get_user_model()(password=_DUMMY_HASH).check_password(password)


def _register_failure(user: Any | None, membership: Membership | None, *, step: str) -> None:
    with transaction.atomic():
        if membership is not None:
            Membership.objects.filter(pk=membership.pk).update(failed_logins=F("failed_logins") + 1)
            membership.refresh_from_db(fields=["failed_logins"])
            if membership.failed_logins >= settings.LOGIN_MAX_FAILURES:
                membership.locked_until = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
                membership.failed_logins = 0
                membership.save(update_fields=["locked_until", "failed_logins"])
        # No username: an unknown name could be a mistyped password.
        audit_log(
            actor=None, action=AuditAction.AUTH_LOGIN_FAILED,
            organisation_id=membership.organisation_id if membership else None,
            data={"member": membership.pk, "step": step} if membership else {"step": step},
        )


def is_locked(membership: Membership | None) -> bool:
    return bool(membership and membership.locked_until and membership.locked_until > timezone.now())


def login_check(*, username: str, password: str, otp: str) -> LoginResult:
    """Check password and TOTP; on success unlock the organisation key if the member holds it.

    Raises LoginRefused. Every failure (password or code) counts towards the lockout.
    """
    user = get_user_model().objects.filter(username=username).first()
    membership = membership_of(user) if user is not None else None
    if is_locked(membership):
        raise LoginRefused(
            "locked", str(_("Too many failed attempts. This account is locked for a while; try again later."))
        )
    if user is None:
        _burn_password_time(password)
        _register_failure(None, None, step="password")
        raise LoginRefused("invalid_credentials", str(_("Username or password is not right.")))
    if not user.is_active or not user.check_password(password):
        _register_failure(user, membership, step="password")
        raise LoginRefused("invalid_credentials", str(_("Username or password is not right.")))

    device = None
    if settings.TOTP_REQUIRED:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None or not device.verify_token((otp or "").strip().replace(" ", "")):
            _register_failure(user, membership, step="otp")
            raise LoginRefused("invalid_otp", str(_("The code from the authenticator app is not right.")))

    org_private_key: bytes | None = None
    key_problem = KEY_OK
    if membership is not None and membership.is_coordinator:
        key_problem = KEY_NONE_FOR_ROLE
    elif membership is not None:
        try:
            org_private_key = member_unlock(membership=membership, password=password)
        except ServiceError as exc:
            key_problem = KEY_MISMATCH if exc.code == KEY_MISMATCH else KEY_MISSING
    else:
        key_problem = KEY_NONE_FOR_ROLE

    with transaction.atomic():
        if membership is not None:
            Membership.objects.filter(pk=membership.pk).update(failed_logins=0, locked_until=None)
        org_id = membership.organisation_id if membership else None
        audit_log(actor=user, action=AuditAction.AUTH_LOGIN, organisation_id=org_id,
                  data={"key_access": org_private_key is not None})
        if org_private_key is not None:
            audit_log(actor=user, action=AuditAction.AUTH_UNLOCKED, organisation_id=org_id)
    return LoginResult(
        user=user, membership=membership, device=device, org_private_key=org_private_key, key_problem=key_problem
    )


def session_start(request: HttpRequest, response: HttpResponse, result: LoginResult) -> None:
    """Log the user in (new session id), remember the verified device, store the unlock halves."""
    django_login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    if result.device is not None:
        django_otp.login(request, result.device)
    if result.org_private_key is not None:
        unlock_store(request, response, result.org_private_key)


def unlock_again(request: HttpRequest, response: HttpResponse, *, password: str) -> bytes:
    """Re-open the organisation key in a logged-in session (e.g. after the cookie was lost).

    Raises LoginRefused for a wrong password (counts towards the lockout) and ServiceError
    ('no_key_access') when the member holds no key.
    """
    user = request.user
    membership = membership_of(user)
    if membership is None or membership.organisation_id is None:
        raise ServiceError("no_key_access", str(_("This account holds no organisation key.")))
    if is_locked(membership):
        raise LoginRefused("locked", str(_("Too many failed attempts. Try again later.")))
    if not user.check_password(password):
        _register_failure(user, membership, step="unlock")
        raise LoginRefused("invalid_credentials", str(_("The password is not right.")))
    org_private_key = member_unlock(membership=membership, password=password)
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(failed_logins=0)
        audit_log(actor=user, action=AuditAction.AUTH_UNLOCKED, organisation_id=membership.organisation_id)
    unlock_store(request, response, org_private_key)
    return org_private_key


def session_end(request: HttpRequest, response: HttpResponse) -> None:
    """Logout: audit, destroy both unlock halves, flush the session."""
    user = request.user
    if getattr(user, "is_authenticated", False):
        membership = membership_of(user)
        with transaction.atomic():
            audit_log(actor=user, action=AuditAction.AUTH_LOGOUT,
                      organisation_id=membership.organisation_id if membership else None)
    unlock_clear(request, response)
    django_logout(request)


def key_problem_for(user: Any) -> str:
    """Why a logged-in user cannot read cases (or KEY_OK)."""
    membership = membership_of(user)
    if membership is None or membership.is_coordinator or membership.organisation_id is None:
        return KEY_NONE_FOR_ROLE
    if not membership.has_key_access:
        return KEY_MISSING
    if OrganisationKey.objects.filter(organisation_id=membership.organisation_id, active=True,
                                      suspended_at__isnull=False).exists():
        return KEY_MISMATCH
    return KEY_OK
