"""Writes of the statistics: classification records, publications, export audit.

Each service is one transaction and writes its audit entry itself (ids and codes only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting.audit import AuditAction, audit_log
from reporting.models import Case, Incident
from reporting.services import ServiceError
from reporting.taxonomy import (
    PLACE_ONLINE,
    PLACE_UNKNOWN,
    AntisemitismForm,
    AreaOfLife,
    Channel,
    IncidentType,
    Motive,
)
from stats import selectors, tables
from stats.methodology import methodology_text
from stats.models import Publication, StatisticsRecord

EARLIEST_YEAR = 2000
MAX_PEOPLE_AFFECTED = 10_000


class ClassificationInvalid(ServiceError):
    """Input that cannot be a classification; ``fields`` maps field names to messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("invalid", str(_("Some answers need another look.")))
        self.fields = fields


@dataclass(frozen=True)
class Classification:
    incident_type: str
    motives: tuple[str, ...]
    area_of_life: str
    district: str
    year: int
    month: int
    channel: str
    antisemitism_forms: tuple[str, ...] = ()
    people_affected: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def district_choices() -> list[str]:
    return [*tables.district_keys(), PLACE_ONLINE, PLACE_UNKNOWN]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def classification_clean(data: Mapping[str, Any]) -> Classification:
    """Validate raw input (form or API) into a ``Classification``; raises
    ``ClassificationInvalid`` with per-field messages.  The one place these rules live."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(str(message))

    def one_of(name: str, allowed: list[str]) -> str:
        value = data.get(name)
        if not isinstance(value, str) or value not in allowed:
            fail(name, _("Choose one of the options."))
            return ""
        return value

    def many_of(name: str, allowed: list[str]) -> tuple[str, ...]:
        value = data.get(name) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or any(
            not isinstance(v, str) or v not in allowed for v in value
        ):
            fail(name, _("Choose from the options."))
            return ()
        return tuple(sorted(set(value)))

    incident_type = one_of("incident_type", list(IncidentType.values))
    motives = many_of("motives", list(Motive.values))
    if not motives and "motives" not in errors:
        fail("motives", _("Choose at least one motive."))
    forms = many_of("antisemitism_forms", list(AntisemitismForm.values))
    if forms and Motive.ANTISEMITISM not in motives:
        forms = ()  # forms describe antisemitic incidents only
    area = one_of("area_of_life", list(AreaOfLife.values))
    district = one_of("district", district_choices())
    channel = one_of("channel", list(Channel.values))

    today = timezone.localdate()
    year = _as_int(data.get("year"))
    month = _as_int(data.get("month"))
    if year is None or not EARLIEST_YEAR <= year <= today.year:
        fail("year", _("Enter a year between %(first)s and %(last)s.") % {
            "first": EARLIEST_YEAR, "last": today.year})
    if month is None or not 1 <= month <= 12:
        fail("month", _("Enter a month from 1 to 12."))
    elif year == today.year and month > today.month:
        fail("month", _("The incident cannot lie in the future."))

    people: int | None = None
    raw_people = data.get("people_affected")
    if raw_people not in (None, ""):
        people = _as_int(raw_people)
        if people is None or not 1 <= people <= MAX_PEOPLE_AFFECTED:
            fail("people_affected", _("Enter a whole number from 1 to %(max)s, or leave it empty.")
                 % {"max": MAX_PEOPLE_AFFECTED})
            people = None
    if errors:
        raise ClassificationInvalid(errors)
    assert year is not None and month is not None
    return Classification(
        incident_type=incident_type, motives=motives, area_of_life=area, district=district,
        year=year, month=month, channel=channel, antisemitism_forms=forms,
        people_affected=people,
    )


def classification_save(
    *, actor: Any, case: Case, data: Mapping[str, Any] | Classification, is_demo: bool = False
) -> StatisticsRecord:
    """Write or update the statistics record of the case's incident from a counsellor's
    classification (last classification wins; duplicates share the incident and its record).

    The caller has checked that ``actor`` may work ``case``.  Whether the record counts is the
    incident's business (``Incident.counts``), not the record's.
    """
    clean = data if isinstance(data, Classification) else classification_clean(data)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        record = StatisticsRecord.objects.select_for_update().filter(incident_id=case.incident_id).first()
        created = record is None
        if record is None:
            record = StatisticsRecord(incident_id=case.incident_id, classified_at=timezone.now())
        record.organisation_id = case.organisation_id
        record.year = clean.year
        record.month = clean.month
        record.district = clean.district
        record.incident_type = clean.incident_type
        record.motives = list(clean.motives)
        record.antisemitism_forms = list(clean.antisemitism_forms)
        record.area_of_life = clean.area_of_life
        record.channel = clean.channel
        record.people_affected = clean.people_affected
        record.is_demo = is_demo
        if not created:
            record.classified_at = timezone.now()
        record.save()
        audit_log(
            actor=actor,
            action=AuditAction.CASE_CLASSIFIED,
            case_id=case.pk,
            organisation_id=case.organisation_id,
            data={"record": record.pk, "incident": case.incident_id, "created": created},
        )
    return record


def incident_records_import(
    *, actor: Any | None, rows: Sequence[tuple[Classification, int | None]], is_demo: bool
) -> int:
    """Record incidents that never were cases here (the demo's invented years, figures taken over
    from elsewhere): each row is a classification and its organisation id; each gets an incident
    of its own, counted, with its record.  One transaction, one audit entry."""
    now = timezone.now()
    with transaction.atomic():
        incidents = Incident.objects.bulk_create([Incident(counts=True) for _ in rows])
        StatisticsRecord.objects.bulk_create(
            StatisticsRecord(
                incident=incident, organisation_id=organisation_id, year=clean.year,
                month=clean.month, district=clean.district, incident_type=clean.incident_type,
                motives=list(clean.motives), antisemitism_forms=list(clean.antisemitism_forms),
                area_of_life=clean.area_of_life, channel=clean.channel,
                people_affected=clean.people_affected, is_demo=is_demo, classified_at=now,
            )
            for incident, (clean, organisation_id) in zip(incidents, rows, strict=True)
        )
        audit_log(actor=actor, action=AuditAction.STATS_RECORDS_IMPORTED,
                  data={"count": len(rows), "is_demo": is_demo})
    return len(rows)


def record_merge(*, source_incident_id: int, target_incident_id: int) -> None:
    """Two incidents became one (``incident_merged``): the source's record moves to the target
    unless the target has one, whose classification then stays.  Runs in the caller's
    transaction; audited there."""
    source = StatisticsRecord.objects.select_for_update().filter(incident_id=source_incident_id).first()
    if source is None:
        return
    if StatisticsRecord.objects.filter(incident_id=target_incident_id).exists():
        source.delete()
    else:
        source.incident_id = target_incident_id
        source.save(update_fields=["incident", "updated_at"])


def statistics_publish(*, actor: Any | None, year: int, note: str = "") -> Publication:
    """Freeze the public tables of ``year`` into a new version; audited ``stats.published``.

    A second or later version is a correction and needs a note that says what changed.
    """
    today = timezone.localdate()
    if not EARLIEST_YEAR <= year <= today.year:
        raise ServiceError("invalid_year", str(_("This year cannot be published.")))
    note = note.strip()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _publish(actor=actor, year=year, note=note)
        except IntegrityError:  # a concurrent publication took the version number
            continue
    raise ServiceError("conflict", str(_("Someone else is publishing this year. Try again.")))


def _publish(*, actor: Any | None, year: int, note: str) -> Publication:
    last = Publication.objects.filter(year=year).aggregate(v=Max("version"))["v"] or 0
    if last and not note:
        raise ServiceError(
            "note_required", str(_("A correction needs a note that says what changed."))
        )
    k = selectors.min_cell()
    counted = selectors.counted_records(year=year)
    published = tables.publish(selectors.record_counts(counted, year=year), year=year, k=k)
    publication = Publication.objects.create(
        year=year,
        version=last + 1,
        created_at=timezone.now(),
        created_by_id=getattr(actor, "pk", None),
        note=note,
        methodology=methodology_text(k=k),
        k=k,
        tables=published,
        contains_demo_data=counted.filter(is_demo=True).exists(),
    )
    audit_log(
        actor=actor,
        action=AuditAction.STATS_PUBLISHED,
        data={"year": year, "version": publication.version, "publication": publication.pk},
    )
    return publication


def statistics_export_log(*, actor: Any, organisation_id: int | None, filters: dict[str, Any]) -> None:
    """Audit an internal export (``stats.exported``); the export itself is a read."""
    with transaction.atomic():
        audit_log(
            actor=actor, action=AuditAction.STATS_EXPORTED, organisation_id=organisation_id, data=filters
        )
