"""The reporter's pages (SPEC §4): start, form, receipt, follow-up, privacy, help.

Views are thin: they bind a form, run the anti-abuse checks (reporting.abuse), call one
service and render. The receipt code is never stored: it is shown in the response to the
form's POST, and the follow-up pages carry it from step to step in a hidden field of a POST,
each answer marked `Cache-Control: no-store`. Nothing here logs request data.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from meldestelle.ratelimit import request_client
from reporting import abuse, crypto
from reporting.forms import FollowupFilesForm, ReceiptForm, ReplyForm, ReportForm
from reporting.selectors import help_page_view, reporter_case_view
from reporting.services import (
    ReporterAccess,
    ServiceError,
    attachment_add,
    case_shred,
    message_post,
    messages_mark_read,
    report_submit,
)
from reporting.taxonomy import Channel
from reporting.uploads import refusal_status

logger = logging.getLogger(__name__)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _form_page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """A page with a POST form: never cached (it may carry what the reporter typed)."""
    return _no_store(render(request, template, context, status=status))


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/start.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/privacy.html")


def help_now(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/help.html", help_page_view())


def safety(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/safety.html")


# --------------------------------------------------------------------------------------------
# The report form


def _error_anchor(form: Any, name: str) -> str:
    if name not in form.fields:
        return "report-form"
    widget = form.fields[name].widget
    if name == "occurred_month":
        return "id_occurred_month_month"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"id_{name}_0"
    return f"id_{name}"


def _render_form(
    request: HttpRequest, form: ReportForm, *, status: int = 200, notice: str = "", issued: str | None = None
) -> HttpResponse:
    context = {
        "form": form,
        "form_ts": issued or abuse.form_timestamp(),
        "challenge": abuse.challenge_issue(),
        "difficulty": abuse.pow_difficulty(),
        "notice": notice,
        "honeypot_field": abuse.HONEYPOT_FIELD,
        # The browser's encryption module (SPEC §3.10), when `make install` built it.
        "seal_script": settings.SEAL_BUNDLE.is_file(),
        # Each message names its question: Django's "Ensure this value is greater than or equal
        # to 1" alone does not say which answer it is about.
        "error_summary": [
            (_error_anchor(form, name), form.question_for(name), message)
            for name, messages in (form.errors.items() if form.is_bound else [])
            for message in messages
        ],
    }
    return _form_page(request, "reporting/report.html", context, status=status)


# Uploads go through reporting.uploads.BoundedMemoryUploadHandler (settings): in memory only,
# within the limits, and never silently dropped.
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    language = request.LANGUAGE_CODE
    if request.method != "POST":
        return _render_form(request, ReportForm(language=language))
    form = ReportForm(request.POST, request.FILES, language=language)
    refused = _("We could not accept this submission. Please check your answers and send it again.")
    verdict = abuse.form_gate(request.POST)
    if verdict is abuse.Verdict.REFUSED:
        return _render_form(request, form, status=400, notice=refused)
    if verdict is abuse.Verdict.EXPIRED:
        return _render_form(request, form, status=400, notice=_(
            "This form was open for a long time, so for your safety we did not send it yet. "
            "Your answers are still here: please check them and send the form again."
        ))
    issued = request.POST.get(abuse.TIMESTAMP_FIELD)
    # The answers, and the files' number and size: cheap, nothing is decoded yet.
    if not form.is_valid():
        return _render_form(request, form, status=refusal_status(form), issued=issued)
    if abuse.submission_gate(request_client(request), request.POST.get("challenge") or "",
                             request.POST.get("nonce"), puzzle_required=False) is abuse.Verdict.THROTTLED:
        return _render_form(request, form, status=429, issued=issued, notice=_(
            "Right now we are receiving very many reports, so we could not accept yours yet. "
            "Nothing is lost: your answers are still here. Please wait a little while and send it again."
        ))
    # Only a request that passed every cheap check gets its files decoded (SPEC §4.4).
    if not form.sanitise_uploads():
        return _render_form(request, form, status=refusal_status(form), issued=issued)
    try:
        submitted = report_submit(report=form.report_input(channel=Channel.ONLINE_FORM), files=form.cleaned_files)
    except ServiceError:
        return _render_form(request, form, status=503, issued=issued, notice=_(
            "We cannot receive reports at this moment. Your answers are still here: "
            "please try again later, or find help on the “Get help now” page."
        ))
    except DatabaseError as exc:
        # The service rolled back and removed its files: nothing is stored. Only the error's
        # class is logged, never its message (request data must not reach the log).
        logger.error("Report not stored: %s", type(exc).__name__)
        return _render_form(request, form, status=503, issued=issued, notice=_(
            "Nothing you entered has been stored. Please try again in a few minutes."
        ))
    return _no_store(render(request, "reporting/receipt.html", {
        "receipt": submitted.receipt_code, "reference": submitted.case.reference,
    }))


# --------------------------------------------------------------------------------------------
# Follow-up: every step is a POST that carries the receipt code in a hidden field.

def _enter_code(request: HttpRequest, form: ReceiptForm, *, status: int = 200, notice: str = "") -> HttpResponse:
    # After several wrong codes from this identity the form carries a puzzle that the browser
    # solves by itself (static/js/pow.js) before the next try.
    difficulty = abuse.followup_difficulty(request_client(request))
    return _form_page(request, "reporting/followup_enter.html", {
        "form": form, "notice": notice, "difficulty": difficulty,
        "challenge": abuse.challenge_issue() if difficulty else "",
        # The follow-up in the browser (SPEC §3.10), when `make install` built it: the page it
        # fills in, with empty forms for the steps.
        "followup_script": settings.FOLLOWUP_BUNDLE.is_file(),
        "reply_form": ReplyForm(), "files_form": FollowupFilesForm(),
    }, status=status)


def _open(request: HttpRequest, receipt: Any) -> ReporterAccess | HttpResponse:
    try:
        access = abuse.followup_open(
            request_client(request), receipt,
            challenge=request.POST.get("challenge", ""), nonce=request.POST.get("nonce", ""),
        )
    except abuse.FollowupBlocked:
        return _enter_code(request, ReceiptForm(), status=429, notice=_(
            "Several codes that do not open a report were tried from here. Before the next try, "
            "your browser solves a small puzzle: this takes a few seconds and happens by itself. "
            "Without JavaScript, please wait ten minutes and try again."
        ))
    if access is None:
        return _enter_code(request, ReceiptForm(), status=400, notice=_(
            "This code does not open a report. Please check it and try again."
        ))
    return access


def _case_page(
    request: HttpRequest, access: ReporterAccess, receipt: str, *, status: int = 200, notice: str = "",
    reply_form: ReplyForm | None = None, files_form: FollowupFilesForm | None = None,
) -> HttpResponse:
    view = reporter_case_view(access)
    messages_mark_read(case=access.case, by_reporter=True)
    context = {
        "case": view,
        "access": access,
        "receipt": receipt,
        "notice": notice,
        "reply_form": reply_form or ReplyForm(initial={"receipt": receipt}),
        "files_form": files_form or FollowupFilesForm(initial={"receipt": receipt}),
    }
    return _form_page(request, "reporting/followup.html", context, status=status)


# Post/redirect/get: after a message or files are sent, the answer is a redirect to a GET page,
# so reloading it cannot send them again. The receipt code must reach that page without being
# stored readable: it waits in the cache for two minutes at most, encrypted under a fresh key
# that only the redirect address holds, and the first request deletes it.
RESUME_SECONDS = 120


def followup_resume_store(receipt: str, done: str) -> str:
    """The address of the follow-up page that opens once for `receipt` and says what was `done`."""
    token = secrets.token_hex(16)
    key = crypto.new_key()
    sealed = crypto.encrypt(key, receipt.encode(), case_id=token, purpose="followup-resume")
    cache.set(f"followup-resume:{token}", sealed, RESUME_SECONDS)
    resume = f"{token}.{base64.urlsafe_b64encode(key).decode().rstrip('=')}"
    return f"{reverse('reporting:followup')}?{urlencode({'resume': resume, 'done': done})}"


def _followup_resume_take(value: str) -> str | None:
    """The receipt code behind a resume address, once; None when used, expired or altered."""
    token, _dot, encoded = value.partition(".")
    if not re.fullmatch(r"[0-9a-f]{32}", token) or not encoded:
        return None
    sealed = cache.get(f"followup-resume:{token}")
    cache.delete(f"followup-resume:{token}")
    if sealed is None:
        return None
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        return crypto.decrypt(key, sealed, case_id=token, purpose="followup-resume").decode()
    except (ValueError, crypto.CryptoError):
        return None


def _followup_resumed(request: HttpRequest) -> HttpResponse:
    receipt = _followup_resume_take(request.GET.get("resume", ""))
    if receipt is None:
        return _enter_code(request, ReceiptForm(), notice=_(
            "For your safety this page opens only once. Please enter your receipt code again to see your report."
        ))
    access = _open(request, receipt)
    if isinstance(access, HttpResponse):
        return access
    done = request.GET.get("done")
    notice = {
        "reply": _("Your message has been sent."),
        "files": _("Your files have been added."),
    }.get(done or "", "")
    return _case_page(request, access, receipt, notice=notice)


@require_http_methods(["GET", "POST"])
def followup(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        if request.GET.get("resume"):
            return _followup_resumed(request)
        return _enter_code(request, ReceiptForm())
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return _enter_code(request, form, status=400)
    access = _open(request, form.cleaned_data["receipt"])
    if isinstance(access, HttpResponse):
        return access
    return _case_page(request, access, form.cleaned_data["receipt"])


@require_POST
def followup_reply(request: HttpRequest) -> HttpResponse:
    form = ReplyForm(request.POST)
    access = _open(request, request.POST.get("receipt", ""))
    if isinstance(access, HttpResponse):
        return access
    receipt = request.POST["receipt"]
    if not form.is_valid():
        return _case_page(request, access, receipt, status=400, reply_form=form)
    message_post(case=access.case, case_key=access.case_key, body=form.cleaned_data["body"], actor=None)
    return _no_store(HttpResponseRedirect(followup_resume_store(receipt, "reply"), status=303))


@require_POST
def followup_files(request: HttpRequest) -> HttpResponse:
    form = FollowupFilesForm(request.POST, request.FILES)
    access = _open(request, request.POST.get("receipt", ""))
    if isinstance(access, HttpResponse):
        return access
    receipt = request.POST["receipt"]
    # The receipt (and its throttle) was checked first; now count and size, then decoding.
    if not form.is_valid() or not form.sanitise_uploads():
        return _case_page(request, access, receipt, status=refusal_status(form), files_form=form)
    for item in form.cleaned_files:
        attachment_add(case=access.case, case_key=access.case_key, item=item, actor=None)
    return _no_store(HttpResponseRedirect(followup_resume_store(receipt, "files"), status=303))


@require_POST
def followup_delete(request: HttpRequest) -> HttpResponse:
    access = _open(request, request.POST.get("receipt", ""))
    if isinstance(access, HttpResponse):
        return access
    receipt = request.POST["receipt"]
    if request.POST.get("confirm") != "yes":
        return _form_page(request, "reporting/followup_delete.html", {"receipt": receipt})
    case_shred(actor=None, case=access.case, reason="reporter")
    return _no_store(render(request, "reporting/followup_deleted.html"))
