"""Who may see what on the staff side, and the session-split unlock (SPEC §3.7).

Access checks raise Http404 for anything the caller may not see, so existence does not leak.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from counselling.models import Membership
from reporting import crypto
from reporting.models import Case, CaseGrant

SESSION_KEY = "org_unlock"


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


def get_case_for_member(user: Any, case_id: int, *, for_update: bool = False) -> Case:
    """The case if the user's organisation holds a grant for it; 404 otherwise.

    Coordinators, operators and superusers hold no case keys and see no cases.
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


def _binding(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


def unlock_store(request: HttpRequest, response: HttpResponse, org_private_key: bytes) -> None:
    """Split the unlocked organisation key: ciphertext in the session, key in a cookie."""
    unlock = crypto.session_lock(org_private_key, session_binding=_binding(request))
    request.session[SESSION_KEY] = unlock.session_ciphertext
    response.set_cookie(
        settings.UNLOCK_COOKIE_NAME,
        unlock.cookie_key,
        max_age=settings.SESSION_COOKIE_AGE,
        httponly=True,
        secure=settings.SECURE_COOKIES,
        samesite="Strict",
        path="/",
    )


def unlock_clear(request: HttpRequest, response: HttpResponse) -> None:
    request.session.pop(SESSION_KEY, None)
    response.delete_cookie(settings.UNLOCK_COOKIE_NAME, path="/", samesite="Strict")


def org_key_from_request(request: HttpRequest) -> bytes | None:
    """The organisation private key for this request, or None if the session is not unlocked."""
    ciphertext = request.session.get(SESSION_KEY)
    cookie = request.COOKIES.get(settings.UNLOCK_COOKIE_NAME)
    if not ciphertext or not cookie or not request.user.is_authenticated:
        return None
    try:
        return crypto.session_unlock(cookie, ciphertext, session_binding=_binding(request))
    except crypto.CryptoError:
        return None
