"""Classify a case for the statistics (SPEC §6): the page and its form.

The counsellor classifies with the decrypted report beside the form, which is prefilled from
it (``suggestion_from_report``) or, for an incident already classified, from its record; they
confirm or correct.  The rules of a valid classification live in one place,
``stats.services.classification_clean``: the form has none of its own (it offers the choices,
hands the raw values over and shows the messages), and neither has the API, so page and API
refuse the same input with the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from counselling import selectors
from counselling.access import (
    NotUnlocked,
    get_case_for_action,
    key_required,
    request_case_keys,
)
from counselling.decorators import staff_required
from counselling.views.common import _page
from reporting.models import Case
from reporting.services import report_decrypt
from reporting.taxonomy import AntisemitismForm, AreaOfLife, Channel, IncidentType, Motive
from stats import presentation
from stats.models import StatisticsRecord
from stats.selectors import record_for_case
from stats.services import (
    EARLIEST_YEAR,
    MAX_PEOPLE_AFFECTED,
    Classification,
    ClassificationInvalid,
    classification_clean,
    classification_save,
    district_choices,
)

MONTH_CHOICES = [(m, presentation.label("month", str(m))) for m in range(1, 13)]
# An unanswered choice shows as empty, so nothing the report did not say is preselected.
NO_CHOICE = ("", "—")


class ClassificationForm(forms.Form):
    incident_type = forms.ChoiceField(label=_("Type of incident"), choices=[NO_CHOICE, *IncidentType.choices])
    motives = forms.MultipleChoiceField(
        label=_("Motives"), choices=Motive.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every motive that applies. Each one is counted."),
    )
    antisemitism_forms = forms.MultipleChoiceField(
        label=_("Forms of antisemitism"), choices=AntisemitismForm.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for antisemitic incidents."),
    )
    area_of_life = forms.ChoiceField(label=_("Area of life"), choices=[NO_CHOICE, *AreaOfLife.choices])
    district = forms.ChoiceField(label=_("District"), choices=())
    year = forms.IntegerField(label=_("Year of the incident"))
    month = forms.TypedChoiceField(
        label=_("Month of the incident"), choices=[NO_CHOICE, *MONTH_CHOICES], coerce=int,
        help_text=_("If the date is unknown, use the month the report reached us."),
    )
    channel = forms.ChoiceField(label=_("How the incident reached us"), choices=[NO_CHOICE, *Channel.choices])
    people_affected = forms.IntegerField(
        label=_("Number of people affected"), required=False, min_value=1,
    )
    # The two additions the RIAS crosswalk needs (stats/crosswalks/rias-v1.json).
    targeted = forms.ChoiceField(
        label=_("Was the damage to property targeted at people or institutions?"), required=False,
        choices=[("", _("Not known")), ("yes", _("Yes")), ("no", _("No"))],
        help_text=_("Only for damage to property: for example a memorial, a synagogue or a person's home, "
                    "not random graffiti."),
    )
    assembly = forms.BooleanField(
        label=_("It happened at an assembly or demonstration"), required=False,
        help_text=_("Only for offensive behaviour."),
    )

    classification: Classification | None = None

    def full_clean(self) -> None:
        """Validated by the service alone; its result is `classification`."""
        self._errors = ErrorDict()
        self.cleaned_data: dict[str, Any] = {}
        self.classification = None
        if not self.is_bound:
            return
        try:
            self.classification = classification_clean(self.data)
        except ClassificationInvalid as exc:
            for name, errors in exc.fields.items():
                self.add_error(name if name in self.fields else None, errors)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            NO_CHOICE, *((key, presentation.label("district", key)) for key in district_choices()),
        ]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select) and not isinstance(widget, forms.SelectMultiple):
                widget.attrs.setdefault("class", "kern-form-input__select")
            elif isinstance(widget, forms.NumberInput):
                widget.attrs.setdefault("class", "kern-form-input__input")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "kern-form-check__checkbox")


# --------------------------------------------------------------------------------------------
# What the form starts from


def incident_record(case: Case) -> StatisticsRecord | None:
    """The statistics record of the case's incident; None while the incident is unclassified."""
    return record_for_case(case)


