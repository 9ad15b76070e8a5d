"""The coordinator's page for the directory of further help on the reporter's help page
(SPEC §4.0): numbers and links change without a code change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from counselling.access import coordinator_membership
from counselling.decorators import staff_required
from counselling.forms import HelpServiceForm
from counselling.views.common import _page
from reporting.models import HelpService
from reporting.services import help_service_delete, help_service_save


def _service(service_id: int) -> HelpService:
    service = HelpService.objects.filter(pk=service_id).first()
    if service is None:
        raise Http404
    return service


def _directory_page(request: HttpRequest, *, form: HelpServiceForm | None = None,
                    editing: HelpService | None = None, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "services": HelpService.objects.all(),
        "form": form or HelpServiceForm(initial=HelpServiceForm.initial_for(editing) if editing else None),
        "editing": editing,
        "kinds": dict(HelpService.Kind.choices),
    }
    return _page(request, "counselling/help_directory.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def help_directory(request: HttpRequest) -> HttpResponse:
    """The list, and a form for a new entry."""
    membership = coordinator_membership(request)
    if request.method != "POST":
        return _directory_page(request)
    form = HelpServiceForm(request.POST)
    if not form.is_valid():
        return _directory_page(request, form=form, status=400)
    help_service_save(actor=membership.user, **form.cleaned_data)
    messages.success(request, _("The entry has been added to the help page."))
    return redirect("counselling:help_directory")


@staff_required
@require_http_methods(["GET", "POST"])
def help_directory_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    membership = coordinator_membership(request)
    service = _service(service_id)
    if request.method != "POST":
        return _directory_page(request, editing=service)
    form = HelpServiceForm(request.POST)
    if not form.is_valid():
        return _directory_page(request, form=form, editing=service, status=400)
    help_service_save(actor=membership.user, service=service, **form.cleaned_data)
    messages.success(request, _("The entry has been changed."))
    return redirect("counselling:help_directory")


@require_POST
@staff_required
def help_directory_delete(request: HttpRequest, service_id: int) -> HttpResponse:
    membership = coordinator_membership(request)
    help_service_delete(actor=membership.user, service=_service(service_id))
    messages.success(request, _("The entry has been removed from the help page."))
    return redirect("counselling:help_directory")
