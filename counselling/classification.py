"""Classify a case for the statistics (SPEC §6): the page and its form.

The rules of a valid classification live in ``stats.services.classification_clean``; the form
only offers the choices and hands the raw values over, so page and API refuse the same input.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from counselling.access import get_case_for_action, membership_of
from counselling.decorators import staff_required
from reporting.models import Case
from reporting.taxonomy import AntisemitismForm, AreaOfLife, Channel, IncidentType, Motive
from stats import presentation
from stats.selectors import record_for_case
from stats.services import ClassificationInvalid, classification_save, district_choices

MONTH_CHOICES = [(m, presentation.label("month", str(m))) for m in range(1, 13)]


class ClassificationForm(forms.Form):
    incident_type = forms.ChoiceField(label=_("Type of incident"), choices=IncidentType.choices)
    motives = forms.MultipleChoiceField(
        label=_("Motives"), choices=Motive.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every motive that applies. Each one is counted."),
    )
    antisemitism_forms = forms.MultipleChoiceField(
        label=_("Forms of antisemitism"), choices=AntisemitismForm.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for antisemitic incidents."),
    )
    area_of_life = forms.ChoiceField(label=_("Area of life"), choices=AreaOfLife.choices)
    district = forms.ChoiceField(label=_("District"), choices=())
    year = forms.IntegerField(label=_("Year of the incident"))
    month = forms.TypedChoiceField(
        label=_("Month of the incident"), choices=MONTH_CHOICES, coerce=int,
        help_text=_("If the date is unknown, use the month the report reached us."),
    )
    channel = forms.ChoiceField(label=_("How the incident reached us"), choices=Channel.choices)
    people_affected = forms.IntegerField(
        label=_("Number of people affected"), required=False, min_value=1,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            (key, presentation.label("district", key)) for key in district_choices()
        ]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select) and not isinstance(widget, forms.SelectMultiple):
                widget.attrs.setdefault("class", "kern-form-input__select")
            elif isinstance(widget, forms.NumberInput):
                widget.attrs.setdefault("class", "kern-form-input__input")


def initial_for(case: Case) -> dict[str, Any]:
    """Prefill from the existing record, else from the case's plaintext codes."""
    record = record_for_case(case)
    if record is not None:
        return {
            "incident_type": record.incident_type, "motives": record.motives,
            "antisemitism_forms": record.antisemitism_forms, "area_of_life": record.area_of_life,
            "district": record.district, "year": record.year, "month": record.month,
            "channel": record.channel, "people_affected": record.people_affected,
        }
    received = case.received_on or timezone.localdate()
    return {
        "incident_type": case.incident_type or None,
        "motives": [m for m in case.motives if m in Motive.values],
        "district": case.district,
        "year": received.year,
        "month": received.month,
        "channel": case.channel,
    }


@staff_required
def classify(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_action(request.user, case_id)
    if request.method == "POST":
        form = ClassificationForm(request.POST)
        if form.is_valid():
            try:
                classification_save(actor=request.user, case=case, data=form.cleaned_data)
            except ClassificationInvalid as exc:
                for name, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, gettext("The classification is saved."))
                return redirect(reverse("counselling:case", args=[case.pk]))
    else:
        form = ClassificationForm(initial=initial_for(case))
    original = None
    if case.duplicate_of_id is not None:
        original = Case.objects.filter(pk=case.duplicate_of_id).only("reference").first()
    return render(
        request,
        "counselling/classify.html",
        {
            "show_leave_button": False,
            "membership": membership_of(request.user),
            "case": case,
            "form": form,
            "original": original,
            "rejected": case.status == "rejected",
            "classified": record_for_case(case) is not None,
        },
        status=400 if request.method == "POST" else 200,
    )
