"""Partner admin: the organisation's reply templates (issue 19)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from counselling.access import membership_of
from counselling.decorators import staff_required
from counselling.forms import ReplyTemplateForm, reporter_language_choices
from counselling.models import Membership, ReplyTemplate
from counselling.replies import reply_template_delete, reply_template_save, templates_of
from counselling.views.common import _page
from reporting.services import ServiceError


def _admin(request: HttpRequest) -> Membership:
    membership = membership_of(request.user)
    if membership is None or not membership.is_partner_admin or membership.organisation is None:
        raise Http404
    return membership


@staff_required
def reply_templates(request: HttpRequest) -> HttpResponse:
    """List the templates and save one (a new one, or the same kind and language replaced)."""
    admin = _admin(request)
    organisation = admin.organisation
    assert organisation is not None
    initial = {}
    editing = None
    if (edit_id := _int(request.GET.get("edit"))) is not None:
        editing = ReplyTemplate.objects.filter(organisation=organisation, pk=edit_id).first()
    if editing is not None:
        initial = {"kind": editing.kind, "language": editing.language, "body": editing.body}
    form = ReplyTemplateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reply_template_save(actor=request.user, organisation=organisation, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The template has been saved."))
            return redirect("counselling:reply_templates")
    languages = dict(reporter_language_choices())
    rows = [(t, languages.get(t.language, t.language)) for t in templates_of(organisation)]
    return _page(request, "counselling/reply_templates.html", {
        "organisation": organisation, "rows": rows, "form": form, "editing": editing,
    }, status=400 if form.errors else 200)


@require_POST
@staff_required
def reply_template_remove(request: HttpRequest, template_id: int) -> HttpResponse:
    admin = _admin(request)
    template = ReplyTemplate.objects.filter(organisation=admin.organisation, pk=template_id).first()
    if template is None:
        raise Http404
    reply_template_delete(actor=request.user, template=template)
    messages.success(request, _("The template has been deleted."))
    return redirect("counselling:reply_templates")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 18 else None
