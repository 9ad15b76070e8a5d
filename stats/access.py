"""Who may see the internal statistics pages.  Everything else gets a 404 (existence of the
internal pages does not leak either)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest

from counselling.access import membership_of
from counselling.models import Membership


def staff_membership(request: HttpRequest) -> Membership | None:
    """The membership of a logged-in staff user who passed TOTP where it is required."""
    membership = membership_of(request.user)
    if membership is None:
        return None
    if settings.TOTP_REQUIRED and not request.user.is_verified():  # type: ignore[union-attr]
        return None
    return membership


def dashboard_viewer(request: HttpRequest) -> Membership:
    """Coordinator (everything) or partner admin (own organisation); 404 for anyone else."""
    membership = staff_membership(request)
    if membership is None:
        raise Http404
    if membership.is_coordinator:
        return membership
    if membership.is_partner_admin and membership.organisation_id is not None:
        return membership
    raise Http404


def coordinator(request: HttpRequest) -> Membership:
    membership = staff_membership(request)
    if membership is None or not membership.is_coordinator:
        raise Http404
    return membership
