"""``{% followup_choices %}``: the reporter's choices on the follow-up page (consent by
purpose, summaries waiting for an answer, the outcome question), with their own context."""

from __future__ import annotations

from typing import Any

from django import template

from reporting.models import OutcomeQuestion
from reporting.services.consent import outcome_question_open, summaries_waiting, summary_text

register = template.Library()


@register.inclusion_tag("reporting/_followup_choices_panel.html", takes_context=True)
def followup_choices(context: Any) -> dict[str, Any]:
    access = context["access"]
    case = access.case
    return {
        "receipt": context["receipt"], "csrf_token": context.get("csrf_token"), "case": case,
        "summaries": [{"id": s.pk, "text": summary_text(summary=s, case_key=access.case_key)}
                      for s in summaries_waiting(case)],
        "question": outcome_question_open(case), "answers": OutcomeQuestion.Answer.choices,
    }
