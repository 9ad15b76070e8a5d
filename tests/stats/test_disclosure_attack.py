"""The independent attacker (tests/stats/attacker.py) against releases of one year built
from records: release-aware releases resist it, the old per-release ones do not."""


from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from stats import tables
from stats.disclosure import Change, ReleaseRefused, audit_releases, publish_release
from stats.tables import IncidentRecord
from tests.stats.attacker import DISTRICTS, FORMS, MOTIVES, K, attack, narrowed

YEAR = 2025
# ------------------------------------------------------------------------- scenario


def realistic_year(rng: random.Random, n: int) -> list[IncidentRecord]:
    """A year shaped like the real ones: a few large cells, many small ones, several
    districts with one or two incidents, exactly two extreme_violence incidents."""
    districts = list(tables.district_keys())
    rng.shuffle(districts)
    small = districts[:6]
    w_district = [0.0] * 6 + [rng.random() ** 2 + 0.05 for _ in districts[6:]]
    w_district[districts.index("03241")] += 2.0  # Hannover
    places = [*districts, "online", "unknown"]
    w_places = [*w_district, 1.5, 0.3]
    types = tables.INCIDENT_TYPES
    w_types = [0, 8, 10, 10, 45, 6, 20]
    areas = tables.AREAS_OF_LIFE
    w_areas = [30, 6, 8, 7, 5, 6, 4, 2, 1, 20, 8, 3]
    channels = tables.CHANNELS
    w_channels = [55, 2, 12, 10, 10, 8, 3]
    w_motives = [40, 12, 16, 3, 20, 14, 5]

    def incident(place: str, kind: str | None = None) -> IncidentRecord:
        motives = tuple(sorted(set(rng.choices(MOTIVES, w_motives, k=rng.choice((1, 1, 2, 3))))))
        forms: tuple[str, ...] = ()
        if "antisemitism" in motives:
            forms = tuple(rng.sample(FORMS, rng.choice((0, 1, 1, 2))))
        return IncidentRecord(
            year=YEAR,
            month=rng.randint(1, 12),
            district=place,
            incident_type=kind or rng.choices(types, w_types)[0],
            motives=motives,
            area_of_life=rng.choices(areas, w_areas)[0],
            channel=rng.choices(channels, w_channels)[0],
            people_affected=1,
            antisemitism_forms=forms,
        )

    out = [incident(d) for d in small for _ in range(rng.choice((1, 2)))]
    out += [incident(rng.choices(places, w_places)[0], "extreme_violence") for _ in range(2)]
    while len(out) < n:
        out.append(incident(rng.choices(places, w_places)[0]))
    return out


def _cell(release: Mapping[str, Any], table: str, key: str) -> dict[str, Any]:
    return next(c for c in release["tables"][table]["cells"] if c["key"] == key)


def rare_incident(rng: random.Random, last: Mapping[str, Any]) -> IncidentRecord:
    """An incident that lands in cells the last release hid, where it can (a district
    with one incident, extreme violence): the incidents differencing used to expose.
    Other attributes go to cells that are hidden or clearly large."""

    def pick(table: str, preferred: str | None = None) -> str:
        cells = last["tables"][table]["cells"]
        if preferred is not None and _cell(last, table, preferred)["suppressed"]:
            return preferred
        hidden = [c["key"] for c in cells if c["suppressed"]]
        large = [c["key"] for c in cells if not c["suppressed"] and c["value"] >= K + 2]
        return rng.choice(hidden or large)

    if "district" in last["tables"]:
        place = pick("district")
    else:
        region = pick("region")
        place = rng.choice([d for d in DISTRICTS if tables.district_regions().get(d, d) == region])
    motive = pick("motive")
    forms: tuple[str, ...] = ()
    if motive == "antisemitism" and not _cell(last, "motive", motive)["suppressed"]:
        forms = (pick("antisemitism_form"),)
    return IncidentRecord(
        year=YEAR,
        month=int(pick("month")),
        district=place,
        incident_type=pick("incident_type", "extreme_violence"),
        motives=(motive,),
        area_of_life=pick("area_of_life"),
        channel=pick("channel"),
        people_affected=1,
        antisemitism_forms=forms,
    )


