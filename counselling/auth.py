"""Staff login: password and TOTP judged together, one answer for every failure, throttling per
account and client, and the organisation-key unlock (SPEC §5, §3.7, §3.9; review F-06, F-07).

`login_check` decides (no request involved); `session_start` / `session_end` put the result
into the request: Django's login, the OTP device, and both halves of the unlocked key.

Failed logins say nothing: an unknown username, a wrong password, a wrong or replayed code, an
inactive account and a throttled attempt all get the same `LoginRefused("login_failed")` with
the same message, after the same work (one password hash, a dummy one for unknown names, and
one TOTP computation). The password is never judged alone: the code is checked whatever the
password, and only both together log in.

Throttling is per (account, client): the account is a keyed hash of the username (names that
do not exist too), the client the keyed, rotating address hash the middleware puts on the
request (`request.client_hash`; no address is ever stored). After LOGIN_FREE_FAILURES failures,
every further one doubles a wait (LOGIN_DELAY_SECONDS up to LOGIN_MAX_DELAY_SECONDS) during which
that client's attempts on that account are refused unseen. Someone failing from another client
never delays the counsellor. The TOTP device's own throttle (django-otp) is not used here: it
counts per account, so wrong codes from anyone could lock a counsellor out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import is_same_domain
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from counselling.access import membership_of, unlock_clear, unlock_store
from counselling.models import Membership
from counselling.services import member_unlock
from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import OrganisationKey
from reporting.services import ServiceError

# Key problems a member may have after a successful login (shown on the pages).
KEY_OK = ""
KEY_MISSING = "no_key_access"  # wrap lost (password reset) or never granted
KEY_NONE_FOR_ROLE = "coordinator"  # coordinators hold no case keys by design
KEY_MISMATCH = "key_mismatch"  # the unlocked key does not derive the stored public key (SPEC §3.9)

LOGIN_FAILED = "login_failed"
LOGIN_FAILED_MESSAGE = _(
    "Login failed. Check the username, the password and the code from the authenticator app. "
    "After several failed attempts, logins from this device wait a few minutes."
)
# How long the failures of one (account, client) pair are remembered without a success.
_THROTTLE_MEMORY_SECONDS = 24 * 3600
# Stands in for a device when the username is unknown, so the same TOTP work is done.
_DUMMY_TOTP_KEY = bytes(20)

_DUMMY_HASH: str | None = None


class LoginRefused(ServiceError):
    """`code` is always LOGIN_FAILED for a login; unlock_again uses invalid_password / throttled."""


@dataclass(frozen=True)
class LoginResult:
    user: Any
    membership: Membership | None
    device: TOTPDevice | None
    org_private_key: bytes | None
    key_problem: str


def _refused() -> LoginRefused:
    return LoginRefused(LOGIN_FAILED, str(LOGIN_FAILED_MESSAGE))


# --------------------------------------------------------------------------------------------
# Equal work


def _dummy_password_check(password: str) -> None:
    """Hash anyway where there is no real hash to check, so timing tells nothing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("not a real password")
    get_user_model()(password=_DUMMY_HASH).check_password(password)


def _password_ok(user: Any | None, password: str) -> bool:
    if user is None or not user.has_usable_password():
        _dummy_password_check(password)
        return False
    return bool(user.check_password(password))


@dataclass(frozen=True)
class _CodeMatch:
    time_step: int
    drift: int


def _code_match(device: TOTPDevice | None, otp: str) -> _CodeMatch | None:
    """The time step a code matches for the device (not yet used), or None; no side effects.

    Computed for unknown users too (against a dummy key), and whatever the password was.
    Nothing is written here: a wrong code from anyone leaves the device as it is.
    """
    token = (otp or "").strip().replace(" ", "")
    number = int(token) if token.isascii() and token.isdigit() and len(token) <= 10 else -1
    if device is None:
        totp = TOTP(_DUMMY_TOTP_KEY, 30, 0, 6, 0)
        totp.time = time.time()
        totp.verify(number, 1, 0)
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if number < 0 or not totp.verify(number, device.tolerance, device.last_t + 1):
        return None
    return _CodeMatch(time_step=totp.t(), drift=totp.drift)


def _code_use(device: TOTPDevice, match: _CodeMatch) -> bool:
    """Mark the code's time step used; False if a concurrent login used it first (replay)."""
    updated = TOTPDevice.objects.filter(pk=device.pk, last_t__lt=match.time_step).update(
        last_t=match.time_step, drift=match.drift, last_used_at=timezone.now(),
    )
    return updated == 1


# --------------------------------------------------------------------------------------------
# Throttling per (account, client)


def _clock() -> float:
    """Seconds since the epoch for the throttle (the TOTP check reads the real time itself)."""
    return time.time()


