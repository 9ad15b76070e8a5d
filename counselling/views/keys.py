"""Partner admin: rotate the organisation key now (SPEC §3.9)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from counselling.access import key_required, request_org_key, unlock_store
from counselling.decorators import staff_required
from counselling.forms import KeyRotationForm
from counselling.keys import org_key_rotate
from counselling.views.admin import _admin_membership, _admin_page
from reporting.services import RotationReason, ServiceError


@require_POST
@staff_required
@key_required(back="counselling:admin")
def admin_rotate_key(request: HttpRequest) -> HttpResponse:
    admin = _admin_membership(request)
    assert admin.organisation is not None  # checked by _admin_membership
    org_private_key = request_org_key(request)
    form = KeyRotationForm(request.POST)
    if not form.is_valid():
        return _admin_page(request, admin, rotation_form=form)
    try:
        result = org_key_rotate(
            actor=request.user, organisation=admin.organisation, org_private_key=org_private_key,
            reason=RotationReason.ON_DEMAND, recovery_code=form.cleaned_data["recovery_code"] or None,
        )
    except ServiceError as exc:
        if exc.code == "stale_key":
            return redirect(f"{reverse('counselling:unlock')}?{urlencode({'next': reverse('counselling:admin')})}")
        form.add_error("recovery_code" if "recovery" in exc.code else None, exc.message)
        return _admin_page(request, admin, rotation_form=form)
    response = redirect("counselling:admin")
    # This session goes on with the new key; colleagues get it at their next login.
    unlock_store(request, response, result.rotated.private_key)
    messages.success(request, _(
        "The organisation key was renewed (version %(version)s). Colleagues with key access get the new "
        "key at their next login; the old key's copies are destroyed."
    ) % {"version": result.rotated.key.version})
    if result.refused:
        messages.error(request, ngettext(
            "%(count)s account did not get the new key because its key failed a safety check. "
            "The operator has been alerted.",
            "%(count)s accounts did not get the new key because their keys failed a safety check. "
            "The operator has been alerted.",
            len(result.refused),
        ) % {"count": len(result.refused)})
    return response
