"""The case page, its actions and attachment download (SPEC §5).

Access follows `counselling.access`: reading (the page, a file) needs a grant, so a copy holder
reads too; every action needs the responsible organisation (`get_case_for_action`), else 404.
Views that need the case content are wrapped in `key_required`: without a usable organisation
key the staff member is sent to the unlock page and brought back afterwards.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from counselling import selectors
from counselling.access import (
    get_case_for_action,
    get_case_for_member,
    key_required,
    may_act,
    membership_of,
    request_case_keys,
    request_org_key,
)
from counselling.attachments import download_response
from counselling.decorators import staff_required
from counselling.forms import (
    AssignForm,
    CaseFileForm,
    DeleteForm,
    DuplicateForm,
    MessageForm,
    NoteForm,
    StatusForm,
    TransferForm,
)
from counselling.services import case_assign, case_opened
from counselling.views import case_page
from counselling.views.common import _case_url, _page
from reporting.models import Case
from reporting.services import (
    CaseKeys,
    ServiceError,
    attachment_add,
    case_mark_duplicate,
    case_set_status,
    case_shred,
    case_take,
    case_transfer,
    case_unmark_duplicate,
    message_post,
    note_add,
)
from reporting.uploads import refusal_status


def _classify_url(case: Case) -> str | None:
    try:
        return reverse("counselling:classify", args=[case.pk])
    except NoReverseMatch:
        return None


@staff_required
@key_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
    membership = membership_of(request.user)
    if selectors.case_unopenable(case, membership.organisation if membership else None):
        # Not a lost unlock (which the unlock page would mend): the report was sealed to
        # another key in the reporter's browser, and no unlock opens it (SPEC §3.10).
        return _page(request, "counselling/error.html", {
            "title": _("%(reference)s cannot be opened") % {"reference": case.reference},
            "text": _("This report was encrypted in the reporter's browser to a key that is not this "
                      "organisation's. Nobody can open it. This should not happen: tell the operator."),
        }, status=409)
    keys = request_case_keys(request, case)
    case_opened(actor=request.user, case=case)
    return _case_page(request, case, keys)


def _case_page(request: HttpRequest, case: Case, keys: CaseKeys, *, status: int = 200,
               file_form: CaseFileForm | None = None) -> HttpResponse:
    content = selectors.case_content(case=case, keys=keys)
    membership = membership_of(request.user)
    context: dict[str, object] = {"case": case, "content": content, "may_act": may_act(membership, case)}
    if context["may_act"]:
        # A copy holder reads the case and its messages, and is offered no action (SPEC §1).
        members = selectors.colleagues(membership.organisation if membership else None)
        context.update({
            "classify_url": _classify_url(case),
            "message_form": MessageForm(auto_id="message_%s"), "note_form": NoteForm(auto_id="note_%s"),
            "file_form": file_form or CaseFileForm(),
            "status_form": StatusForm(initial={"status": case.status}),
            "assign_form": AssignForm(members=members, initial={"assignee": case.assignee_id}),
            "duplicate_form": DuplicateForm(),
            "transfer_form": TransferForm(targets=selectors.transfer_targets(case)),
        })
        context.update(case_page.case_work_context(request, case, content))
    context["files"] = case_page.inline_files(case, content)
    return _page(request, "counselling/case.html", context, status=status)


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(_case_url(case))


def _refused(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.error(request, text)
    return redirect(_case_url(case))


@require_POST
@staff_required
def case_take_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    try:
        case_take(actor=request.user, case=case)
    except ServiceError:
        return _refused(request, case, _("Someone else has already taken this case."))
    return _done(request, case, _("You have taken the case."))


@require_POST
@staff_required
def case_assign_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    membership = membership_of(request.user)
    members = selectors.colleagues(membership.organisation if membership else None)
    form = AssignForm(request.POST, members=members)
    if not form.is_valid():
        return _refused(request, case, _("Choose a colleague from the list."))
    assignee = next((m.user for m in members if m.user_id == form.cleaned_data["assignee"]), None)
    try:
        case_assign(actor=request.user, case=case, assignee=assignee)
    except ServiceError:
        return _refused(request, case, _("Choose a colleague from the list."))
    return _done(request, case, _("The case has been assigned."))


@require_POST
@staff_required
def case_status_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Choose a status from the list."))
    case_set_status(actor=request.user, case=case, status=form.cleaned_data["status"])
    return _done(request, case, _("The status has been changed."))


@require_POST
@staff_required
@key_required
def case_message_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    keys = request_case_keys(request, case)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Write a message first."))
    message_post(case=case, case_key=keys.case_key, body=form.cleaned_data["body"], actor=request.user)
    return _done(request, case, _("Your message has been sent to the reporter's mailbox."))


@require_POST
@staff_required
@key_required
def case_note_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    keys = request_case_keys(request, case)
    form = NoteForm(request.POST)
    if not form.is_valid() or keys.internal_key is None:
        return _refused(request, case, _("Write a note first."))
    note_add(case=case, internal_key=keys.internal_key, body=form.cleaned_data["body"], actor=request.user)
    return _done(request, case, _("The note has been saved. The reporter never sees it."))


@require_POST
@staff_required
@key_required
def case_file_add_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add a file to the case (from_reporter=False, audited), checked like a reporter's upload.

    A refused file re-renders the case page with the reason: 413 too large, 415 wrong type,
    400 no file; nothing is stored then.
    """
    case = get_case_for_action(request.user, case_id)
    keys = request_case_keys(request, case)
    form = CaseFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _case_page(request, case, keys, status=refusal_status(form), file_form=form)
    for item in form.cleaned_files:
        attachment_add(case=case, case_key=keys.case_key, item=item, actor=request.user)
    return _done(request, case, _("The file has been added to the case."))


