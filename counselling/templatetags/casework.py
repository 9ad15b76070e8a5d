"""``{% casework_panel %}``: the counselling-work section of the case page, with its own
context, so the case page includes it with one line (templates/counselling/_casework.html)."""

from __future__ import annotations

from typing import Any

from django import template

from counselling import casework, codes
from counselling.access import request_case_keys
from counselling.views.casework import consent_choices, consent_of, summaries_of
from reporting.services import help_services
from reporting.taxonomy import CaseStatus

register = template.Library()


@register.inclusion_tag("counselling/_casework_panel.html", takes_context=True)
def casework_panel(context: Any) -> dict[str, Any]:
    request, case = context["request"], context["case"]
    keys = request_case_keys(request, case)  # the case page runs under key_required
    return {
        "case": case, "may_act": context.get("may_act", False), "csrf_token": context.get("csrf_token"),
        "work": casework.casework_read(case=case, internal_key=keys.internal_key or b""),
        "consent": consent_of(case), "summaries": summaries_of(case, keys.case_key),
        "consent_choices": consent_choices(case),
        "directory": list(help_services()),
        "contact_modes": codes.ContactMode.choices, "interventions": codes.InterventionCode.choices,
        "yes_no": codes.YesNoUnknown.choices, "proceedings": codes.Proceedings.choices,
        "justice_outcomes": codes.JusticeOutcome.choices, "deadline_kinds": codes.DeadlineKind.choices,
        "referral_reasons": codes.ReferralReason.choices, "outcomes": codes.Outcome.choices,
        "closing_statuses": [(CaseStatus.CLOSED, CaseStatus.CLOSED.label),
                             (CaseStatus.REFERRED, CaseStatus.REFERRED.label)],
    }
