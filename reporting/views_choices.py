"""The reporter's choices on the follow-up page (SPEC §5.1): consent by purpose, the answer to
a public summary, the answer to the outcome question. Each is a POST that carries the receipt
code like every follow-up step (reporting.views) and shows the follow-up page again."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reporting.services import ServiceError
from reporting.services.consent import consent_set, outcome_answer, summary_answer
from reporting.views import _case_page, _open


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in ("on", "true", "yes", "1")


@require_POST
def followup_consent(request: HttpRequest) -> HttpResponse:
    access = _open(request, request.POST.get("receipt", ""))
    if isinstance(access, HttpResponse):
        return access
    consent_set(case=access.case, contact=_flag(request, "consent_contact"),
                statistics=_flag(request, "consent_statistics"), network=_flag(request, "consent_network"),
                publication=_flag(request, "consent_publication"))
    access.case.refresh_from_db()
    return _case_page(request, access, request.POST["receipt"], notice=_("Your choices have been saved."))


@require_POST
def followup_summary(request: HttpRequest) -> HttpResponse:
    access = _open(request, request.POST.get("receipt", ""))
    if isinstance(access, HttpResponse):
        return access
    receipt = request.POST["receipt"]
    answer = request.POST.get("answer")
    try:
        summary_id = int(request.POST.get("summary", ""))
        if answer not in ("approve", "veto"):
            raise ValueError
        summary_answer(case=access.case, case_key=access.case_key, summary_id=summary_id,
                       approve=answer == "approve")
    except (ValueError, ServiceError) as exc:
        message = exc.message if isinstance(exc, ServiceError) else _("Choose whether to approve or veto it.")
        return _case_page(request, access, receipt, status=400, notice=message)
    notice = _("Thank you. The summary will be published.") if answer == "approve" else _(
        "Thank you. The summary will not be published.")
    return _case_page(request, access, receipt, notice=notice)


@require_POST
def followup_outcome(request: HttpRequest) -> HttpResponse:
    access = _open(request, request.POST.get("receipt", ""))
    if isinstance(access, HttpResponse):
        return access
    receipt = request.POST["receipt"]
    try:
        outcome_answer(case=access.case, answer=request.POST.get("answer", ""))
    except ServiceError as exc:
        return _case_page(request, access, receipt, status=400, notice=exc.message)
    return _case_page(request, access, receipt, notice=_("Thank you for your answer."))