@require_POST
@staff_required
def case_duplicate_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    form = DuplicateForm(request.POST)
    not_found = _("No case of your organisation has this reference.")
    if not form.is_valid():
        return _refused(request, case, not_found)
    original = Case.objects.filter(reference__iexact=form.cleaned_data["original"].strip(),
                                   organisation_id=case.organisation_id).first()
    if original is None:
        return _refused(request, case, not_found)
    try:
        case_mark_duplicate(actor=request.user, case=case, original=original)
    except ServiceError:
        return _refused(request, case, _("This case cannot be marked as a duplicate of that one."))
    return _done(request, case, _("Marked as a duplicate of %(reference)s.") % {"reference": original.reference})


@require_POST
@staff_required
def case_unmark_duplicate_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    try:
        case_unmark_duplicate(actor=request.user, case=case)
    except ServiceError:
        return _refused(request, case, _("This case is not marked as a duplicate."))
    return _done(request, case, _("The case is no longer a duplicate; it counts as an incident of its own."))


@require_POST
@staff_required
@key_required
def case_transfer_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    org_private_key = request_org_key(request)
    form = TransferForm(request.POST, targets=selectors.transfer_targets(case))
    if not form.is_valid():
        return _refused(request, case, _("Choose an organisation from the list."))
    try:
        case_transfer(actor=request.user, case=case, to_organisation=form.cleaned_data["organisation"],
                      org_private_key=org_private_key, keep_copy=form.cleaned_data["keep_copy"])
    except ServiceError:
        return _refused(request, case, _("The case could not be transferred."))
    text = _("The case has been transferred to %(name)s.") % {"name": form.cleaned_data["organisation"].name}
    if form.cleaned_data["keep_copy"]:
        return _done(request, case, text)
    messages.success(request, text)
    return redirect("counselling:inbox")


@staff_required
def case_delete_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference = case.reference
        case_shred(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        messages.success(request, _("Case %(reference)s has been deleted for good.") % {"reference": reference})
        return redirect("counselling:inbox")
    return _page(request, "counselling/case_delete.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@staff_required
@key_required
def attachment_download(request: HttpRequest, case_id: int, attachment_uuid: UUID) -> HttpResponseBase:
    case = get_case_for_member(request.user, case_id)
    attachment = selectors.attachment_for_case(case, attachment_uuid)
    if attachment is None:
        raise Http404
    return download_response(actor=request.user, attachment=attachment, keys=request_case_keys(request, case))
