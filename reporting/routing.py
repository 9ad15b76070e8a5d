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
    last_case_id: int | None = None  # the case received then: orders within the hour

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
            last_case = entry.last_case_id if entry.last_case_id is not None else -1
            return (district_specific, motive_specific, speaks, last, last_case, entry.organisation_id)

        return min(candidates, key=rank).organisation_id
    for entry in table:
        if entry.is_fallback:
            return entry.organisation_id
    return None
