"""Forms of the staff pages: input parsing only; the services do the writing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from counselling.models import Membership
from reporting import places, taxonomy
from reporting.models import HelpService, Organisation
from reporting.services import ReportInput
from reporting.services.help import phone_is_valid
from reporting.taxonomy import CaseStatus, Channel, DeleteReason
from reporting.uploads import ACCEPTED_TYPES, MultipleFileField, UploadsMixin

_INPUT = {"class": "kern-form-input__input"}
_SELECT = {"class": "kern-form-input__select"}
_TEXTAREA = {"class": "kern-form-input__input", "rows": 5}

MANUAL_CHANNELS = [
    (code, label) for code, label in Channel.choices if code not in (Channel.ONLINE_FORM, Channel.API)
]


def district_choices() -> list[tuple[str, str]]:
    return places.place_choices(unknown=str(_("Unknown")), online=str(_("Online")))


class OneTimeCodeInput(forms.TextInput):
    """A code field that is never filled in again: a code is used once, and a failed login
    shows the same form whatever was wrong."""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


class LoginForm(forms.Form):
    """Username, password and the authenticator code in one form, judged together."""

    username = forms.CharField(label=_("Username"), max_length=150, widget=forms.TextInput(
        attrs={**_INPUT, "autocomplete": "username", "autocapitalize": "none"}))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(
        attrs={**_INPUT, "autocomplete": "current-password"}))
    otp = forms.CharField(label=_("Code from the authenticator app"), required=False, max_length=10,
                          widget=OneTimeCodeInput(attrs={**_INPUT, "autocomplete": "one-time-code",
                                                         "inputmode": "numeric"}))


class UnlockForm(forms.Form):
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(
        attrs={**_INPUT, "autocomplete": "current-password"}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the reporter"), max_length=20000,
                           widget=forms.Textarea(attrs=_TEXTAREA))


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), max_length=20000, widget=forms.Textarea(attrs=_TEXTAREA))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices, widget=forms.Select(attrs=_SELECT))


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, empty_value=None, required=False,
                                      widget=forms.Select(attrs=_SELECT))

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["assignee"]).choices = [("", _("Nobody"))] + [
            (m.user_id, m.user.get_username()) for m in members
        ]


class DuplicateForm(forms.Form):
    original = forms.CharField(label=_("Reference of the original case"), max_length=32,
                               widget=forms.TextInput(attrs={**_INPUT, "placeholder": "NI-2026-00001"}))


class TransferForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Transfer to"), queryset=Organisation.objects.none(),
                                          widget=forms.Select(attrs=_SELECT))
    keep_copy = forms.BooleanField(label=_("Keep a copy for our organisation"), required=False,
                                   widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}))

    def __init__(self, *args: Any, targets: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if targets is not None:
            cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = targets


class CaseFileForm(UploadsMixin, forms.Form):
    """A file a counsellor adds to a case (e.g. a scan of a letter brought in person).

    The checks are the reporter's (reporting.uploads.UploadsMixin): size, type by content,
    sanitising; the error codes give the status (reporting.uploads.refusal_status). Metadata is
    removed unless the counsellor asks to keep the original file.
    """

    keep_metadata = forms.BooleanField(
        label=_("Keep the original file unchanged (with its metadata)"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}),
    )
    # One file at a time; the field name is the one UploadsMixin checks. Declared fields move to
    # base_fields, so `self.files` stays the uploaded-files dict at runtime (see ReportForm.files).
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("File (photo, scan or PDF)"),
        widget=forms.FileInput(attrs={**_INPUT, "accept": ACCEPTED_TYPES}),
        error_messages={"required": _("Please choose a file first.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # BaseForm.clean() returns self.cleaned_data
        self._clean_uploads()
        return data


class DeleteForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for deleting"), choices=DeleteReason.choices,
                               widget=forms.Select(attrs=_SELECT))
    confirm = forms.BooleanField(
        label=_("I understand that the case, its messages, notes and files are destroyed for good."),
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}),
    )


class ManualEntryForm(forms.Form):
    channel = forms.ChoiceField(label=_("How did it reach you?"), choices=MANUAL_CHANNELS,
                                widget=forms.Select(attrs=_SELECT))
    description = forms.CharField(label=_("What happened"), max_length=20000, widget=forms.Textarea(attrs=_TEXTAREA))
    incident_type = forms.ChoiceField(label=_("Kind of incident"), required=False,
                                      choices=[("", "—"), *taxonomy.IncidentType.choices],
                                      widget=forms.Select(attrs=_SELECT))
    occurred_on = forms.DateField(label=_("Date of the incident"), required=False,
                                  widget=forms.DateInput(attrs={**_INPUT, "type": "date"}))
    district = forms.ChoiceField(label=_("Place"), choices=(), widget=forms.Select(attrs=_SELECT))
    area_of_life = forms.ChoiceField(label=_("Area of life"), required=False,
                                     choices=[("", "—"), *taxonomy.AreaOfLife.choices],
                                     widget=forms.Select(attrs=_SELECT))
    place_details = forms.CharField(label=_("Place details"), required=False, max_length=500,
                                    widget=forms.TextInput(attrs=_INPUT))
    motives = forms.MultipleChoiceField(label=_("Motives"), required=False, choices=taxonomy.Motive.choices,
                                        widget=forms.CheckboxSelectMultiple)
    role = forms.ChoiceField(label=_("Who told you"), required=False,
                             choices=[("", "—"), *taxonomy.ReporterRole.choices], widget=forms.Select(attrs=_SELECT))
    wants_counselling = forms.BooleanField(label=_("The person wants counselling"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[(c, c) for c in taxonomy.REPORTER_LANGUAGES],
                                 initial="de", widget=forms.Select(attrs=_SELECT))
    # Consent by purpose (SPEC §5.1), as the person gave it; the same four purposes and the same
    # starting values as the online form (reporting.forms.ReportForm).
    consent_contact = forms.BooleanField(
        label=_("We may contact the person."), required=False, initial=True,
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}))
    consent_statistics = forms.BooleanField(
        label=_("Count it in the anonymous statistics (codes only, never what the person said)."),
        required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}))
    consent_network = forms.BooleanField(
        label=_("Pass an anonymised record (codes only) to a monitoring network such as RIAS."),
        required=False, widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}))
    consent_publication = forms.BooleanField(
        label=_("An anonymised description may be published in the public chronicle."),
        required=False, widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}))

    CONSENT_FIELDS = ("consent_contact", "consent_statistics", "consent_network", "consent_publication")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices()

    @property
    def consent_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONSENT_FIELDS]


def manual_report(data: Mapping[str, Any]) -> ReportInput:
    """A manual entry's answers (the page's cleaned data or the API's validated data) as the
    report the case stores, with the person's consent by purpose."""
    return ReportInput(
        description=data["description"], incident_type=data.get("incident_type") or "",
        occurred_on=data.get("occurred_on"), district=data.get("district") or "unknown",
        area_of_life=data.get("area_of_life") or "", place_details=data.get("place_details") or "",
        motives=list(data.get("motives") or []), role=data.get("role") or "",
        wants_counselling=bool(data.get("wants_counselling")), language=data.get("language") or "de",
        channel=data["channel"], contact_method="",
        consent_contact=bool(data.get("consent_contact")), consent_statistics=bool(data.get("consent_statistics")),
        consent_network=bool(data.get("consent_network")), consent_publication=bool(data.get("consent_publication")),
    )