def arbitrary_incident(rng: random.Random) -> IncidentRecord:
    """Any incident at all: every code equally likely, so it often lands in a zero cell."""
    motives = tuple(sorted(set(rng.sample(MOTIVES, rng.choice((1, 1, 2))))))
    forms = (rng.choice(FORMS),) if "antisemitism" in motives and rng.random() < 0.7 else ()
    return IncidentRecord(
        year=YEAR,
        month=rng.randint(1, 12),
        district=rng.choice(DISTRICTS),
        incident_type=rng.choice(tables.INCIDENT_TYPES),
        motives=motives,
        area_of_life=rng.choice(tables.AREAS_OF_LIFE),
        channel=rng.choice(tables.CHANNELS),
        people_affected=1,
        antisemitism_forms=forms,
    )


def _counts(records: Sequence[IncidentRecord]) -> tables.Counts:
    return tables.aggregate(records, year=YEAR)


@pytest.mark.parametrize("seed", [11, 2024])
def test_attacker_pins_nothing_in_release_aware_releases_and_pins_the_old_ones(
    seed: int,
) -> None:
    rng = random.Random(seed)
    v1_records = realistic_year(rng, rng.randint(150, 300))
    small_districts = [d for d, n in Counter(r.district for r in v1_records).items() if n == 1]
    assert len(small_districts) >= 2, seed

    published: list[dict[str, Any]] = []
    changes: list[Change] = []

    def release(records: list[IncidentRecord], change: Change | None) -> None:
        if change is not None:
            changes.append(change)
        out, audit = publish_release(
            _counts(records), year=YEAR, k=K, previous=published, changes=changes,
            time_limit=60,
        )
        assert audit.ok, (seed, audit.summary())
        published.append(out)

    release(v1_records, None)
    v1 = published[0]
    assert v1["geography"] == "district", seed
    assert _cell(v1, "incident_type", "extreme_violence")["suppressed"], seed
    assert _cell(v1, "district", small_districts[0])["suppressed"], seed
    # extreme violence in a district that had a single incident
    added = replace(rare_incident(rng, v1), district=small_districts[0])
    v2_records = [*v1_records, added]
    release(v2_records, Change(1, 0, 0))
    release(v2_records, Change(0, 0, 0))  # provisional snapshot before one more incident
    s4_records = [*v2_records, rare_incident(rng, published[-1])]
    release(s4_records, Change(1, 0, 0))  # and after it

    assert {r["geography"] for r in published} == {v1["geography"]}
    found = attack(published, changes)
    assert len(found) >= 4 * 10, (seed, len(found))
    assert narrowed(found) == [], f"seed {seed}: {narrowed(found)}"

    # The same year published release by release, each protected on its own.
    old = [
        tables.publish(_counts(recs), year=YEAR, k=K)
        for recs in (v1_records, v2_records, v2_records, s4_records)
    ]
    exposed = narrowed(attack(old, changes))
    assert exposed, f"seed {seed}: the old per-release protection was not broken"
    assert any(s.table == "incident_type" and s.key == "extreme_violence" and s.release == 0
               for s, _lo, _hi in exposed), (seed, exposed)


Incidents = dict[int, IncidentRecord]  # incident id -> its current classification


def _random_step(rng: random.Random, incidents: Incidents, pool: list[IncidentRecord]) -> Incidents:
    """One correction or snapshot step: add, remove or reclassify incidents."""
    out = dict(incidents)
    step = rng.choice(("add", "add", "remove", "reclassify", "batch"))
    if step in ("add", "batch"):
        for record in rng.sample(pool, 1 if step == "add" else 4):
            out[max(out) + 1] = record
    elif step == "remove":
        del out[rng.choice(sorted(out))]
    else:
        out[rng.choice(sorted(out))] = rng.choice(pool)
    return out


def _change(before: Incidents, after: Incidents) -> Change:
    return Change(
        added=len(after.keys() - before.keys()),
        removed=len(before.keys() - after.keys()),
        modified=sum(1 for i in before.keys() & after.keys() if before[i] != after[i]),
    )


