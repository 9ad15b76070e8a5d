"""Writes of the statistics: classification records, publications, export audit.

Each service is one transaction and writes its audit entry itself (ids and codes only).
"""

from __future__ import annotations

import logging
import zlib
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meldestelle.schedules import RUN_ZONE
from reporting import places
from reporting.audit import AuditAction, audit_log
from reporting.models import Case, Incident
from reporting.services import ServiceError
from reporting.taxonomy import (
    AntisemitismForm,
    AreaOfLife,
    Channel,
    IncidentType,
    Motive,
)
from stats import disclosure, selectors
from stats.methodology import methodology_text
from stats.models import Publication, StatisticsRecord

logger = logging.getLogger(__name__)

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
    # The two additions a RIAS crosswalk needs (stats/crosswalks/): whether damage to property
    # was targeted (None: not known), and whether offensive behaviour happened at an assembly.
    targeted: bool | None = None
    assembly: bool = False


def _flag(value: Any) -> bool | None:
    if value in (True, "true", "True", "yes", "on", "1", 1):
        return True
    if value in (False, "false", "False", "no", "0", 0):
        return False
    return None


def district_choices() -> list[str]:
    return list(places.place_keys())


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
        # A form's or a multipart body's QueryDict holds a list under one name.
        value = (data.getlist(name) if hasattr(data, "getlist") else data.get(name)) or []
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
        targeted=_flag(data.get("targeted")) if incident_type == IncidentType.PROPERTY_DAMAGE else None,
        assembly=bool(_flag(data.get("assembly"))) and incident_type == IncidentType.OFFENSIVE_BEHAVIOUR,
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
        record.targeted = clean.targeted
        record.assembly = clean.assembly
        record.is_demo = is_demo
        if not created:
            record.classified_at = timezone.now()
            record.revision += 1
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


class PublicationRefused(ServiceError):
    """The disclosure audit could not protect the release: nothing was published.  ``cells``
    lists ``(version, table, code)`` of the hidden figures that would have been exposed (an
    empty list when the audit ran out of time)."""

    def __init__(self, *, year: int, cells: list[tuple[int, str, str]], timed_out: bool) -> None:
        if timed_out:
            message = _("The protection check for %(year)s did not finish in time, so nothing was "
                        "published. Try again later; if it keeps happening, ask the operator to "
                        "raise STATS_AUDIT_TIME_LIMIT.") % {"year": year}
        else:
            message = _("Publishing %(year)s now would let hidden figures be worked out, so nothing "
                        "was published. Wait until more incidents are classified, then try "
                        "again.") % {"year": year}
        super().__init__("refused", str(message))
        self.cells = cells
        self.timed_out = timed_out


def statistics_publish(
    *, actor: Any | None, year: int, note: str = "", provisional: bool = False
) -> Publication:
    """Freeze the public tables of ``year`` into a new release; audited ``stats.published``.

    Every release of a year - annual versions and scheduled provisional snapshots alike - is
    protected together with all earlier releases of that year and passes the
    integer-programming audit of ``stats.disclosure`` first; otherwise ``PublicationRefused``
    and nothing is stored.  A second or later annual version is a correction and needs a note.
    """
    today = timezone.localdate()
    if not EARLIEST_YEAR <= year <= today.year:
        raise ServiceError("invalid_year", str(_("This year cannot be published.")))
    note = note.strip()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _publish(actor=actor, year=year, note=note, provisional=provisional)
        except IntegrityError:  # a concurrent publication took the version number
            continue
    raise ServiceError("conflict", str(_("Someone else is publishing this year. Try again.")))


def provisional_release_take(*, today: date) -> Publication | None:
    """On a day of the provisional schedule (``selectors.next_provisional_release``), publish
    the year that ran until yesterday as a provisional release - unless that year has its
    annual release already, has nothing counted yet, or got its snapshot today.  A refused
    snapshot is logged for the operator and the next scheduled day tries again."""
    yesterday = today - timedelta(days=1)
    if selectors.next_provisional_release(yesterday) != today:
        return None
    year = yesterday.year
    releases = Publication.objects.filter(year=year)
    day_start = datetime.combine(today, time.min, tzinfo=RUN_ZONE)
    if releases.filter(provisional=False).exists() or releases.filter(created_at__gte=day_start).exists():
        return None
    if not selectors.counted_records(year=year).exists():
        return None
    try:
        return statistics_publish(actor=None, year=year, provisional=True)
    except PublicationRefused as refused:
        logger.error("provisional statistics release of %s refused (%s cells)", year, len(refused.cells))
        return None


def _pack_digests(pairs: list[tuple[int, int]]) -> bytes:
    """(record id, revision) pairs, sorted, as two packed arrays, compressed."""
    pairs.sort()
    ids = array("q", (record_id for record_id, _rev in pairs))
    revisions = array("q", (rev for _id, rev in pairs))
    return zlib.compress(len(pairs).to_bytes(8, "little") + ids.tobytes() + revisions.tobytes())


