"""Reads for the statistics: which records count, live and frozen tables, publications."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from reporting.models import Case
from stats import tables
from stats.models import Publication, StatisticsRecord

# Rows in the field order of stats.tables.IncidentRecord feed tables.aggregate.
ROW_FIELDS = tables.FIELDS


def counted_records(*, year: int | None = None) -> QuerySet[StatisticsRecord]:
    """Records that count (SPEC §6): one per classified incident whose incident counts (any of
    its cases not rejected, or, with its cases gone, its last state) and whose reporters
    consent to the anonymous statistics (SPEC §5.1; a withdrawal takes the incident out of
    every later release, frozen releases stay)."""
    qs = StatisticsRecord.objects.filter(incident__counts=True, incident__consent_statistics=True)
    if year is not None:
        qs = qs.filter(year=year)
    return qs


def record_for_case(case: Case) -> StatisticsRecord | None:
    """The statistics record of the case's incident, if it is classified."""
    return StatisticsRecord.objects.filter(incident_id=case.incident_id).first()


def record_rows(qs: QuerySet[StatisticsRecord]) -> Iterator[tuple[Any, ...]]:
    return qs.values_list(*ROW_FIELDS).iterator(chunk_size=5000)


# The database counts, Python only adds up the groups (tables.aggregate_weighted).  Grouping
# by every dimension at once would give nearly one group per record (12 months x 47 districts
# x 7 types x 12 areas x 7 channels x ~50 motive sets); each table needs only the margin of
# its own dimension, so two groupings suffice: at most 12*7*12*7 = 7,056 and 47 x (motive,
# form) combinations.  Motives and forms are JSON lists grouped as whole values (jsonb on
# PostgreSQL, text on SQLite), as aggregate counts them.
GROUPINGS: tuple[tuple[str, ...], ...] = (
    ("month", "incident_type", "area_of_life", "channel"),
    ("district", "motives", "antisemitism_forms"),
)


def record_counts(qs: QuerySet[StatisticsRecord], *, year: int) -> tables.Counts:
    """Counts of the records in ``qs`` for ``year``, grouped in the database."""
    return tables.aggregate_weighted(
        (qs.values(*fields).annotate(n=Count("id")).order_by() for fields in GROUPINGS), year=year
    )


def min_cell() -> int:
    return max(int(getattr(settings, "STATS_MIN_CELL", 3)), tables.MIN_K)


@dataclass(frozen=True)
class DashboardFilter:
    year: int
    organisation_id: int | None = None
    district: str = ""
    motive: str = ""
    incident_type: str = ""

    def as_audit_data(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "organisation": self.organisation_id,
            "district": self.district,
            "motive": self.motive,
            "incident_type": self.incident_type,
        }


def _filtered_rows(flt: DashboardFilter) -> Iterable[tuple[Any, ...]]:
    qs = counted_records(year=flt.year)
    if flt.organisation_id is not None:
        qs = qs.filter(organisation_id=flt.organisation_id)
    if flt.district:
        qs = qs.filter(district=flt.district)
    if flt.incident_type:
        qs = qs.filter(incident_type=flt.incident_type)
    rows = record_rows(qs)
    if flt.motive:
        # JSON containment is not portable to SQLite; the motive filter runs in Python.
        motive_index = ROW_FIELDS.index("motives")
        return (row for row in rows if flt.motive in row[motive_index])
    return rows


def internal_tables(flt: DashboardFilter) -> dict[str, Any]:
    """Unsuppressed tables for the internal dashboard (never for the public side)."""
    return tables.build_tables_internal(_filtered_rows(flt), year=flt.year)


def record_years() -> list[int]:
    years = set(counted_records().values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


# ------------------------------------------------------------------------------ publications


def latest_publication(year: int) -> Publication | None:
    return Publication.objects.filter(year=year).order_by("-version").first()


def publication_version(year: int, version: int) -> Publication | None:
    return Publication.objects.filter(year=year, version=version).first()


def publication_history(year: int | None = None) -> QuerySet[Publication]:
    qs = Publication.objects.order_by("-year", "-version")
    if year is not None:
        qs = qs.filter(year=year)
    return qs


def latest_publications() -> list[Publication]:
    """The current version of every published year, newest year first."""
    latest = Publication.objects.values("year").annotate(v=Max("version"))
    wanted = Q(pk__in=[])
    for row in latest:
        wanted |= Q(year=row["year"], version=row["v"])
    return list(Publication.objects.filter(wanted).order_by("-year"))


PROVISIONAL_SCHEDULES = ("quarterly", "monthly", "off")


def provisional_schedule() -> str:
    """``STATS_PROVISIONAL_SCHEDULE``: "quarterly" (default), "monthly" or "off"."""
    schedule = str(getattr(settings, "STATS_PROVISIONAL_SCHEDULE", "quarterly"))
    if schedule not in PROVISIONAL_SCHEDULES:
        raise ValueError(f"STATS_PROVISIONAL_SCHEDULE must be one of {PROVISIONAL_SCHEDULES}")
    return schedule


def next_provisional_release(today: date) -> date | None:
    """The day of the next scheduled provisional release after ``today``: the first day of
    the next quarter (1 January, 1 April, 1 July, 1 October) or of the next month; None
    when the schedule is "off".  The task that takes the snapshots runs on exactly these
    days, and the public page announces the next one with this function."""
    schedule = provisional_schedule()
    if schedule == "off":
        return None
    step = 3 if schedule == "quarterly" else 1
    # Months counted from 0 = January; the next boundary strictly after today's month start.
    month_index = today.month - 1
    next_index = (month_index // step + 1) * step
    return date(today.year + next_index // 12, next_index % 12 + 1, 1)


@dataclass(frozen=True)
class ComparisonRow:
    year: int
    version: int
    total: dict[str, Any]
    motives: list[dict[str, Any]]  # cells of the motive table, in taxonomy order
    provisional: bool = False  # the year's latest release is a provisional snapshot

    @property
    def has_suppressed(self) -> bool:
        return bool(self.total["suppressed"]) or any(c["suppressed"] for c in self.motives)


def comparison() -> list[ComparisonRow]:
    """Totals and motive counts of every published year (current versions), oldest first."""
    rows = []
    for pub in sorted(latest_publications(), key=lambda p: p.year):
        motive = pub.tables["tables"]["motive"]["cells"]
        rows.append(
            ComparisonRow(
                pub.year, pub.version, pub.tables["total"], motive,
                provisional=bool(getattr(pub, "provisional", False)),
            )
        )
    return rows
