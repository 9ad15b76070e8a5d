"""Partner admin: members, key grants and organisation settings (SPEC §5)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from counselling.access import (
    is_unlocked,
    key_required,
    membership_of,
    optional_org_key,
    request_org_key,
)
from counselling.decorators import staff_required
from counselling.forms import InviteForm, KeyRotationForm, OrganisationSettingsForm
from counselling.models import Membership
from counselling.services import member_create, member_grant, member_reset_password, member_revoke
from counselling.totp import provisioning_qr_svg
from counselling.views.common import _page
from reporting.selectors import organisation_key_status
from reporting.services import ServiceError, organisation_update


def _admin_membership(request: HttpRequest) -> Membership:
    membership = membership_of(request.user)
    if membership is None or not membership.is_partner_admin or membership.organisation is None:
        raise Http404
    return membership


def _member_of_org(admin: Membership, member_id: int) -> Membership:
    assert admin.organisation_id is not None  # admin comes from _admin_membership
    member = Membership.objects.select_related("user", "organisation").filter(
        pk=member_id, organisation_id=admin.organisation_id).first()
    if member is None:
        raise Http404
    return member


def _admin_page(request: HttpRequest, admin: Membership, **extra: Any) -> HttpResponse:
    organisation = admin.organisation
    assert organisation is not None
    members = Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__username")
    return _page(request, "counselling/admin.html", {
        "organisation": organisation, "members": members, "unlocked": is_unlocked(request),
        "invite_form": extra.pop("invite_form", InviteForm()),
        "settings_form": extra.pop("settings_form", OrganisationSettingsForm(
            initial=OrganisationSettingsForm.initial_for(organisation))),
        "key_status": organisation_key_status(organisation),
        "rotation_form": extra.pop("rotation_form", KeyRotationForm()),
        **extra,
    })


@staff_required
def admin_home(request: HttpRequest) -> HttpResponse:
    return _admin_page(request, _admin_membership(request))


def _initial_password() -> str:
    return secrets.token_urlsafe(12)


@require_POST
@staff_required
def admin_invite(request: HttpRequest) -> HttpResponse:
    admin = _admin_membership(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _admin_page(request, admin, invite_form=form)
    password = _initial_password()
    try:
        created = member_create(actor=request.user, organisation=admin.organisation,
                                username=form.cleaned_data["username"], password=password,
                                email=form.cleaned_data["email"], role=form.cleaned_data["role"])
    except ServiceError:
        form.add_error("username", _("This username is taken."))
        return _admin_page(request, admin, invite_form=form)
    # Shown once, in this response only; never stored in plaintext.
    return _admin_page(request, admin, new_member={
        "username": created.membership.user.get_username(), "password": password,
        "totp_uri": created.totp_device.config_url,
        "totp_qr": provisioning_qr_svg(
            created.totp_device.config_url, label=_("Set-up code for the authenticator app")
        ),
    })


@require_POST
@staff_required
@key_required(back="counselling:admin")
def admin_grant(request: HttpRequest, member_id: int) -> HttpResponse:
    admin = _admin_membership(request)
    member = _member_of_org(admin, member_id)
    org_private_key = request_org_key(request)
    try:
        member_grant(actor=request.user, membership=member, org_private_key=org_private_key)
    except ServiceError as exc:
        if exc.code == "stale_key":  # unlocked before a rotation
            return redirect(f"{reverse('counselling:unlock')}?{urlencode({'next': reverse('counselling:admin')})}")
        messages.error(request, exc.message if exc.code == "key_unverified"
                       else _("This account cannot hold the organisation key."))
    else:
        messages.success(request, _("%(name)s gets access to the cases at their next login.")
                         % {"name": member.user.get_username()})
    return redirect("counselling:admin")


@require_POST
@staff_required
def admin_revoke(request: HttpRequest, member_id: int) -> HttpResponse:
    admin = _admin_membership(request)
    member = _member_of_org(admin, member_id)
    if member.pk == admin.pk:
        messages.error(request, _("You cannot revoke your own access."))
        return redirect("counselling:admin")
    assert admin.organisation is not None  # checked by _admin_membership
    version = admin.organisation.current_key.version
    # Revoking rotates the key: now with this session's key, else at a colleague's next unlock.
    member_revoke(actor=request.user, membership=member, deactivate=True,
                  org_private_key=optional_org_key(request))
    messages.success(request, _("%(name)s has no access any more.") % {"name": member.user.get_username()})
    if admin.organisation.current_key.version > version:
        messages.info(request, _("The organisation key was renewed. Enter your password once more to keep working."))
    else:
        messages.info(request, _("The organisation key will be renewed at the next unlock."))
    return redirect("counselling:admin")


@require_POST
@staff_required
def admin_reset_password(request: HttpRequest, member_id: int) -> HttpResponse:
    admin = _admin_membership(request)
    member = _member_of_org(admin, member_id)
    password = _initial_password()
    member_reset_password(actor=request.user, membership=member, new_password=password)
    return _admin_page(request, admin, reset_member={"username": member.user.get_username(), "password": password})


@require_POST
@staff_required
def admin_settings(request: HttpRequest) -> HttpResponse:
    admin = _admin_membership(request)
    form = OrganisationSettingsForm(request.POST)
    if not form.is_valid():
        return _admin_page(request, admin, settings_form=form)
    data = dict(form.cleaned_data)
    data["districts"] = sorted(set(data["districts"]))
    data["motives"] = sorted(set(data["motives"]))
    assert admin.organisation is not None  # checked by _admin_membership
    organisation_update(actor=request.user, organisation=admin.organisation, **data)
    messages.success(request, _("The organisation's settings have been saved."))
    return redirect("counselling:admin")