def _throttle_key(username: str, client: str) -> str:
    account = crypto.keyed_hash(settings.ADDRESS_HASH_KEY, username.strip().casefold(), context="login-account")
    return f"login-throttle:{account[:32]}:{client}"


def _throttle_state(key: str) -> dict[str, float]:
    state = cache.get(key)
    return state if isinstance(state, dict) else {"failures": 0, "until": 0.0}


def throttled(username: str, client: str) -> bool:
    return _throttle_state(_throttle_key(username, client))["until"] > _clock()


def _delay_after(failures: int) -> float:
    over = failures - settings.LOGIN_FREE_FAILURES
    if over < 0:
        return 0.0
    return float(min(settings.LOGIN_DELAY_SECONDS * 2 ** min(over, 32), settings.LOGIN_MAX_DELAY_SECONDS))


def _throttle_failure(username: str, client: str) -> None:
    key = _throttle_key(username, client)
    state = _throttle_state(key)
    failures = int(state["failures"]) + 1
    cache.set(key, {"failures": failures, "until": _clock() + _delay_after(failures)},
              timeout=_THROTTLE_MEMORY_SECONDS)


def _throttle_success(username: str, client: str) -> None:
    cache.delete(_throttle_key(username, client))


def _audit_failure(membership: Membership | None, *, step: str) -> None:
    # No username: an unknown name could be a mistyped password.
    with transaction.atomic():
        audit_log(
            actor=None, action=AuditAction.AUTH_LOGIN_FAILED,
            organisation_id=membership.organisation_id if membership else None,
            data={"member": membership.pk, "step": step} if membership else {"step": step},
        )


# --------------------------------------------------------------------------------------------
# Login


def login_check(*, username: str, password: str, otp: str, client: str) -> LoginResult:
    """Check password and TOTP together; on success unlock the organisation key if the member holds it.

    `client` is the request's hashed client identity (`meldestelle.ratelimit.request_client`).
    Raises LoginRefused(LOGIN_FAILED) for every kind of failure, with the same message.
    """
    if throttled(username, client):
        _dummy_password_check(password)
        _code_match(None, otp)
        raise _refused()
    user = get_user_model().objects.filter(username=username).first()
    membership = membership_of(user) if user is not None else None
    password_ok = _password_ok(user, password)
    device = None
    code: _CodeMatch | None = None
    if settings.TOTP_REQUIRED:
        if user is not None:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        code = _code_match(device, otp)
    code_ok = not settings.TOTP_REQUIRED or code is not None
    if not (password_ok and code_ok and user is not None and user.is_active):
        _throttle_failure(username, client)
        _audit_failure(membership, step="password" if not password_ok else "otp")
        raise _refused()
    if device is not None and code is not None and not _code_use(device, code):
        _throttle_failure(username, client)
        _audit_failure(membership, step="otp")
        raise _refused()
    _throttle_success(username, client)

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


def unlock_again(request: HttpRequest, response: HttpResponse, *, password: str, client: str) -> bytes:
    """Re-open the organisation key in a logged-in session (e.g. after the cookie was lost).

    Raises LoginRefused for a wrong password (throttled like a login, per account and client)
    and ServiceError('no_key_access') when the member holds no key.
    """
    user = request.user
    membership = membership_of(user)
    if membership is None or membership.organisation_id is None:
        raise ServiceError("no_key_access", str(_("This account holds no organisation key.")))
    username = user.get_username()
    if throttled(username, client):
        raise LoginRefused("throttled", str(_("Too many failed attempts. Try again in a few minutes.")))
    if not user.check_password(password):
        _throttle_failure(username, client)
        _audit_failure(membership, step="unlock")
        raise LoginRefused("invalid_password", str(_("The password is not right.")))
    org_private_key = member_unlock(membership=membership, password=password)
    _throttle_success(username, client)
    with transaction.atomic():
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


# --------------------------------------------------------------------------------------------
# Where a login may come from (staff API; review F-06)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_allowed(request: HttpRequest) -> bool:
    """Whether the request's Origin is this site (its own host, SITE_URL or CSRF_TRUSTED_ORIGINS).

    Browsers send Origin with every cross-site POST, so a request without one is not a
    cross-site form; `Origin: null` (sandboxed frames, some redirects) is refused.
    """
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return True
    origin = origin.strip().lower()
    if origin in ("", "null"):
        return False
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}".lower()
    if origin in (own, _origin(settings.SITE_URL)):
        return True
    parsed = urlsplit(origin)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in trusted:
            pattern = urlsplit(trusted)
            if pattern.scheme == parsed.scheme and parsed.netloc and is_same_domain(
                    parsed.netloc, pattern.netloc.replace("*", "", 1)):
                return True
        elif origin == _origin(trusted):
            return True
    return False
