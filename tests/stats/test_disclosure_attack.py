"""An independent differencing attacker against the releases of one year.

The attacker is written here from the published rules, with its own integer program
(scipy ``milp``); it does not use the model of ``stats.disclosure``.  It differs from
that model on purpose:

* it follows each changed incident on its own (an added, removed or reclassified
  incident is a profile of 0/1 variables: one cell per partition table, at least one
  motive, forms only with its own antisemitism motive), where the audit counts flows;
* region cells are sums of district variables in the objective and the constraints,
  not variables of their own;
* it solves the minimum and the maximum of every suppressed cell, with no shortcut.

Pure Python, no Django: run with ``-p no:django``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from stats import tables
from stats.disclosure import Change, ReleaseRefused, audit_releases, publish_release
from stats.tables import IncidentRecord

YEAR = 2025
K = 3
DISTRICTS = (*tables.district_keys(), "online", "unknown")
PARTITION_DIMS = {
    "incident_type": tables.INCIDENT_TYPES,
    "area_of_life": tables.AREAS_OF_LIFE,
    "month": tables.MONTHS,
    "district": DISTRICTS,
    "channel": tables.CHANNELS,
}
MOTIVES = tables.MOTIVES
FORMS = tables.ANTISEMITISM_FORMS


# ------------------------------------------------------------------------- attacker


class _Program:
    def __init__(self) -> None:
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.entries: list[tuple[int, int, float]] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def new(self, lb: float = 0, ub: float = np.inf) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        return len(self.lb) - 1

    def add(self, coefs: Mapping[int, float], lo: float, hi: float) -> None:
        row = len(self.lo)
        self.entries.extend((row, col, c) for col, c in coefs.items() if c)
        self.lo.append(lo)
        self.hi.append(hi)


@dataclass(frozen=True)
class Secret:
    release: int
    table: str
    key: str
    expression: dict[int, float]  # the cell as a sum of variables
    required: int


def _profile(p: _Program) -> dict[str, dict[str, int]]:
    """0/1 variables describing one incident."""
    out: dict[str, dict[str, int]] = {}
    for dim, keys in PARTITION_DIMS.items():
        out[dim] = {key: p.new(0, 1) for key in keys}
        p.add(dict.fromkeys(out[dim].values(), 1.0), 1, 1)
    out["motive"] = {m: p.new(0, 1) for m in MOTIVES}
    p.add(dict.fromkeys(out["motive"].values(), 1.0), 1, np.inf)
    out["antisemitism_form"] = {f: p.new(0, 1) for f in FORMS}
    for var in out["antisemitism_form"].values():
        p.add({var: 1.0, out["motive"]["antisemitism"]: -1.0}, -np.inf, 0)
    return out


def attack(
    releases: Sequence[Mapping[str, Any]], changes: Sequence[Change], k: int = K
) -> list[tuple[Secret, int, int]]:
    """Every suppressed cell of every release with the attacker's (min, max)."""
    p = _Program()
    base: list[dict[str, dict[str, int]]] = []  # per release: dimension -> key -> variable
    totals: list[int] = []
    secrets: list[Secret] = []
    hidden_earlier: set[tuple[str, str]] = set()
    for r, rel in enumerate(releases):
        if rel["total"]["suppressed"]:
            grand = p.new(1, rel["k"] - 1)
            secrets.append(Secret(r, "total", "all", {grand: 1.0}, rel["k"] - 1))
        else:
            grand = p.new(rel["total"]["value"], rel["total"]["value"])
        totals.append(grand)
        dims = {dim: {key: p.new() for key in keys} for dim, keys in PARTITION_DIMS.items()}
        dims["motive"] = {m: p.new() for m in MOTIVES}
        dims["antisemitism_form"] = {f: p.new() for f in FORMS}
        base.append(dims)
        for dim in PARTITION_DIMS:
            p.add({**dict.fromkeys(dims[dim].values(), 1.0), grand: -1.0}, 0, 0)
        for var in dims["motive"].values():
            p.add({var: 1.0, grand: -1.0}, -np.inf, 0)
        p.add({**dict.fromkeys(dims["motive"].values(), 1.0), grand: -1.0}, 0, np.inf)
        for var in dims["antisemitism_form"].values():
            p.add({var: 1.0, dims["motive"]["antisemitism"]: -1.0}, -np.inf, 0)

        for name, table in rel["tables"].items():
            whole_table_hidden = all(c["suppressed"] for c in table["cells"])
            for cell in table["cells"]:
                if name == "region":
                    members = [
                        d for d in DISTRICTS if tables.district_regions().get(d, d) == cell["key"]
                    ]
                    expr = {dims["district"][d]: 1.0 for d in members}
                else:
                    expr = {dims[name][cell["key"]]: 1.0}
                if not cell["suppressed"]:
                    p.add(expr, cell["value"], cell["value"])
                    continue
                may_be_zero = whole_table_hidden or (
                    rel.get("release_aware") and (name, cell["key"]) in hidden_earlier
                )
                p.add(expr, 0 if may_be_zero else 1, np.inf)
                secrets.append(Secret(r, name, cell["key"], expr, k))
            if not table["total"]["suppressed"]:
                if name == "antisemitism_form":
                    anti = dims["motive"]["antisemitism"]
                    p.add({anti: 1.0}, table["total"]["value"], table["total"]["value"])
                else:
                    p.add({grand: 1.0}, table["total"]["value"], table["total"]["value"])
        hidden_earlier |= {
            (name, c["key"])
            for name, table in rel["tables"].items()
            for c in table["cells"]
            if c["suppressed"]
        }

    for r, change in enumerate(changes):
        before, after = base[r], base[r + 1]
        added = [_profile(p) for _ in range(change.added)]
        removed = [_profile(p) for _ in range(change.removed)]
        moved = [(_profile(p), _profile(p)) for _ in range(change.modified)]
        p.add({totals[r + 1]: 1.0, totals[r]: -1.0}, change.added - change.removed,
              change.added - change.removed)
        for dim, cells in before.items():
            for key, x in cells.items():
                row: Counter[int] = Counter({after[dim][key]: 1.0, x: -1.0})
                leaving: Counter[int] = Counter({x: -1.0})
                for prof in added:
                    row[prof[dim][key]] -= 1
                for prof in removed:
                    row[prof[dim][key]] += 1
                    leaving[prof[dim][key]] += 1
                for old, new in moved:
                    row[new[dim][key]] -= 1
                    row[old[dim][key]] += 1
                    leaving[old[dim][key]] += 1
                p.add(row, 0, 0)
                p.add(leaving, -np.inf, 0)

    n = len(p.lb)
    rows, cols, vals = zip(*p.entries, strict=True)
    matrix = sparse.coo_array((vals, (rows, cols)), shape=(len(p.lo), n)).tocsr()
    constraint = LinearConstraint(matrix, p.lo, p.hi)
    bounds = Bounds(p.lb, p.ub)
    out = []
    for secret in secrets:
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(n)
            for var, coef in secret.expression.items():
                objective[var] = sign * coef
            res = milp(objective, integrality=np.ones(n), bounds=bounds,
                       constraints=constraint, options={"mip_rel_gap": 0.0})
            assert res.status == 0, (secret, res.message)
            ends.append(round(sign * res.fun))
        out.append((secret, ends[0], ends[1]))
    return out


def narrowed(found: list[tuple[Secret, int, int]]) -> list[tuple[Secret, int, int]]:
    return [(s, lo, hi) for s, lo, hi in found if hi - lo + 1 < s.required]


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
    assert _cell(v1, "incident_type", "extreme_violence")["suppressed"], seed
    added = rare_incident(rng, v1)
    if "district" in v1["tables"]:  # the one incident of a small district
        added = replace(added, district=small_districts[0])
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


@pytest.mark.parametrize("seed", [1, 77])
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
