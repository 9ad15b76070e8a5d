"""The report form (SPEC §4.1): the one place where a reporter's answers are checked.

The HTML form and the API both bind `ReportForm`, so the rules cannot drift apart (the API
hands over its typed values as they are). Error messages are written for the person who sees
them, translated, and never blame. The files field and its checks are reporting.uploads'.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator, normalize_choices
from django.utils.datastructures import MultiValueDict
from django.utils.dates import MONTHS
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from reporting import places, snapshot
from reporting.selectors import partner_directory
from reporting.services import ReportInput
from reporting.taxonomy import (
    PLACE_UNKNOWN,
    REPORTER_LANGUAGES,
    UNKNOWN,
    AreaOfLife,
    IncidentType,
    Motive,
    ReporterRole,
)
from reporting.uploads import MultipleFileField, UploadsMixin, files_widget

DESCRIPTION_MAX = 20_000
KEEP_METADATA_HINT = format_lazy(
    "{} {}",
    _(
        "Only tick this if the original files are needed as evidence. Photos can then show where and when "
        "they were taken and with which phone, and documents can show who made them."
    ),
    _("PDFs are rebuilt in any case, without scripts, forms, attached files or comments: only their document details are kept."),
)
MESSAGE_MAX = 20_000
DONT_KNOW = _("I don't know")


def _with_unknown(choices: Iterable[tuple[str, Any]], label: Any = DONT_KNOW) -> list[tuple[str, Any]]:
    return [*choices, (UNKNOWN, label)]


class MonthYearWidget(forms.Widget):
    """Month and year as two selects for people (`<name>_month`, `<name>_year`).

    API clients send "YYYY-MM" under the field's own name, which wins when present.
    """

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str:
        own = data.get(name)
        if own not in (None, ""):
            return own
        month = data.get(f"{name}_month") or ""
        year = data.get(f"{name}_year") or ""
        if not month and not year:
            return ""
        return f"{year}-{month}"

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


def style_widgets(form: forms.Form) -> None:
    """KERN UX classes on every control; sensitive fields without autocomplete."""
    for field in form.fields.values():
        widget = field.widget
        # CheckboxSelectMultiple subclasses RadioSelect, so it is asked about first: several
        # motives must look like checkboxes, not like radio buttons that allow only one.
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "kern-form-check__checkbox"
        elif isinstance(widget, forms.RadioSelect):
            css = "kern-form-check__radio"
        elif isinstance(widget, forms.Select):
            css = "kern-form-input__select"
        else:
            css = "kern-form-input__input"
            widget.attrs.setdefault("autocomplete", "off")
        widget.attrs.setdefault("class", css)


T = TypeVar("T")


def shallow_copy(obj: T) -> T:
    """`copy.copy` of a plain object (its attributes, not copies of them), without the generic
    machinery of `copy`, which costs several times more."""
    result = object.__new__(type(obj))
    result.__dict__.update(obj.__dict__)
    return result


def field_copy(field: forms.Field) -> forms.Field:
    """The copy a form makes of one of its class's fields, made directly.

    What `Field.__deepcopy__` gives a form (its own widget with its own attributes, its own
    messages and validators), without `copy.deepcopy`'s generic machinery, which Django runs for
    every field of every form it builds: for the report form's 27 fields that was about a tenth
    of a report's request (issue 16). Choices are shared, not copied (`_SharedChoices`); the form
    fields here keep nothing else that a form changes in place.
    """
    result = shallow_copy(field)
    widget = shallow_copy(field.widget)
    widget.attrs = field.widget.attrs.copy()
    result.widget = widget
    result.error_messages = field.error_messages.copy()
    result.validators = field.validators[:]
    return result


class _SharedChoices:
    """A choice field whose copies share its choices.

    Django deep-copies every field of a form for every form it builds, and normalises a choice
    widget's choices again on each copy: for the report form's ten choice fields that was a
    tenth of a report's request (issue 16). Choices here are only ever replaced, never changed
    in place, so a copy may share them; the widget's attributes are copied as Django does.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = field_copy(cast(forms.Field, self))
        memo[id(self)] = result
        return result