def record_values(record: StatisticsRecord) -> dict[str, Any]:
    """A record as classification values: what the counsellor corrects."""
    return {
        "incident_type": record.incident_type, "motives": list(record.motives),
        "antisemitism_forms": list(record.antisemitism_forms), "area_of_life": record.area_of_life,
        "district": record.district, "year": record.year, "month": record.month,
        "channel": record.channel, "people_affected": record.people_affected,
        "targeted": "" if record.targeted is None else ("yes" if record.targeted else "no"),
        "assembly": record.assembly,
    }


def _code(value: Any, allowed: Iterable[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _classifiable_month(year: int, month: int) -> tuple[int, int] | None:
    """(year, month) if a classification may hold it: from EARLIEST_YEAR, not in the future."""
    today = timezone.localdate()
    if 1 <= month <= 12 and EARLIEST_YEAR <= year and (year, month) <= (today.year, today.month):
        return year, month
    return None


def _reported_month(report: Mapping[str, Any]) -> tuple[int, int] | None:
    day, month = report.get("occurred_on"), report.get("occurred_month")
    if isinstance(day, str) and day:
        try:
            occurred = date.fromisoformat(day)
        except ValueError:
            return None
        return _classifiable_month(occurred.year, occurred.month)
    if isinstance(month, str) and (match := re.fullmatch(r"(\d{4})-(\d{1,2})", month)):
        return _classifiable_month(int(match.group(1)), int(match.group(2)))
    return None


def _has_date(report: Mapping[str, Any]) -> bool:
    return bool(report.get("occurred_on") or report.get("occurred_month"))


def suggestion_from_report(case: Case, report: Mapping[str, Any]) -> dict[str, Any]:
    """Classification values suggested by the decrypted report of ``case``.

    The incident's year and month are the reported day's or month's; the day the report was
    received only stands in when the report gives no date.  Only valid classification codes
    are suggested: anything else (an unknown area of life, a date before EARLIEST_YEAR) is left
    empty (None, or [] for lists) for the counsellor.  Forms of antisemitism are never
    reported, so never suggested.  The channel is the case's.
    """
    if _has_date(report):
        occurred = _reported_month(report)
    else:
        received = case.received_on or timezone.localdate()
        occurred = _classifiable_month(received.year, received.month)
    raw_motives = report.get("motives")
    motives = raw_motives if isinstance(raw_motives, list) else []
    people = report.get("people_affected")
    valid_people = isinstance(people, int) and not isinstance(people, bool) and 1 <= people <= MAX_PEOPLE_AFFECTED
    return {
        "incident_type": _code(report.get("incident_type"), IncidentType.values),
        "motives": sorted({m for m in motives if isinstance(m, str) and m in Motive.values}),
        "antisemitism_forms": [],
        "area_of_life": _code(report.get("area_of_life"), AreaOfLife.values),
        "district": _code(report.get("district"), district_choices()),
        "year": occurred[0] if occurred else None,
        "month": occurred[1] if occurred else None,
        "channel": _code(case.channel, Channel.values),
        "people_affected": people if valid_people else None,
    }


# --------------------------------------------------------------------------------------------
# The page


def _report(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The decrypted report, opened as the case page opens it; raises NotUnlocked."""
    return report_decrypt(case=case, case_key=request_case_keys(request, case).case_key)


@staff_required
@key_required
def classify(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    report: dict[str, Any] | None
    if request.method == "POST":
        form = ClassificationForm(request.POST)
        if form.is_valid() and form.classification is not None:
            classification_save(actor=request.user, case=case, data=form.classification)
            messages.success(request, gettext("The classification is saved."))
            return redirect(reverse("counselling:case", args=[case.pk]))
        try:
            report = _report(request, case)
        except NotUnlocked:
            report = None  # saving needs no key: the answers are shown again, without the report
        record = incident_record(case)
    else:
        report = _report(request, case)  # without the key, key_required sends the member to unlock
        record = incident_record(case)
        form = ClassificationForm(
            initial=record_values(record) if record is not None else suggestion_from_report(case, report)
        )
    original = None
    if case.duplicate_of_id is not None:
        original = Case.objects.filter(pk=case.duplicate_of_id).only("reference").first()
    return _page(
        request,
        "counselling/classify.html",
        {
            "case": case,
            "form": form,
            "original": original,
            "rejected": case.status == "rejected",
            "record": record,
            "prefilled": request.method != "POST",
            "report_rows": None if report is None else selectors.report_rows(report, selectors.district_names()),
            "unlock_url": f"{reverse('counselling:unlock')}?{urlencode({'next': request.path})}",
        },
        status=400 if request.method == "POST" else 200,
    )
