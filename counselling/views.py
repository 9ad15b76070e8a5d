"""Staff pages (SPEC §5): login and unlock, inbox, case work, manual entry, partner admin.

Views parse input, check access (404 for anything not visible), call one service, render.
Every POST is a CSRF-protected form that works without JavaScript.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from counselling import auth, selectors
from counselling.access import get_case_for_member, membership_of, org_key_from_request
from counselling.decorators import (
    is_staff_session,
    staff_required,
)
from counselling.forms import (
    AssignForm,
    DeleteForm,
    DuplicateForm,
    InviteForm,
    LoginForm,
    ManualEntryForm,
    MessageForm,
    NoteForm,
    OrganisationSettingsForm,
    PasswordChangeForm,
    StatusForm,
    TransferForm,
    UnlockForm,
)
from counselling.models import Membership
from counselling.services import (
    attachment_downloaded,
    case_assign,
    case_opened,
    member_change_password,
    member_create,
    member_grant,
    member_reset_password,
    member_revoke,
)
from reporting import files
from reporting.models import Case
from reporting.services import (
    CaseKeys,
    ReportInput,
    ServiceError,
    attachment_open,
    case_keys_for_organisation,
    case_mark_duplicate,
    case_set_status,
    case_shred,
    case_take,
    case_transfer,
    message_post,
    note_add,
    organisation_update,
    report_submit,
)

STAFF = {"show_leave_button": False}


def _page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    membership = membership_of(request.user)
    base = {**STAFF, "membership": membership, "key_problem": auth.key_problem_for(request.user)}
    return render(request, template, {**base, **(context or {})}, status=status)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


# --------------------------------------------------------------------------------------------
# Login, unlock, logout


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    return _login(request)


def _login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and is_staff_session(request):
        return redirect("counselling:inbox")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = auth.login_check(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                otp=form.cleaned_data["otp"],
            )
        except auth.LoginRefused as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.code == "locked" else 400
        else:
            response = redirect(_safe_next(request, reverse("counselling:inbox")))
            auth.session_start(request, response, result)
            return response
    return render(request, "counselling/login.html",
                  {**STAFF, "form": form, "totp_required": settings.TOTP_REQUIRED,
                   "next": request.GET.get("next", "")}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    response = redirect("counselling:login")
    auth.session_end(request, response)
    return response


@staff_required
def unlock_view(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = redirect(_safe_next(request, reverse("counselling:inbox")))
        try:
            auth.unlock_again(request, response, password=form.cleaned_data["password"])
        except auth.LoginRefused as exc:
            form.add_error(None, exc.message)
        except ServiceError:
            form.add_error(None, _("Your account holds no key for the organisation's cases."))
        else:
            return response
    return _page(request, "counselling/unlock.html", {"form": form, "next": request.GET.get("next", "")})


@staff_required
def password_change(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    if membership is None:
        raise Http404
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_change_password(membership=membership, old_password=form.cleaned_data["old_password"],
                                   new_password=form.cleaned_data["new_password"])
        except ServiceError:
            form.add_error("old_password", _("The current password is not right."))
        else:
            from django.contrib.auth import update_session_auth_hash

            assert request.user.is_authenticated  # staff_required
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed; your key access moved with it."))
            return redirect("counselling:inbox")
    return _page(request, "counselling/password.html", {"form": form})


# --------------------------------------------------------------------------------------------
# Inbox


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    tab = request.GET.get("tab", selectors.DEFAULT_TAB)
    if tab not in selectors.TABS:
        tab = selectors.DEFAULT_TAB
    filters = selectors.InboxFilters.from_query(request.GET)
    page = None
    counts: dict[str, int] = {}
    cutoff = None
    names = selectors.district_names()
    if membership is not None and membership.organisation is not None:
        # One cut-off for the counts and the list, and the tab's count doubles as the
        # paginator's total: one aggregate query instead of an extra COUNT(*).
        cutoff = selectors.overdue_cutoff(membership.organisation)
        counts = selectors.inbox_counts(membership=membership, filters=filters, cutoff=cutoff)
        cases = selectors.inbox_cases(membership=membership, tab=tab, filters=filters, cutoff=cutoff)
        page = selectors.CountedPaginator(cases, selectors.PAGE_SIZE, count=counts[tab]).get_page(
            request.GET.get("page"))
        for case in page.object_list:
            case.district_name = names.get(case.district, case.district)
    query = {k: v for k, v in (("status", filters.status), ("district", filters.district),
                               ("motive", filters.motive), ("assignee", filters.assignee)) if v}
    return _page(request, "counselling/inbox.html", {
        "tab": tab, "tabs": [(key, label, counts.get(key, 0)) for key, label in selectors.TABS.items()],
        "page": page, "filters": filters, "filter_query": urlencode(query), "tab_query": urlencode({"tab": tab, **query}),
        "districts": names, "statuses": Case._meta.get_field("status").choices,
        "motives": selectors.taxonomy.Motive.choices, "colleagues": selectors.colleagues(
            membership.organisation if membership else None),
        "cutoff": cutoff, "unread_count": counts.get("unread", 0),
    })


# --------------------------------------------------------------------------------------------
# Case page and actions


class NotUnlocked(Exception):
    """The session holds no usable organisation key."""


def _unlock_redirect(request: HttpRequest) -> HttpResponse:
    target = request.get_full_path() if request.method == "GET" else request.path
    return redirect(f"{reverse('counselling:unlock')}?{urlencode({'next': target})}")


def _case_keys(request: HttpRequest, case: Case) -> CaseKeys:
    org_private_key = org_key_from_request(request)
    if org_private_key is None:
        raise NotUnlocked
    membership = membership_of(request.user)
    assert membership is not None and membership.organisation is not None
    try:
        return case_keys_for_organisation(case=case, organisation=membership.organisation,
                                          org_private_key=org_private_key)
    except ServiceError as exc:
        # Our grant exists (get_case_for_member) but this key does not open it: a stale unlock.
        raise NotUnlocked from exc


def _case_url(case: Case) -> str:
    return reverse("counselling:case", args=[case.pk])


def _classify_url(case: Case) -> str | None:
    try:
        return reverse("counselling:classify", args=[case.pk])
    except NoReverseMatch:
        return None


@staff_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
    try:
        keys = _case_keys(request, case)
    except NotUnlocked:
        return _unlock_redirect(request)
    case_opened(actor=request.user, case=case)
    content = selectors.case_content(case=case, keys=keys)
    membership = membership_of(request.user)
    members = selectors.colleagues(membership.organisation if membership else None)
    return _page(request, "counselling/case.html", {
        "case": case, "content": content, "classify_url": _classify_url(case),
        "message_form": MessageForm(), "note_form": NoteForm(),
        "status_form": StatusForm(initial={"status": case.status}),
        "assign_form": AssignForm(members=members, initial={"assignee": case.assignee_id}),
        "duplicate_form": DuplicateForm(), "transfer_form": TransferForm(targets=selectors.transfer_targets(case)),
        "own_case": case.organisation_id == (membership.organisation_id if membership else None),
    })


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(_case_url(case))


def _refused(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.error(request, text)
    return redirect(_case_url(case))


@require_POST
@staff_required
def case_take_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
    try:
        case_take(actor=request.user, case=case)
    except ServiceError:
        return _refused(request, case, _("Someone else has already taken this case."))
    return _done(request, case, _("You have taken the case."))


@require_POST
@staff_required
def case_assign_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
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
    case = get_case_for_member(request.user, case_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Choose a status from the list."))
    case_set_status(actor=request.user, case=case, status=form.cleaned_data["status"])
    return _done(request, case, _("The status has been changed."))


@require_POST
@staff_required
def case_message_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
    try:
        keys = _case_keys(request, case)
    except NotUnlocked:
        return _unlock_redirect(request)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Write a message first."))
    message_post(case=case, case_key=keys.case_key, body=form.cleaned_data["body"], actor=request.user)
    return _done(request, case, _("Your message has been sent to the reporter's mailbox."))


@require_POST
@staff_required
def case_note_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
    try:
        keys = _case_keys(request, case)
    except NotUnlocked:
        return _unlock_redirect(request)
    form = NoteForm(request.POST)
    if not form.is_valid() or keys.internal_key is None:
        return _refused(request, case, _("Write a note first."))
    note_add(case=case, internal_key=keys.internal_key, body=form.cleaned_data["body"], actor=request.user)
    return _done(request, case, _("The note has been saved. The reporter never sees it."))


@require_POST
@staff_required
def case_duplicate_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
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
def case_transfer_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_member(request.user, case_id)
    org_private_key = org_key_from_request(request)
    if org_private_key is None:
        return _unlock_redirect(request)
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
    case = get_case_for_member(request.user, case_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference = case.reference
        case_shred(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        messages.success(request, _("Case %(reference)s has been deleted for good.") % {"reference": reference})
        return redirect("counselling:inbox")
    return _page(request, "counselling/case_delete.html", {"case": case, "form": form})


@staff_required
def attachment_download(request: HttpRequest, case_id: int, attachment_uuid: str) -> HttpResponseBase:
    case = get_case_for_member(request.user, case_id)
    attachment = selectors.attachment_for_case(case, attachment_uuid)
    if attachment is None:
        raise Http404
    try:
        keys = _case_keys(request, case)
    except NotUnlocked:
        return _unlock_redirect(request)
    from reporting.services import attachment_meta

    meta = attachment_meta(attachment=attachment, case_key=keys.case_key)
    content_type = str(meta.get("content_type", ""))
    extension = files.EXTENSIONS.get(content_type)
    if extension is None:
        content_type, name = "application/octet-stream", "attachment.bin"
    else:
        name = files.safe_download_name(str(meta.get("name", "")), extension)
    attachment_downloaded(actor=request.user, attachment=attachment)
    response = StreamingHttpResponse(attachment_open(attachment=attachment, case_key=keys.case_key),
                                     content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if meta.get("size") is not None:
        response["Content-Length"] = str(int(meta["size"]))
    return response


# --------------------------------------------------------------------------------------------
# Manual entry


@staff_required
def manual_entry(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request.user)
    if membership is None or membership.organisation is None:
        raise Http404
    form = ManualEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = ReportInput(
            description=data["description"], incident_type=data["incident_type"], occurred_on=data["occurred_on"],
            district=data["district"], area_of_life=data["area_of_life"], place_details=data["place_details"],
            motives=list(data["motives"]), role=data["role"], wants_counselling=data["wants_counselling"],
            language=data["language"], channel=data["channel"], contact_method="",
        )
        submitted = report_submit(report=report, organisation=membership.organisation, actor=request.user)
        messages.success(request, _("Case %(reference)s has been recorded.") % {"reference": submitted.case.reference})
        return redirect(_case_url(submitted.case))
    return _page(request, "counselling/manual_entry.html", {"form": form})


# --------------------------------------------------------------------------------------------
# Partner admin


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
        "organisation": organisation, "members": members, "unlocked": org_key_from_request(request) is not None,
        "invite_form": extra.pop("invite_form", InviteForm()),
        "settings_form": extra.pop("settings_form", OrganisationSettingsForm(
            initial=OrganisationSettingsForm.initial_for(organisation))),
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
    })


@require_POST
@staff_required
def admin_grant(request: HttpRequest, member_id: int) -> HttpResponse:
    admin = _admin_membership(request)
    member = _member_of_org(admin, member_id)
    org_private_key = org_key_from_request(request)
    if org_private_key is None:
        return redirect(f"{reverse('counselling:unlock')}?{urlencode({'next': reverse('counselling:admin')})}")
    try:
        member_grant(actor=request.user, membership=member, org_private_key=org_private_key)
    except ServiceError:
        messages.error(request, _("This account cannot hold the organisation key."))
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
    member_revoke(actor=request.user, membership=member, deactivate=True)
    messages.success(request, _("%(name)s has no access any more.") % {"name": member.user.get_username()})
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
