"""Counselling statistics for the funder, per organisation and year (SPEC §5.1), from codes only.

- cases: cases the organisation received in the year (that it still holds: cases shredded
  under the retention rules drop out, so run the report before the retention period ends);
- people counselled: distinct cases with at least one documented contact in the year (the
  contact rows keep a random per-case token and their codes after shredding);
- contacts by mode, interventions by code, referrals, outcomes at closing: documented in
  the year, kept after shredding;
- time to first reply: of the cases received in the year that got a reply, the median hours
  and how many within the organisation's reply deadline;
- the reporters' anonymous answers to the outcome question (asked in the year).
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count

from counselling.codes import ContactMode, InterventionCode, Outcome
from counselling.models import CaseOutcome, Contact, Intervention, Referral
from reporting.models import Case, Organisation, OutcomeQuestion


@dataclass
class OrganisationFigures:
    organisation: str
    name: str
    cases: int = 0
    people_counselled: int = 0
    contacts: dict[str, int] = field(default_factory=dict)
    interventions: dict[str, int] = field(default_factory=dict)
    referrals: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    first_replies: int = 0
    first_reply_median_hours: float | None = None
    first_reply_within_deadline: int = 0
    outcome_answers: dict[str, int] = field(default_factory=dict)


@dataclass
class FunderStatistics:
    year: int
    organisations: list[OrganisationFigures]

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "organisations": [vars(o) for o in self.organisations]}


def _by_code(qs: Any, column: str, codes: list[str]) -> dict[str, int]:
    found = dict(qs.values_list(column).annotate(n=Count("id")).values_list(column, "n"))
    return {code: int(found.get(code, 0)) for code in codes}


def funder_statistics(*, year: int, organisations: list[Organisation]) -> FunderStatistics:
    result = []
    for organisation in organisations:
        figures = OrganisationFigures(organisation=organisation.slug, name=organisation.name)
        cases = Case.objects.filter(organisation=organisation, received_on__year=year)
        figures.cases = cases.count()
        contacts = Contact.objects.filter(organisation=organisation, year=year)
        figures.people_counselled = contacts.values("case_token").distinct().count()
        figures.contacts = _by_code(contacts, "mode", ContactMode.values)
        figures.interventions = _by_code(Intervention.objects.filter(organisation=organisation, year=year),
                                         "code", InterventionCode.values)
        figures.referrals = Referral.objects.filter(organisation=organisation, year=year).count()
        figures.outcomes = _by_code(CaseOutcome.objects.filter(organisation=organisation, year=year),
                                    "outcome", Outcome.values)
        hours = [
            (first - created).total_seconds() / 3600
            for created, first in cases.filter(first_reply_at__isnull=False).values_list("created_at", "first_reply_at")
            if first is not None
        ]
        figures.first_replies = len(hours)
        figures.first_reply_median_hours = round(statistics.median(hours), 1) if hours else None
        deadline = timedelta(days=organisation.reply_deadline_days).total_seconds() / 3600
        figures.first_reply_within_deadline = sum(1 for h in hours if h <= deadline)
        answers = OutcomeQuestion.objects.filter(organisation=organisation, year=year).exclude(answer="")
        figures.outcome_answers = _by_code(answers, "answer", OutcomeQuestion.Answer.values)
        result.append(figures)
    return FunderStatistics(year=year, organisations=result)


def funder_csv(stats: FunderStatistics) -> str:
    """One row per organisation and figure: organisation, year, figure, code, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["organisation", "year", "figure", "code", "value"])
    for org in stats.organisations:
        for figure in ("cases", "people_counselled", "referrals", "first_replies", "first_reply_median_hours",
                       "first_reply_within_deadline"):
            value = getattr(org, figure)
            writer.writerow([org.organisation, stats.year, figure, "", "" if value is None else value])
        for figure in ("contacts", "interventions", "outcomes", "outcome_answers"):
            for code, value in getattr(org, figure).items():
                writer.writerow([org.organisation, stats.year, figure, code, value])
    return out.getvalue()
