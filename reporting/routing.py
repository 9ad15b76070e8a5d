"""Routing (SPEC §4.5): which organisation receives a report. A pure function of the report
and the coverage table, so it can be tested on its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Coverage:
    organisation_id: int
    statewide: bool
    districts: frozenset[str]
    all_motives: bool
    motives: frozenset[str]
    languages: frozenset[str]
    active: bool
    is_fallback: bool
    last_received_at: datetime | None  # to the hour (reporting.traces)
    last_serial: int | None = None  # the routing serial of the case received then: orders within the hour

    def covers(self, district: str, motives: frozenset[str]) -> bool:
        if not self.active:
            return False
        district_ok = self.statewide or district in self.districts
        motives_ok = self.all_motives or bool(self.motives & motives)
        return district_ok and motives_ok


def route_report(
    *,
    district: str,
    motives: frozenset[str],
    language: str,
    chosen: int | None,
    coverage: Iterable[Coverage],
) -> int | None:
    """The organisation id that receives the report, or None if there is none at all.

    1. The reporter's explicit choice wins if that organisation covers the report.
    2. Otherwise the most specific active organisation covering district and motives:
       district-specific beats statewide, then motive-specific beats general, then one that
       speaks the report's language.
    3. Ties go to the organisation that received a case least recently (never = first).
    4. Nothing matching: the fallback organisation (even if paused: no report may be lost).
    """
    table = list(coverage)
    if chosen is not None:
        for entry in table:
            if entry.organisation_id == chosen and entry.covers(district, motives):
                return chosen
    candidates = [entry for entry in table if entry.covers(district, motives)]
    if candidates:

        def rank(entry: Coverage) -> tuple[int, int, int, float, int, int]:
            district_specific = 0 if (not entry.statewide and district in entry.districts) else 1
            motive_specific = 0 if not entry.all_motives else 1
            speaks = 0 if language in entry.languages else 1
            last = entry.last_received_at.timestamp() if entry.last_received_at else float("-inf")
            last_case = entry.last_serial if entry.last_serial is not None else -1
            return (district_specific, motive_specific, speaks, last, last_case, entry.organisation_id)

        return min(candidates, key=rank).organisation_id
    for entry in table:
        if entry.is_fallback:
            return entry.organisation_id
    return None


def decided_by_turn(
    *,
    district: str,
    motives: frozenset[str],
    language: str,
    chosen: int | None,
    coverage: Iterable[Coverage],
    winner: int,
) -> bool:
    """Whether `winner` won only on the least-recently-served tie-break: another candidate is
    as specific and as well-spoken. Only then can two concurrent reports routed from the same
    reading of the table both claim the same turn (reporting.services.submission)."""
    table = list(coverage)
    if chosen is not None and chosen == winner:
        return False

    def standing(entry: Coverage) -> tuple[int, int, int]:
        return (
            0 if (not entry.statewide and district in entry.districts) else 1,
            0 if not entry.all_motives else 1,
            0 if language in entry.languages else 1,
        )

    candidates = [entry for entry in table if entry.covers(district, motives)]
    by_id = {entry.organisation_id: entry for entry in candidates}
    if winner not in by_id:
        return False  # the fallback: no competition
    best = standing(by_id[winner])
    return sum(1 for entry in candidates if standing(entry) == best) > 1