@pytest.mark.parametrize("seed", [1, 10])
def test_whatever_the_release_path_publishes_the_attacker_cannot_narrow(seed: int) -> None:
    """Random corrections and snapshots, arbitrary incidents: every release is either
    refused or published; what was published keeps every hidden cell k values wide."""
    rng = random.Random(seed)
    incidents: Incidents = dict(enumerate(realistic_year(rng, 300)))
    pool = [arbitrary_incident(rng) for _ in range(40)]
    out, _ = publish_release(_counts(list(incidents.values())), year=YEAR, k=K, time_limit=60)
    published = [out]
    changes: list[Change] = []
    last_published = incidents
    refused = 0
    for _step in range(5):
        incidents = _random_step(rng, incidents, pool)
        change = _change(last_published, incidents)
        try:
            out, audit = publish_release(
                _counts(list(incidents.values())), year=YEAR, k=K, previous=published,
                changes=[*changes, change], time_limit=60,
            )
        except ReleaseRefused as refusal:
            assert refusal.cells or refusal.audit.error, seed
            refused += 1
            continue
        assert audit.ok, seed
        published.append(out)
        changes.append(change)
        last_published = incidents
    print(f"seed {seed}: {len(published)} releases published, {refused} refused")
    found = attack(published, changes)
    assert narrowed(found) == [], f"seed {seed}: {narrowed(found)}"


@pytest.mark.parametrize("seed", [1])
def test_the_audit_and_the_independent_attacker_find_the_same_intervals(seed: int) -> None:
    """Two formulations of the same attacker must agree to the last cell, on releases
    that leak (protected one at a time) and on releases of the release path."""
    rng = random.Random(seed)
    incidents: Incidents = dict(enumerate(realistic_year(rng, 300)))
    pool = [arbitrary_incident(rng) for _ in range(40)]
    snapshots = [incidents]
    for _step in range(3):
        snapshots.append(_random_step(rng, snapshots[-1], pool))
    changes = [_change(a, b) for a, b in zip(snapshots, snapshots[1:], strict=False)]
    old = [tables.publish(_counts(list(s.values())), year=YEAR, k=K) for s in snapshots]
    new: list[dict[str, Any]] = []
    for i, snapshot in enumerate(snapshots):
        out, _ = publish_release(
            _counts(list(snapshot.values())), year=YEAR, k=K, previous=new,
            changes=changes[:i], time_limit=60,
        )
        new.append(out)
    for releases in (old, new):
        audit = audit_releases(releases, changes, k=K, exact=True, time_limit=60)
        theirs = {(s.release, s.table, s.key): (lo, hi) for s, lo, hi in attack(releases, changes)}
        ours = {(c.release, c.table, c.key): (c.low, c.high) for c in audit.cells}
        assert ours == theirs, f"seed {seed}"
    assert not audit_releases(old, changes).ok, f"seed {seed}: expected a leak to compare"


@pytest.mark.parametrize("seed", [4])
def test_quarterly_snapshots_show_once_hidden_cells_again_and_stay_protected(seed: int) -> None:
    """Provisional snapshots of a growing year (+20 incidents a quarter): rule 6 alone
    would keep the first quarter's many hidden cells hidden all year; with ``unstick``
    they are shown again where the audit allows, and the attacker still finds nothing."""
    rng = random.Random(seed)
    year = realistic_year(rng, 80)
    rng.shuffle(year)
    quarters = [year[:20], year[:40], year[:60], year]
    changes = [Change(20, 0, 0)] * 3
    strict: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = []
    for i, records in enumerate(quarters):
        for releases, unstick in ((strict, False), (shown, True)):
            out, audit = publish_release(
                _counts(records), year=YEAR, k=K, previous=releases, changes=changes[:i],
                time_limit=60, unstick=unstick,
            )
            assert audit.ok, seed
            releases.append(out)
    assert shown[-1]["suppressed_cells"] < strict[-1]["suppressed_cells"], seed
    assert narrowed(attack(shown, changes)) == [], f"seed {seed}"
