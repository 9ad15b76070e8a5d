"""The taxonomy of SPEC §2: codes are stable API values, labels are translated."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class IncidentType(models.TextChoices):
    EXTREME_VIOLENCE = "extreme_violence", _("Extreme violence")
    ASSAULT = "assault", _("Physical attack")
    PROPERTY_DAMAGE = "property_damage", _("Damage to property")
    THREAT = "threat", _("Threat")
    OFFENSIVE_BEHAVIOUR = "offensive_behaviour", _("Insults, harassment or hostile statements")
    MASS_MAILING = "mass_mailing", _("Propaganda to many people")
    DISCRIMINATION = "discrimination", _("Discrimination (unequal treatment)")


# Plain-words descriptions for the reporter's form: nobody should have to know our categories.
INCIDENT_TYPE_HELP: dict[str, StrOrPromise] = {
    IncidentType.EXTREME_VIOLENCE: _(
        "An attack that could have killed or seriously hurt someone, including attempts."
    ),
    IncidentType.ASSAULT: _("Someone was hit, pushed, spat at or otherwise physically attacked."),
    IncidentType.PROPERTY_DAMAGE: _(
        "Something belonging to a person or an institution was damaged on purpose, "
        "for example graffiti or stickers."
    ),
    IncidentType.THREAT: _("Someone threatened violence, in words, in writing or with gestures."),
    IncidentType.OFFENSIVE_BEHAVIOUR: _(
        "Insults, harassment or hostile remarks aimed at people, also online."
    ),
    IncidentType.MASS_MAILING: _(
        "Hateful letters, flyers, e-mails or posts sent to many people at once."
    ),
    IncidentType.DISCRIMINATION: _(
        "Someone was treated worse: refused a service, a flat, a job or entry, "
        "by a person or an institution."
    ),
}


class Motive(models.TextChoices):
    RACISM = "racism", _("Racism")
    ANTI_BLACK_RACISM = "anti_black_racism", _("Anti-Black racism")
    ANTI_MUSLIM_RACISM = "anti_muslim_racism", _("Anti-Muslim racism")
    ANTIZIGANISM = "antiziganism", _("Antiziganism (against Sinti and Roma)")
    XENOPHOBIA = "xenophobia", _("Hostility against refugees and migrants")
    ANTISEMITISM = "antisemitism", _("Antisemitism")
    OTHER = "other", _("Other")


class AntisemitismForm(models.TextChoices):
    ANTI_JUDAISM = "anti_judaism", _("Anti-Judaism")
    MODERN = "modern", _("Modern antisemitism")
    POST_SHOAH = "post_shoah", _("Post-Shoah antisemitism")
    ISRAEL_RELATED = "israel_related", _("Israel-related antisemitism")
    OTHERING = "othering", _("Antisemitic othering")


class AreaOfLife(models.TextChoices):
    PUBLIC_SPACE = "public_space", _("Public space")
    TRANSPORT = "transport", _("Public transport")
    WORK = "work", _("Work")
    EDUCATION = "education", _("School, university, education")
    HOUSING = "housing", _("Housing")
    GOODS_SERVICES = "goods_services", _("Shops, restaurants, services")
    AUTHORITIES = "authorities", _("Public authorities")
    POLICE_JUSTICE = "police_justice", _("Police and justice")
    HEALTH = "health", _("Health care")
    ONLINE = "online", _("Online")
    NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")
    OTHER = "other", _("Other")


class ReporterRole(models.TextChoices):
    AFFECTED = "affected", _("It happened to me")
    WITNESS = "witness", _("I saw it happen")
    ON_BEHALF = "on_behalf", _("I am reporting for someone else")


class Channel(models.TextChoices):
    ONLINE_FORM = "online_form", _("Online form")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    EMAIL = "email", _("E-mail")
    OTHER_ORGANISATION = "other_organisation", _("Another organisation")
    MEDIA_MONITORING = "media_monitoring", _("Media monitoring")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    REFERRED = "referred", _("Referred")
    REJECTED = "rejected", _("Rejected")


class DeleteReason(models.TextChoices):
    """Why a counsellor deletes a case now: a code from this fixed list, never free text, so
    the audit log (which outlives the case) holds nothing a counsellor typed (SPEC §3.9)."""

    PERSON_ASKED = "person_asked", _("The person asked us to delete it")
    SPAM = "spam", _("Spam or abuse of the form")
    NOT_RELEVANT = "not_relevant", _("Not an incident this service records")
    ENTERED_BY_MISTAKE = "entered_by_mistake", _("Entered by mistake")
    DUPLICATE = "duplicate", _("A second copy of a report we keep")
    OTHER = "other", _("Another reason")


# Reasons the system itself gives: the retention period ran out, the reporter deleted with
# their receipt code. Together with DeleteReason these are every reason the audit log holds.
SYSTEM_DELETE_REASONS = ("retention", "reporter")


PLACE_ONLINE = "online"
PLACE_UNKNOWN = "unknown"
UNKNOWN = "unknown"  # "I don't know" for optional answers

REPORTER_LANGUAGES = ("de", "en", "ar", "tr", "uk", "ru", "fa")
