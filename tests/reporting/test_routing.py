"""Routing (SPEC §4.5) as the pure function it is: coverage tables in plain data, no database.

One table of examples for every rule, and a property test that checks random tables against
an independent statement of the rules.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.routing import Coverage, route_report

HANNOVER = "03241"
GOETTINGEN = "03159"
BRAUNSCHWEIG = "03101"

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def _org(
    organisation_id: int,
    *,
    districts: Collection[str] | None = None,
    motives: Collection[str] | None = None,
    languages: Collection[str] = ("de",),
    active: bool = True,
    fallback: bool = False,
    last_received_at: datetime | None = None,
) -> Coverage:
    """A coverage row; no districts means statewide, no motives means all motives."""
    return Coverage(
        organisation_id=organisation_id,
        statewide=districts is None,
        districts=frozenset(districts or ()),
        all_motives=motives is None,
        motives=frozenset(motives or ()),
        languages=frozenset(languages),
        active=active,
        is_fallback=fallback,
        last_received_at=last_received_at,
    )


def _route(coverage: list[Coverage], **report: Any) -> int | None:
    report.setdefault("district", HANNOVER)
    report.setdefault("motives", {"racism"})
    report.setdefault("language", "de")
    report.setdefault("chosen", None)
    return route_report(
        district=report["district"],
        motives=frozenset(report["motives"]),
        language=report["language"],
        chosen=report["chosen"],
        coverage=coverage,
    )


# Each row: the coverage table, what differs from the default report (Region Hannover,
# motive "racism", German, no choice), and the organisation that must receive it.
ROUTING_TABLE = [
    # District-specific beats statewide.
    pytest.param(
        [_org(1), _org(2, districts={HANNOVER})], {}, 2,
        id="district_specific_beats_statewide",
    ),
    pytest.param(
        [_org(1, motives={"racism"}), _org(2, districts={HANNOVER})], {}, 2,
        id="district_specific_for_all_motives_beats_statewide_motive_specific",
    ),
    pytest.param(
        [_org(1), _org(2, districts={GOETTINGEN})], {}, 1,
        id="organisation_of_another_district_does_not_cover",
    ),
    pytest.param(
        [_org(1), _org(2, districts={GOETTINGEN, HANNOVER})], {}, 2,
        id="district_specific_may_cover_several_districts",
    ),
    # Motive-specific beats general.
    pytest.param(
        [_org(1), _org(2, motives={"racism"})], {}, 2,
        id="motive_specific_beats_all_motives",
    ),
    pytest.param(
        [_org(1, districts={HANNOVER}), _org(2, districts={HANNOVER}, motives={"racism"})],
        {}, 2,
        id="motive_specific_beats_all_motives_within_the_district",
    ),
    pytest.param(
        [_org(1), _org(2, motives={"antisemitism"})], {"motives": {"antisemitism", "racism"}}, 2,
        id="motive_specific_covers_a_report_sharing_one_of_its_motives",
    ),
    pytest.param(
        [_org(1), _org(2, motives={"antisemitism"})], {}, 1,
        id="organisation_for_another_motive_does_not_cover",
    ),
    # Languages: among equally specific organisations one that speaks the report's language
    # comes first, before the least-recently-served tie-break, but never before specificity.
    pytest.param(
        [
            _org(1, languages={"de"}, last_received_at=MONDAY),
            _org(2, languages={"de", "ar"}, last_received_at=TUESDAY),
        ],
        {"language": "ar"}, 2,
        id="speaker_of_the_language_beats_least_recently_served",
    ),
    pytest.param(
        [_org(1, languages={"de", "ar"}), _org(2, districts={HANNOVER}, languages={"de"})],
        {"language": "ar"}, 2,
        id="language_does_not_beat_district_specific",
    ),
    pytest.param(
        [_org(1, languages={"de", "ar"}), _org(2, motives={"racism"}, languages={"de"})],
        {"language": "ar"}, 2,
        id="language_does_not_beat_motive_specific",
    ),
    pytest.param(
        [
            _org(1, languages={"de"}, fallback=True),
            _org(2, districts={GOETTINGEN}, languages={"uk"}),
        ],
        {"language": "uk"}, 1,
        id="language_alone_does_not_cover",
    ),
    # Paused organisations never get cases.
    pytest.param(
        [_org(1), _org(2, districts={HANNOVER}, motives={"racism"}, active=False)], {}, 1,
        id="paused_most_specific_gets_nothing",
    ),
    pytest.param(
        [_org(1, last_received_at=TUESDAY), _org(2, active=False)], {}, 1,
        id="paused_least_recently_served_gets_nothing",
    ),
    pytest.param(
        [_org(1, active=False), _org(2, districts={GOETTINGEN}, fallback=True)], {}, 2,
        id="all_covering_organisations_paused_goes_to_fallback",
    ),
    # Ties go to the organisation that received a case least recently.
    pytest.param(
        [_org(1, last_received_at=TUESDAY), _org(2, last_received_at=MONDAY)], {}, 2,
        id="tie_goes_to_least_recently_served",
    ),
    pytest.param(
        [_org(1, last_received_at=MONDAY), _org(2, last_received_at=None)], {}, 2,
        id="tie_goes_first_to_one_that_never_received_a_case",
    ),
    pytest.param(
        [_org(1, last_received_at=MONDAY), _org(2, districts={HANNOVER}, last_received_at=TUESDAY)],
        {}, 2,
        id="recency_does_not_beat_specificity",
    ),
    pytest.param(
        [_org(2, last_received_at=MONDAY), _org(1, last_received_at=MONDAY)], {}, 1,
        id="equal_tie_goes_to_lowest_organisation_id",
    ),
    # The reporter's explicit choice wins only when that organisation covers the report.
    pytest.param(
        [_org(1), _org(2, districts={HANNOVER}, motives={"racism"})], {"chosen": 1}, 1,
        id="covering_choice_beats_more_specific",
    ),
    pytest.param(
        [_org(1, districts={HANNOVER}, last_received_at=MONDAY), _org(2, districts={HANNOVER})],
        {"chosen": 1}, 1,
        id="covering_choice_beats_least_recently_served",
    ),
    pytest.param(
        [_org(1), _org(2, districts={GOETTINGEN})], {"chosen": 2}, 1,
        id="choice_outside_its_districts_is_ignored",
    ),
    pytest.param(
        [_org(1), _org(2, motives={"antisemitism"})], {"chosen": 2}, 1,
        id="choice_outside_its_motives_is_ignored",
    ),
    pytest.param(
        [_org(1), _org(2, active=False)], {"chosen": 2}, 1,
        id="paused_choice_is_ignored",
    ),
    pytest.param(
        [_org(1), _org(2, districts={GOETTINGEN}, fallback=True, active=False)],
        {"chosen": 2}, 1,
        id="choice_of_a_paused_fallback_is_ignored",
    ),
    pytest.param(
        [_org(1)], {"chosen": 99}, 1,
        id="choice_of_an_unknown_organisation_is_ignored",
    ),
    # Nothing matching goes to the fallback organisation.
    pytest.param(
        [_org(1, districts={GOETTINGEN}), _org(2, districts={BRAUNSCHWEIG}, fallback=True)],
        {}, 2,
        id="nothing_matching_goes_to_fallback",
    ),
    pytest.param(
        [
            _org(1, motives={"antisemitism"}),
            _org(2, districts={GOETTINGEN}, fallback=True, active=False),
        ],
        {}, 2,
        id="nothing_matching_goes_to_fallback_even_if_paused",
    ),
    pytest.param(
        [_org(1, fallback=True), _org(2, districts={HANNOVER})], {}, 2,
        id="covering_fallback_loses_to_more_specific",
    ),
    pytest.param(
        [_org(1, districts={GOETTINGEN})], {}, None,
        id="nothing_matching_and_no_fallback_is_none",
    ),
    pytest.param(
        [], {}, None,
        id="empty_table_is_none",
    ),
]


@pytest.mark.parametrize(("coverage", "report", "expected"), ROUTING_TABLE)
def test_route_report(
    coverage: list[Coverage], report: dict[str, Any], expected: int | None
) -> None:
    assert _route(coverage, **report) == expected


# --------------------------------------------------------------------------------------------
# Property: random tables against an independent statement of the rules.

# Few values on purpose: dense tables, so overlaps and ties between covering organisations
# are common rather than rare.
DISTRICTS = [HANNOVER, GOETTINGEN, BRAUNSCHWEIG]
MOTIVES = ["racism", "antisemitism", "antiziganism"]
LANGUAGES = ["de", "ar", "uk"]


@st.composite
def _coverage_table(draw: st.DrawFn) -> list[Coverage]:
    size = draw(st.integers(2, 8))
    fallback_index = draw(st.integers(0, size - 1))
    profiles: list[tuple[frozenset[str] | None, frozenset[str] | None, frozenset[str]]] = []
    table = []
    for index in range(size):
        # Often the same coverage as an earlier organisation: equally specific rivals, so the
        # language and least-recently-served tie-breaks are exercised, not only specificity.
        if profiles and draw(st.booleans()):
            profile = draw(st.sampled_from(profiles))
        else:
            profile = (
                draw(st.none() | st.frozensets(st.sampled_from(DISTRICTS), min_size=1)),
                draw(st.none() | st.frozensets(st.sampled_from(MOTIVES), min_size=1)),
                draw(st.frozensets(st.sampled_from(LANGUAGES))),
            )
            profiles.append(profile)
        districts, motives, languages = profile
        hours = draw(st.sampled_from([None, 0, 1, 2, 3]))  # few distinct times: ties happen
        table.append(
            _org(
                index + 1,
                districts=districts,
                motives=motives,
                languages=languages,
                active=draw(st.sampled_from([True, True, False])),
                fallback=index == fallback_index,
                last_received_at=None if hours is None else MONDAY + timedelta(hours=hours),
            )
        )
    return draw(st.permutations(table))


def _covers(entry: Coverage, district: str, motives: frozenset[str]) -> bool:
    in_district = entry.statewide or district in entry.districts
    for_motive = entry.all_motives or not entry.motives.isdisjoint(motives)
    return entry.active and in_district and for_motive


def _specificity(entry: Coverage) -> tuple[bool, bool]:
    # Compared as tuples: district-specific first, then motive-specific.
    return (not entry.statewide, not entry.all_motives)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    coverage=_coverage_table(),
    district=st.sampled_from(DISTRICTS),
    motives=st.frozensets(st.sampled_from(MOTIVES), min_size=1),
    language=st.sampled_from(LANGUAGES),
    chosen=st.none() | st.integers(1, 9),
)
def test_routing_picks_a_most_specific_covering_organisation_or_the_fallback(
    coverage: list[Coverage],
    district: str,
    motives: frozenset[str],
    language: str,
    chosen: int | None,
) -> None:
    result = route_report(
        district=district, motives=motives, language=language, chosen=chosen, coverage=coverage
    )
    by_id = {entry.organisation_id: entry for entry in coverage}
    fallback = next(entry for entry in coverage if entry.is_fallback)
    covering = [entry for entry in coverage if _covers(entry, district, motives)]

    if not covering:
        assert result == fallback.organisation_id
        return
    assert result is not None
    winner = by_id[result]
    assert _covers(winner, district, motives)
    if chosen in by_id and _covers(by_id[chosen], district, motives):
        assert result == chosen
        return
    assert not any(_specificity(other) > _specificity(winner) for other in covering)
    # Among the equally specific: a speaker of the language first, then least recently served.
    peers = [other for other in covering if _specificity(other) == _specificity(winner)]
    if any(language in other.languages for other in peers):
        assert language in winner.languages
    speaks = language in winner.languages
    peers = [other for other in peers if (language in other.languages) == speaks]
    if winner.last_received_at is not None:
        assert all(
            other.last_received_at is not None and other.last_received_at >= winner.last_received_at
            for other in peers
        )
