"""The member's own notification setting: per-event e-mails, a daily digest, or none
(counselling.notifications sends them). Linked from the password page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from counselling.access import membership_of
from counselling.decorators import staff_required
from counselling.forms import NotifyForm
from counselling.services import member_set_notify
from counselling.views.common import _page


@staff_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    if membership is None:
        raise Http404
    form = NotifyForm(request.POST or None, initial={"notify": membership.notify})
    if request.method == "POST" and form.is_valid():
        member_set_notify(membership=membership, mode=form.cleaned_data["notify"])
        messages.success(request, _("Your e-mail setting has been saved."))
        return redirect("counselling:notifications")
    return _page(request, "counselling/notifications.html", {"form": form})