class FieldCopies(dict[str, forms.Field]):
    """A form class's `base_fields` that each form copies with `field_copy` (see there): set it
    on a form class whose fields are Django's own or `_SharedChoices`, never a MultiWidget's."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return {name: field_copy(field) for name, field in self.items()}


class _Normalised(BaseChoiceIterator):
    """Choices already in Django's normal form: a field or widget takes them as they are
    instead of normalising them again for every form (issue 16)."""

    def __init__(self, choices: list[Any]) -> None:
        self.normal = choices

    def __iter__(self) -> Iterator[Any]:
        return iter(self.normal)


@functools.cache
def _district_choices() -> _Normalised:
    # The labels are lazy, so one list serves every language.
    return _Normalised(normalize_choices(places.place_choices(
        unknown=_("I don't know or would rather not say"), online=_("Online, no physical place"),
    )))


class ChoiceField(_SharedChoices, forms.ChoiceField):
    pass


class MultipleChoiceField(_SharedChoices, forms.MultipleChoiceField):
    pass


class ReportForm(UploadsMixin, forms.Form):
    # Every hint is the field's own help_text, so a hint cannot carry over to the next field
    # (as a template variable once did) and aria-describedby always points at the field's hint.
    incident_type = ChoiceField(
        label=_("What happened?"), required=False, widget=forms.RadioSelect,
        help_text=_("Choose what fits best. The counselling service can correct it later."),
        choices=_with_unknown(IncidentType.choices, _("I am not sure")),
    )
    description = forms.CharField(
        label=_("Please describe what happened"), max_length=DESCRIPTION_MAX, strip=True,
        help_text=_(
            "In your own words. You can write as much or as little as you like, in any language. "
            "Please do not write names of other people if you do not need to."
        ),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={
            "required": _("Please tell us in your own words what happened."),
            "max_length": _(
                "Please shorten your description to at most %(limit_value)d characters "
                "(it has %(show_value)d)."
            ),
        },
    )
    date_known = ChoiceField(
        label=_("When did it happen?"), required=False, widget=forms.RadioSelect,
        help_text=_("The date helps us to see when incidents happen. If you are not sure, the month is enough."),
        choices=[("day", _("I know the day")), ("month", _("I know the month")), (UNKNOWN, DONT_KNOW)],
    )
    occurred_on = forms.DateField(
        label=_("Day"), required=False, input_formats=["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"],
        help_text=format_lazy(
            "{} {}", _("Only if you chose “I know the day”."),
            _("If you see a plain text box, write the day like this: 2025-03-14."),
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Please enter the day as a date, for example 2025-03-14.")},
    )
    occurred_month = forms.CharField(
        label=_("Month and year"), required=False, widget=MonthYearWidget,
        help_text=_("Only if you chose “I know the month”."),
    )
    district = ChoiceField(
        label=_("Where did it happen?"), required=False,
        help_text=_(
            "The district or independent city. We use it to send your report to a counselling service "
            "nearby and for the statistics."
        ),
        error_messages={
            "invalid_choice": _("Please choose a district from the list, “online” or “I don't know”.")
        },
    )
    area_of_life = ChoiceField(
        label=_("In which area of life?"), required=False, widget=forms.RadioSelect,
        help_text=_("For example: on the bus, at school, at work."),
        choices=_with_unknown(AreaOfLife.choices),
    )
    place_details = forms.CharField(
        label=_("More about the place (optional)"), required=False, max_length=1000,
        help_text=_("For example the street, the shop or the website. Only if you want to."),
    )
    motives = MultipleChoiceField(
        label=_("Why do you think it happened?"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("What do you think was behind it? You can choose several. Your feeling counts."),
        choices=_with_unknown(Motive.choices),
        error_messages={"invalid_choice": _("Please choose from the list."), "invalid_list": _("Please choose from the list.")},
    )
    role = ChoiceField(
        label=_("Who are you in this?"), required=False, widget=forms.RadioSelect,
        help_text=_("This helps the counselling service to understand your situation."),
        choices=_with_unknown(ReporterRole.choices, _("I would rather not say")),
    )
    people_affected = forms.IntegerField(
        label=_("How many people were affected? (optional)"), required=False, min_value=1, max_value=10_000,
        help_text=_("Count yourself too, if it happened to you."),
        error_messages={"invalid": _("Please enter a number, or leave the field empty.")},
    )
    wants_counselling = forms.BooleanField(
        label=_("Yes, I would like support from a counselling service"), required=False,
        help_text=_("Support is free of charge and confidential. You can also decide later."),
    )
    contact = ChoiceField(
        label=_("How may the counselling service contact you?"), required=False, widget=forms.RadioSelect,
        help_text=_("With your receipt code you can read answers on this site without giving any contact details."),
        choices=[
            ("mailbox", _("Only through the anonymous mailbox on this site (with my receipt code)")),
            ("email", _("By e-mail")),
            ("phone", _("By phone")),
        ],
    )
    contact_email = forms.EmailField(
        label=_("Your e-mail address"), required=False, max_length=254,
        help_text=format_lazy(
            "{} {}", _("Only if you chose “By e-mail”."),
            _("It is stored encrypted; only the counselling service can read it."),
        ),
        error_messages={"invalid": _("Please enter an e-mail address like name@example.org.")},
    )
    contact_phone = forms.CharField(
        label=_("Your phone number"), required=False, max_length=40,
        help_text=format_lazy(
            "{} {}", _("Only if you chose “By phone”."),
            _("For example 0511 123456. It is stored encrypted; only the counselling service can read it."),
        ),
    )
    notify_email = forms.EmailField(
        label=_("E-mail address for a short notice when there is a reply (optional)"), required=False,
        max_length=254,
        help_text=_(
            "We only write that there is a reply, nothing else. The address is stored encrypted and "
            "deleted when your report is closed."
        ),
        error_messages={"invalid": _("Please enter an e-mail address like name@example.org.")},
    )
    partner = ChoiceField(
        label=_("Which organisation should receive your report?"), required=False,
        help_text=_(
            "We send your report to a service that covers your district and the kind of incident. You may "
            "choose one yourself; if it does not cover your report, we choose for you."
        ),
        error_messages={"invalid_choice": _("Please choose an organisation from the list.")},
    )
    language = ChoiceField(
        required=False, choices=[(code, code) for code in REPORTER_LANGUAGES],
        error_messages={"invalid_choice": _("Please choose one of the languages offered.")},
    )
    consent = forms.BooleanField(
        label=_("I agree that the counselling service may process my report, including what it says about racism or religion."),
        help_text=_(
            "A report about racism or antisemitism says something about origin or religion. The law protects "
            "this information specially, so we need your consent to process it. You can delete your report at "
            "any time with your receipt code."
        ),
        error_messages={"required": _("Please confirm that you agree, so that we may process your report.")},
    )
    # Consent by purpose (SPEC §5.1): every purpose optional; processing for counselling is
    # `consent` above. The page sends `purposes` with the boxes; a client that never showed
    # them (older API clients) gets the defaults of ReportInput.
    purposes = forms.CharField(required=False, widget=forms.HiddenInput)
    consent_contact = forms.BooleanField(
        label=_("The counselling service may contact me (through the mailbox or the way I chose above)."),
        required=False, initial=True)
    consent_statistics = forms.BooleanField(
        label=_("Count my report in the anonymous statistics (only codes such as the district and the month, "
                "never what I wrote)."), required=False, initial=True)
    consent_network = forms.BooleanField(
        label=_("Pass an anonymised record (codes only) to a monitoring network such as RIAS, which documents "
                "antisemitic incidents nationwide."), required=False)
    consent_publication = forms.BooleanField(
        label=_("The service may ask me to approve a short anonymised description for its public chronicle."),
        required=False)
    keep_metadata = forms.BooleanField(
        label=_("Keep the original files unchanged"), required=False, help_text=KEEP_METADATA_HINT,
    )
    # The form metaclass moves declared fields into base_fields, so `self.files` stays the
    # uploaded-files dict at runtime; the stubs do not model that.
    files = MultipleFileField(label=_("Photos, screenshots or documents (optional)"), required=False)  # type: ignore[assignment]

    # The follow-up question each choice asks, shown right under it (reporting_forms.revealed_by).
    REVEALS = {
        "date_known": {"day": "reporting/_reveal_day.html", "month": "reporting/_reveal_month.html"},
        "contact": {"email": "reporting/_reveal_email.html", "phone": "reporting/_reveal_phone.html"},
    }
    # The parts of the form, in order, with the fields each holds (the page's progress).
    SECTIONS = (
        ("what", _("What happened"), ("incident_type", "description")),
        ("when", _("When"), ("date_known", "occurred_on", "occurred_month")),
        ("where", _("Where"), ("district", "area_of_life", "place_details")),
        ("why", _("Why"), ("motives",)),
        ("who", _("Who"), ("role", "people_affected")),
        ("evidence", _("Photos and documents"), ("files", "keep_metadata")),
        ("contact", _("Support and contact"), ("wants_counselling", "contact", "contact_email", "contact_phone",
                                                "notify_email")),
        ("org", _("Counselling service"), ("partner",)),
        ("consent", _("Your consent"), ("consent",)),
    )

    def __init__(self, *args: Any, language: str = "de", for_page: bool = True, **kwargs: Any) -> None:
        """`for_page=False`: only to validate (the API), never rendered: the choices without
        their labels, and none of the page's attributes, help and date pickers."""
        super().__init__(*args, **kwargs)
        self.default_language = language if language in REPORTER_LANGUAGES else "de"
        cast(forms.ChoiceField, self.fields["district"]).choices = _district_choices()
        if not for_page:
            cast(forms.ChoiceField, self.fields["partner"]).choices = [
                ("", ""), *((org.slug, org.slug) for org in snapshot.organisations() if org.active),
            ]
            for field in self.fields.values():
                field.help_text = ""  # not translated for every field only to be thrown away
            return
        self.partners = partner_directory()
        cast(forms.ChoiceField, self.fields["partner"]).choices = [
            ("", _("Choose for me (recommended)")),
            *((entry.slug, f"{entry.name} – {entry.coverage_text}") for entry in self.partners),
        ]
        style_widgets(self)
        description = self.fields["description"].widget.attrs
        description["data-maxlength"] = str(DESCRIPTION_MAX)
        description["data-counter-label"] = _("%(remaining)s characters left")
        description["spellcheck"] = "false"  # spell checkers may send the text to third parties
        self.fields["people_affected"].widget.attrs["inputmode"] = "numeric"
        files_widget(self.fields["files"])
        for name in ("contact_email", "notify_email"):
            self.fields[name].widget.attrs["inputmode"] = "email"
        today = timezone.localdate()
        self.year_choices = [str(year) for year in range(today.year, today.year - 10, -1)]
        self.month_choices = [(f"{month:02d}", MONTHS[month]) for month in range(1, 13)]

    # ---- fields

    def clean_incident_type(self) -> str:
        value = self.cleaned_data["incident_type"]
        return "" if value == UNKNOWN else value

    def clean_occurred_on(self) -> Any:
        value = self.cleaned_data["occurred_on"]
        if value and value > timezone.localdate():
            raise ValidationError(_("This day is in the future. Please check the date."), code="future")
        return value

    def clean_occurred_month(self) -> str:
        value = (self.cleaned_data["occurred_month"] or "").strip()
        if not value:
            return ""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
        if not match:
            if value.startswith("-") or value.endswith("-"):
                raise ValidationError(_("Please choose both the month and the year."), code="incomplete")
            raise ValidationError(_("Please give the month and the year, for example 2025-03."), code="invalid")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1900:
            raise ValidationError(_("Please give the month and the year, for example 2025-03."), code="invalid")
        today = timezone.localdate()
        if (year, month) > (today.year, today.month):
            raise ValidationError(_("This month is in the future. Please check the date."), code="future")
        return f"{year:04d}-{month:02d}"

    def clean_district(self) -> str:
        return self.cleaned_data["district"] or PLACE_UNKNOWN

    def clean_area_of_life(self) -> str:
        value = self.cleaned_data["area_of_life"]
        return "" if value == UNKNOWN else value

    def clean_motives(self) -> list[str]:
        return sorted({code for code in self.cleaned_data["motives"] if code != UNKNOWN})

    def clean_role(self) -> str:
        value = self.cleaned_data["role"]
        return "" if value == UNKNOWN else value

    def clean_contact_phone(self) -> str:
        value = self.cleaned_data["contact_phone"].strip()
        if value and not re.fullmatch(r"\+?[0-9 ()/.\-]{5,40}", value):
            raise ValidationError(_("Please enter a phone number with digits only, for example 0511 123456."))
        return value

    # ---- the whole

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # BaseForm.clean() returns self.cleaned_data
        self._clean_date(data)
        contact = data.get("contact") or "mailbox"
        data["contact"] = contact
        if contact == "email" and not data.get("contact_email") and "contact_email" not in self.errors:
            self.add_error("contact_email", _("Please enter your e-mail address, or choose the anonymous mailbox."))
        if contact == "phone" and not data.get("contact_phone") and "contact_phone" not in self.errors:
            self.add_error("contact_phone", _("Please enter your phone number, or choose the anonymous mailbox."))
        # What the reporter did not choose to give is not kept, even if it was typed.
        if contact != "email":
            data["contact_email"] = ""
            self.errors.pop("contact_email", None)
        if contact != "phone":
            data["contact_phone"] = ""
            self.errors.pop("contact_phone", None)
        self._check_uploads()
        return data

    def _clean_date(self, data: dict[str, Any]) -> None:
        known = data.get("date_known") or ""
        day, month = data.get("occurred_on"), data.get("occurred_month") or ""
        if known == "day":
            self.errors.pop("occurred_month", None)
            data["occurred_month"] = ""
            if not day and "occurred_on" not in self.errors:
                self.add_error("occurred_on", _("Please enter the day, or choose “I know the month” or “I don't know”."))
        elif known == "month":
            self.errors.pop("occurred_on", None)
            data["occurred_on"] = None
            if not month and "occurred_month" not in self.errors:
                self.add_error("occurred_month", _("Please choose the month and the year, or choose “I don't know”."))
        elif known == UNKNOWN:
            self.errors.pop("occurred_on", None)
            self.errors.pop("occurred_month", None)
            data["occurred_on"], data["occurred_month"] = None, ""
        elif day:  # API clients send one or the other; the day is the more precise
            data["occurred_month"] = ""

    def report_input(self, *, channel: str) -> ReportInput:
        data = self.cleaned_data
        return ReportInput(
            description=data["description"],
            incident_type=data["incident_type"],
            occurred_on=data.get("occurred_on"),
            occurred_month=data.get("occurred_month") or "",
            district=data["district"],
            area_of_life=data["area_of_life"],
            place_details=data.get("place_details", ""),
            motives=data["motives"],
            role=data["role"],
            people_affected=data.get("people_affected"),
            wants_counselling=bool(data.get("wants_counselling")),
            contact_method=data["contact"],
            contact_email=data.get("contact_email", ""),
            contact_phone=data.get("contact_phone", ""),
            notify_email=data.get("notify_email") or "",
            partner=data.get("partner") or "",
            language=data.get("language") or self.default_language,
            channel=channel,
            **self._purposes(data),
        )

    def _purposes(self, data: dict[str, Any]) -> dict[str, bool]:
        names = ("consent_contact", "consent_statistics", "consent_network", "consent_publication")
        if not data.get("purposes") and not any(name in self.data for name in names):
            return {}
        return {name: bool(data.get(name)) for name in names}

    # ---- for the template

    @property
    def selected_month(self) -> str:
        value = self["occurred_month"].value() or ""
        return value.split("-", 1)[1].zfill(2) if "-" in value and value.split("-", 1)[1] else ""

    @property
    def selected_year(self) -> str:
        value = self["occurred_month"].value() or ""
        return value.split("-", 1)[0] if "-" in value else ""

    @property
    def parts(self) -> list[dict[str, Any]]:
        """The form's parts in order: key, title, number, total and whether one has an error."""
        errors = self.errors if self.is_bound else {}
        total = len(self.SECTIONS)
        return [
            {"key": key, "title": title, "number": number, "total": total,
             "has_errors": any(name in errors for name in names)}
            for number, (key, title, names) in enumerate(self.SECTIONS, start=1)
        ]

    @property
    def part(self) -> dict[str, dict[str, Any]]:
        return {entry["key"]: entry for entry in self.parts}

    def question_for(self, name: str) -> str:
        """The question an error belongs to, as the error summary names it."""
        if name not in self.fields:
            return ""
        label = str(self.fields[name].label or "")
        parent = {"occurred_on": "date_known", "occurred_month": "date_known",
                  "contact_email": "contact", "contact_phone": "contact"}.get(name)
        if parent:
            return f"{self.fields[parent].label} – {label}"
        return label

    @property
    def had_files(self) -> bool:
        # `files` is the uploaded-files dict at runtime (see the `files` field above).
        uploads = cast("MultiValueDict[str, UploadedFile]", self.files)
        return bool(self.is_bound and uploads and uploads.getlist("files"))


ReportForm.base_fields = FieldCopies(ReportForm.base_fields)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt code"), strip=True,
        help_text=_("It looks like XXXX-XXXX-XXXX-XXXX. Capital or small letters and dashes do not matter."),
        error_messages={"required": _("Please enter your receipt code.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)
        self.fields["receipt"].widget.attrs.update({"spellcheck": "false", "autocapitalize": "characters"})


class ReplyForm(ReceiptForm):
    body = forms.CharField(
        label=_("Your message"), max_length=MESSAGE_MAX, strip=True, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Only the counselling service that has your report can read it."),
        error_messages={
            "required": _("Please write your message first."),
            "max_length": _("Please shorten your message to at most %(limit_value)d characters (it has %(show_value)d)."),
        },
    )


class FollowupFilesForm(UploadsMixin, ReceiptForm):
    keep_metadata = forms.BooleanField(
        label=_("Keep the original files unchanged"), required=False, help_text=KEEP_METADATA_HINT,
    )
    # Declared field, moved to base_fields by the form metaclass (see ReportForm.files).
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Photos, screenshots or documents"),
        error_messages={"required": _("Please choose at least one file.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        files_widget(self.fields["files"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # BaseForm.clean() returns self.cleaned_data
        self._check_uploads()
        return data