def _unpack_digests(blob: bytes | memoryview) -> dict[int, int] | None:
    if not blob:
        return None
    raw = zlib.decompress(bytes(blob))
    n = int.from_bytes(raw[:8], "little")
    ids, revisions = array("q"), array("q")
    ids.frombytes(raw[8 : 8 + 8 * n])
    revisions.frombytes(raw[8 + 8 * n :])
    return dict(zip(ids, revisions, strict=True))


def _total(release: Publication) -> int:
    return int(release.tables["total"]["value"] or 0)


def _loose_change(before_total: int, after_total: int) -> disclosure.Change:
    """For a release from before digests were kept: the change is taken as "everything may
    have been replaced", which links the two releases by nothing but their totals."""
    return disclosure.Change(added=after_total, removed=before_total, modified=0)


def _change(before: Publication, now: dict[int, int], now_total: int) -> disclosure.Change:
    """What changed since ``before``: incidents that entered, left or were reclassified."""
    then = _unpack_digests(before.incident_digests)
    if then is None:
        return _loose_change(_total(before), now_total)
    added = sum(1 for record_id in now if record_id not in then)
    removed = sum(1 for record_id in then if record_id not in now)
    modified = sum(1 for record_id, rev in now.items() if then.get(record_id, rev) != rev)
    return disclosure.Change(added=added, removed=removed, modified=modified)


def _audit_summary(audit: disclosure.AuditResult) -> dict[str, Any]:
    """The audit in a few figures for the page and the command: ``min_values`` is the fewest
    possible values any hidden figure keeps."""
    summary = audit.summary()
    return {**summary, "min_values": summary.get("min_width")}


def _publish(*, actor: Any | None, year: int, note: str, provisional: bool) -> Publication:
    # The year's releases, locked in order, so two publishers of one year queue here.
    earlier = list(Publication.objects.select_for_update().filter(year=year).order_by("version"))
    last = earlier[-1].version if earlier else 0
    if last and not note and not provisional:
        raise ServiceError(
            "note_required", str(_("A correction needs a note that says what changed."))
        )
    k = selectors.min_cell()
    counted = selectors.counted_records(year=year)
    counts = selectors.record_counts(counted, year=year)
    digests = dict(counted.values_list("pk", "revision").iterator(chunk_size=10_000))
    # changes[i] leads from release i to release i + 1; the last one to the new release.
    changes = [
        disclosure.Change(**after.change) if after.change else _loose_change(_total(before), _total(after))
        for before, after in zip(earlier, earlier[1:], strict=False)
    ]
    if earlier:
        changes.append(_change(earlier[-1], digests, counts.total))
    try:
        published, audit = disclosure.publish_release(
            counts, year=year, k=k, previous=[p.tables for p in earlier], changes=changes, unstick=True,
            time_limit=float(getattr(settings, "STATS_AUDIT_TIME_LIMIT", 120)),
        )
    except disclosure.ReleaseRefused as refused:
        cells = [(earlier[i].version if i < len(earlier) else last + 1, table, key)
                 for i, table, key in refused.cells]
        logger.warning("statistics release of %s refused: %s cells unprotected%s", year,
                       len(cells), " (audit timed out)" if refused.audit.timed_out else "")
        raise PublicationRefused(year=year, cells=cells, timed_out=refused.audit.timed_out) from refused
    change = changes[-1] if earlier else disclosure.Change(added=counts.total, removed=0, modified=0)
    publication = Publication.objects.create(
        year=year,
        version=last + 1,
        created_at=timezone.now(),
        created_by_id=getattr(actor, "pk", None),
        note=note,
        methodology=methodology_text(k=k, audit=_audit_summary(audit)),
        k=k,
        tables=published,
        contains_demo_data=counted.filter(is_demo=True).exists(),
        provisional=provisional,
        geography=published["geography"],
        audit={**audit.as_dict(), "summary": _audit_summary(audit)},
        change={"added": change.added, "removed": change.removed, "modified": change.modified},
        incident_digests=_pack_digests(list(digests.items())),
    )
    audit_log(
        actor=actor,
        action=AuditAction.STATS_PUBLISHED,
        data={"year": year, "version": publication.version, "publication": publication.pk,
              "provisional": provisional, "audit": _audit_summary(audit)},
    )
    return publication


def statistics_export_log(*, actor: Any, organisation_id: int | None, filters: dict[str, Any]) -> None:
    """Audit an internal export (``stats.exported``); the export itself is a read."""
    with transaction.atomic():
        audit_log(
            actor=actor, action=AuditAction.STATS_EXPORTED, organisation_id=organisation_id, data=filters
        )