class ConsentRecordForm(forms.Form):
    """The consent by purpose of a person without a receipt code, as a counsellor records it."""

    consent_contact = ManualEntryForm.base_fields["consent_contact"]
    consent_statistics = ManualEntryForm.base_fields["consent_statistics"]
    consent_network = ManualEntryForm.base_fields["consent_network"]
    consent_publication = ManualEntryForm.base_fields["consent_publication"]


class InviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, widget=forms.TextInput(attrs=_INPUT))
    email = forms.EmailField(label=_("E-mail"), required=False, widget=forms.EmailInput(attrs=_INPUT))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Membership.Role.COUNSELLOR, Membership.Role.COUNSELLOR.label),
                 (Membership.Role.PARTNER_ADMIN, Membership.Role.PARTNER_ADMIN.label)],
        widget=forms.Select(attrs=_SELECT),
    )


class KeyRotationForm(forms.Form):
    """Rotate the organisation key now. The recovery code is asked for only once, for an
    organisation created before key epochs (it derives the recovery public key)."""

    recovery_code = forms.CharField(
        label=_("Recovery code"), required=False, max_length=120, strip=True,
        widget=forms.PasswordInput(attrs={**_INPUT, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Needed only once: the printed code from when your organisation was set up."),
    )


class OrganisationSettingsForm(forms.Form):
    active = forms.BooleanField(label=_("Active (receives new cases)"), required=False)
    statewide = forms.BooleanField(label=_("Statewide"), required=False)
    districts = forms.MultipleChoiceField(label=_("Districts"), required=False, choices=(),
                                          widget=forms.SelectMultiple(attrs={**_SELECT, "size": 10}))
    all_motives = forms.BooleanField(label=_("All motives"), required=False)
    motives = forms.MultipleChoiceField(label=_("Motives"), required=False, choices=taxonomy.Motive.choices,
                                        widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("Languages"), required=False,
                                          choices=[(c, c) for c in taxonomy.REPORTER_LANGUAGES],
                                          widget=forms.CheckboxSelectMultiple)
    retention_days = forms.IntegerField(label=_("Keep closed cases for (days)"), min_value=1, max_value=3650,
                                        widget=forms.NumberInput(attrs=_INPUT))
    reply_deadline_days = forms.IntegerField(label=_("Reply within (working days)"), min_value=1, max_value=30,
                                             widget=forms.NumberInput(attrs=_INPUT))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["districts"]).choices = places.districts_by_name()

    @classmethod
    def initial_for(cls, organisation: Organisation) -> dict[str, Any]:
        return {name: getattr(organisation, name) for name in cls.base_fields}


class NotifyForm(forms.Form):
    notify = forms.ChoiceField(
        label=_("E-mail notices"), choices=Membership.Notify.choices,
        widget=forms.RadioSelect(attrs={"class": "kern-form-check__radio"}),
        help_text=_("The e-mails only say that something is new and link to the inbox; they never contain case details."),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput(
        attrs={**_INPUT, "autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput(
        attrs={**_INPUT, "autocomplete": "new-password"}))
    new_password_again = forms.CharField(label=_("New password again"), strip=False, widget=forms.PasswordInput(
        attrs={**_INPUT, "autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, again = data.get("new_password"), data.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("The two new passwords differ."))
        elif new:
            try:
                validate_password(new)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return data


def reporter_language_choices() -> list[tuple[str, str]]:
    from django.utils.translation import get_language_info

    return [(code, str(get_language_info(code)["name_translated"])) for code in taxonomy.REPORTER_LANGUAGES]


class ReplyTemplateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=(), widget=forms.Select(attrs=_SELECT))
    language = forms.ChoiceField(label=_("Language"), choices=(), widget=forms.Select(attrs=_SELECT))
    body = forms.CharField(
        label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={**_TEXTAREA, "rows": 8}),
        help_text=_("Counsellors can change the text before sending it. {reference} becomes the case number."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from counselling.models import ReplyTemplate

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = ReplyTemplate.Kind.choices
        cast(forms.ChoiceField, self.fields["language"]).choices = reporter_language_choices()
class HelpServiceForm(forms.Form):
    """One entry of the help directory (coordinator): public contacts only."""

    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs=_INPUT))
    kind = forms.ChoiceField(label=_("Kind of help"), choices=HelpService.Kind.choices,
                             widget=forms.Select(attrs=_SELECT))
    description = forms.CharField(label=_("What they offer, in one sentence"), max_length=300, required=False,
                                  widget=forms.TextInput(attrs=_INPUT))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={**_INPUT, "inputmode": "tel"}),
                            help_text=_("As people should dial it, for example 0800 111 0 111."))
    web = forms.URLField(label=_("Website"), max_length=300, required=False, assume_scheme="https",
                         widget=forms.URLInput(attrs=_INPUT))
    languages = forms.MultipleChoiceField(label=_("Languages they answer in"), required=False,
                                          choices=[(c, c) for c in taxonomy.REPORTER_LANGUAGES],
                                          widget=forms.CheckboxSelectMultiple(
                                              attrs={"class": "kern-form-check__checkbox"}))
    region = forms.CharField(label=_("Where they help"), max_length=100, required=False,
                             widget=forms.TextInput(attrs=_INPUT),
                             help_text=_("For example: Lower Saxony, nationwide, Hannover region."))
    position = forms.IntegerField(label=_("Order on the page"), min_value=0, max_value=9999, initial=0,
                                  widget=forms.NumberInput(attrs=_INPUT))
    referral_only = forms.BooleanField(
        label=_("For referrals only"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox",
                                          "aria-describedby": "id_referral_only-hint"}),
        help_text=_("Offered to counsellors for referrals, not shown on the reporters' help page."))

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not phone_is_valid(value):
            raise forms.ValidationError(_("Please enter the number with digits only, for example 0800 111 0 111."))
        return value

    @classmethod
    def initial_for(cls, service: HelpService) -> dict[str, Any]:
        return {name: getattr(service, name) for name in cls.base_fields}
