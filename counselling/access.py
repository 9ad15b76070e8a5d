"""Who may see what on the staff side, who may act on a case, and the session-split unlock.

One access policy for every staff page and API view (SPEC §1, §5, §7):

- `get_case_for_member` (**read**): the member's organisation holds a grant for the case, as
  the responsible organisation or as a copy holder that kept a copy after a transfer.
- `get_case_for_action` (**act**): only the responsible organisation
  (`case.organisation_id == membership.organisation_id`). A copy holder gets the same 404 as a
  stranger for every action, so an action tells it nothing it does not already read.

Both raise Http404 for anything the caller may not see, so existence does not leak.

The organisation key (SPEC §3.7) is split between the server-side session (ciphertext) and an
HttpOnly cookie that lives only as long as the browser session. Views that need it are wrapped
in `key_required`, the one guard that turns a missing or stale unlock into the unlock page
(staff pages) or a JSON 403 (staff API); the accessors `request_org_key` and
`request_case_keys` refuse to run outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.views import APIView

from counselling.models import Membership
from meldestelle.errors import ApplicationError
from reporting import crypto
from reporting.models import Case, CaseGrant
from reporting.services import CaseKeys, ServiceError, case_keys_for_organisation

SESSION_KEY = "org_unlock"
# Set on the Django request by `key_required`; the key accessors refuse to run without it.
_GUARD_ATTRIBUTE = "_meldestelle_key_guard"
# Set on the guarded view (and, through functools.wraps, on every decorator around it).
GUARD_MARK = "key_required"

View = TypeVar("View", bound=Callable[..., Any])


def membership_of(user: Any) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def oversight_membership(request: HttpRequest) -> Membership:
    """Coordinator (everything) or partner admin (own organisation); 404 for anyone else.

    For pages that show what an organisation did (audit log, internal statistics).
    """
    membership = membership_of(request.user)
    if membership is not None:
        if membership.is_coordinator:
            return membership
        if membership.is_partner_admin and membership.organisation_id is not None:
            return membership
    raise Http404


def coordinator_membership(request: HttpRequest) -> Membership:
    membership = membership_of(request.user)
    if membership is None or not membership.is_coordinator:
        raise Http404
    return membership


# --------------------------------------------------------------------------------------------
# The case access policy


def get_case_for_member(user: Any, case_id: int, *, for_update: bool = False) -> Case:
    """Read: the case if the user's organisation holds a grant for it; 404 otherwise.

    That is the responsible organisation and any copy holder. Coordinators, operators and
    superusers hold no case keys and see no cases.
    """
    membership = membership_of(user)
    if membership is None or membership.organisation_id is None:
        raise Http404
    queryset = Case.objects.select_related("organisation", "assignee")
    if for_update:
        queryset = queryset.select_for_update()
    case = queryset.filter(pk=case_id).first()
    if case is None:
        raise Http404
    if not CaseGrant.objects.filter(case=case, organisation_id=membership.organisation_id).exists():
        raise Http404
    return case


def may_act(membership: Membership | None, case: Case) -> bool:
    """Only the responsible organisation changes, answers, classifies, transfers or deletes."""
    return (membership is not None and membership.organisation_id is not None
            and case.organisation_id == membership.organisation_id)


def get_case_for_action(user: Any, case_id: int, *, for_update: bool = False) -> Case:
    """Act: the case if the user's organisation is responsible for it; 404 otherwise.

    A copy holder reads the case (`get_case_for_member`) but gets this 404 for every action,
    the same answer as for a case that does not exist.
    """
    case = get_case_for_member(user, case_id, for_update=for_update)
    if not may_act(membership_of(user), case):
        raise Http404
    return case


# --------------------------------------------------------------------------------------------
# The session-split unlock


def _binding(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


def unlock_store(request: HttpRequest, response: HttpResponse, org_private_key: bytes) -> None:
    """Split the unlocked organisation key: ciphertext in the session, key in a cookie.

    The cookie has neither Max-Age nor Expires: the browser keeps it in memory only and drops
    it when it closes, so no cookie jar on disk holds the second half (review F-10).
    """
    unlock = crypto.session_lock(org_private_key, session_binding=_binding(request))
    request.session[SESSION_KEY] = unlock.session_ciphertext
    response.set_cookie(
        settings.UNLOCK_COOKIE_NAME,
        unlock.cookie_key,
        httponly=True,
        secure=settings.SECURE_COOKIES,
        samesite="Strict",
        path="/",
    )


def unlock_clear(request: HttpRequest, response: HttpResponse) -> None:
    request.session.pop(SESSION_KEY, None)
    response.delete_cookie(settings.UNLOCK_COOKIE_NAME, path="/", samesite="Strict")


def _session_org_key(request: HttpRequest) -> bytes | None:
    """Both halves put together, or None.

    A membership that lost key access (revoked, password reset by someone else) cannot use an
    unlock it made earlier, whatever session store holds it.
    """
    ciphertext = request.session.get(SESSION_KEY)
    cookie = request.COOKIES.get(settings.UNLOCK_COOKIE_NAME)
    if not ciphertext or not cookie or not request.user.is_authenticated:
        return None
    membership = membership_of(request.user)
    if membership is None or membership.organisation_id is None or not membership.has_key_access:
        return None
    try:
        return crypto.session_unlock(cookie, ciphertext, session_binding=_binding(request))
    except crypto.CryptoError:
        return None


def optional_org_key(request: HttpRequest) -> bytes | None:
    """The session's organisation key where an action works with or without it (revoking a
    member rotates now with it, else at the next unlock); None when the session holds none."""
    return _session_org_key(request)


def is_unlocked(request: HttpRequest) -> bool:
    """Whether the session holds a usable organisation key (for showing the state only)."""
    return _session_org_key(request) is not None


class NotUnlocked(ApplicationError):
    """The session holds no usable organisation key: `key_required` answers for the view (a
    page redirects to the unlock page; in the API it is the 403 ``not_unlocked``)."""

    def __init__(self) -> None:
        super().__init__("not_unlocked", _(
            "Your session holds no key for this organisation's cases. "
            "Log in again; if that does not help, ask your partner admin."))


def _guarded(request: Any) -> HttpRequest:
    django_request = cast(HttpRequest, getattr(request, "_request", request))
    if not getattr(django_request, _GUARD_ATTRIBUTE, False):
        raise RuntimeError("The organisation key is read outside a view wrapped in @key_required.")
    return django_request


def request_org_key(request: Any) -> bytes:
    """The organisation private key of this request; raises NotUnlocked. Only under `key_required`."""
    org_private_key = _session_org_key(_guarded(request))
    if org_private_key is None:
        raise NotUnlocked
    return org_private_key


def request_case_keys(request: Any, case: Case) -> CaseKeys:
    """The case keys through the member's organisation grant; raises NotUnlocked.

    Call it after the access check: a grant that exists but does not open under the session's
    key is a stale unlock (for example after a key rotation), answered like a missing one; a
    grant flagged as sealed to another key (`seal_unopenable`) is answered as such, 409.
    """
    org_private_key = request_org_key(request)
    membership = membership_of(_guarded(request).user)
    if membership is None or membership.organisation is None:
        raise NotUnlocked
    try:
        return case_keys_for_organisation(case=case, organisation=membership.organisation,
                                          org_private_key=org_private_key)
    except ServiceError as exc:
        if exc.code == "seal_unopenable":
            raise  # sealed in the browser to another key: no unlock opens it (409)
        raise NotUnlocked from exc


def _unlock_redirect(request: HttpRequest, kwargs: dict[str, Any], back: str | None) -> HttpResponse:
    if request.method == "GET":
        target = request.get_full_path()
    elif back is not None:
        target = reverse(back)
    elif "case_id" in kwargs:
        # After unlocking, back to the case page: the action's own URL only takes POST.
        target = reverse("counselling:case", args=[kwargs["case_id"]])
    else:
        target = reverse("counselling:inbox")
    return redirect(f"{reverse('counselling:unlock')}?{urlencode({'next': target})}")


def key_required(view: View | None = None, *, back: str | None = None) -> Any:
    """The one guard for staff views that need the organisation key.

    Wraps a page view (``def view(request, ...)``) or a staff API method (``def post(self,
    request, ...)``). Inside, `request_org_key` / `request_case_keys` work; when they raise
    NotUnlocked the guard answers: a staff page sends the member to the unlock page (and back
    to `back`, a URL name, after a POST; the case page for case actions), the API answers JSON
    403 ``not_unlocked``. Put it inside `staff_required` and let the access check come first
    in the view, so that a case the caller may not see is a 404 whatever the session holds.
    """

    def decorate(function: View) -> View:
        @wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            is_api = bool(args) and isinstance(args[0], APIView)
            request = args[1] if is_api else args[0]
            django_request = getattr(request, "_request", request)
            setattr(django_request, _GUARD_ATTRIBUTE, True)
            try:
                return function(*args, **kwargs)
            except NotUnlocked:
                if is_api:
                    raise  # answered by the API's exception handler
                return _unlock_redirect(django_request, kwargs, back)
            finally:
                setattr(django_request, _GUARD_ATTRIBUTE, False)

        setattr(wrapper, GUARD_MARK, True)
        return cast(View, wrapper)

    if view is not None:
        return decorate(view)
    return decorate
