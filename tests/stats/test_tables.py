"""Tests for stats.tables: counting and disclosure control of the public statistics.

No database.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from stats.tables import (
    ANTISEMITISM_FORMS,
    AREAS_OF_LIFE,
    CHANNELS,
    INCIDENT_TYPES,
    MONTHS,
    MOTIVES,
    PARTITIONS,
    IncidentRecord,
    aggregate,
    aggregate_weighted,
    build_tables,
    build_tables_internal,
    district_keys,
    district_regions,
    protect,
    protect_tables,
    protect_with,
    publish,
    region_keys,
    region_names,
)
from tests.helpers import incident_record

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2025


def rec(**overrides: Any) -> IncidentRecord:
    return incident_record(**{"year": YEAR, **overrides})


def recs(n: int, **overrides: Any) -> list[IncidentRecord]:
    return [rec(**overrides)] * n
ALL_DISTRICTS = (*district_keys(), "online", "unknown")
PARTITION_NAMES = {"incident_type", "area_of_life", "month", "district", "region", "channel"}


def cells(published: dict[str, Any], table: str) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in published["tables"][table]["cells"]}


def value(published: dict[str, Any], table: str, key: str) -> int | None:
    return cells(published, table)[key]["value"]


# ------------------------------------------------------------------- reference data


def test_districts_and_regions() -> None:
    keys = district_keys()
    assert len(keys) == 45 == len(set(keys))
    prefixes = {"031": "Braunschweig", "032": "Hannover", "033": "Lüneburg", "034": "Weser-Ems"}
    names = region_names()
    for ags, nuts2 in district_regions().items():
        assert names[nuts2] == prefixes[ags[:3]]
    assert region_keys() == ("DE91", "DE92", "DE93", "DE94")


# --------------------------------------------------------------------- basic rules


def test_every_code_is_a_cell_and_zeros_are_shown() -> None:
    out = build_tables(recs(10), year=YEAR)
    expected = {
        "motive": MOTIVES,
        "antisemitism_form": ANTISEMITISM_FORMS,
        "incident_type": INCIDENT_TYPES,
        "area_of_life": AREAS_OF_LIFE,
        "month": MONTHS,
        "district": ALL_DISTRICTS,
        "channel": CHANNELS,
    }
    assert list(out["tables"]) == list(expected)
    for name, keys in expected.items():
        assert [c["key"] for c in out["tables"][name]["cells"]] == list(keys)
    assert value(out, "incident_type", "assault") == 10
    assert cells(out, "incident_type")["threat"] == {
        "key": "threat",
        "value": 0,
        "suppressed": False,
    }
    assert value(out, "district", "03241") == 10
    assert value(out, "district", "03101") == 0
    assert out["total"] == {"value": 10, "suppressed": False}
    assert out["suppressed_cells"] == 0


@pytest.mark.parametrize("small", [1, 2])
def test_small_cells_are_null_and_flagged(small: int) -> None:
    out = build_tables(recs(20) + recs(small, incident_type="threat"), year=YEAR)
    assert cells(out, "incident_type")["threat"] == {
        "key": "threat",
        "value": None,
        "suppressed": True,
    }


def test_secondary_suppression_picks_the_next_smallest_non_zero_cell() -> None:
    data = (
        recs(1, channel="phone")
        + recs(4, channel="email")
        + recs(7, channel="api")
        + recs(30, channel="online_form")
    )
    out = build_tables(data, year=YEAR)
    channel = cells(out, "channel")
    assert channel["phone"]["suppressed"] and channel["email"]["suppressed"]
    assert channel["api"]["value"] == 7
    assert channel["online_form"]["value"] == 30
    # zeros are public and protect nothing: they stay shown
    assert channel["in_person"] == {"key": "in_person", "value": 0, "suppressed": False}
    assert out["tables"]["channel"]["total"] == {"value": 42, "suppressed": False}


def test_all_cells_tied_for_the_smallest_value_are_suppressed() -> None:
    # Picking one of the two 4s by position would tell which hidden cell is the
    # complementary one.
    data = recs(2, channel="phone") + recs(4, channel="email") + recs(4, channel="api") + recs(9)
    channel = cells(build_tables(data, year=YEAR), "channel")
    assert [c for c, v in channel.items() if v["suppressed"]] == ["api", "phone", "email"]
    assert channel["online_form"]["value"] == 9


def test_two_primary_cells_still_get_a_complement() -> None:
    # 2 + 2 hidden beside a published total: a rule-aware attacker would know both
    # are < 3 and add up to 4, so both would be exactly 2.
    data = recs(2, channel="phone") + recs(2, channel="email") + recs(5, channel="api") + recs(9)
    channel = cells(build_tables(data, year=YEAR), "channel")
    assert {c for c, v in channel.items() if v["suppressed"]} == {"phone", "email", "api"}
    assert channel["online_form"]["value"] == 9


def test_table_without_a_possible_complement_is_blanked() -> None:
    # 3 incidents in 3 different months: every month cell would be exactly 1.
    data = recs(1, month=1) + recs(1, month=5) + recs(1, month=9)
    out = build_tables(data, year=YEAR)
    assert out["total"] == {"value": 3, "suppressed": False}
    assert all(c["suppressed"] and c["value"] is None for c in out["tables"]["month"]["cells"])
    assert value(out, "incident_type", "assault") == 3


@pytest.mark.parametrize("n", [1, 2])
def test_small_grand_total_suppresses_everything(n: int) -> None:
    out = build_tables(recs(n), year=YEAR)
    assert out["total"] == {"value": None, "suppressed": True}
    for table in out["tables"].values():
        assert table["total"]["value"] is None
        assert table["total"]["suppressed"]
        # zeros too: they would point at the one non-zero month, district, ...
        assert all(c["value"] is None and c["suppressed"] for c in table["cells"])
    n_cells = sum(len(t["cells"]) for t in out["tables"].values())
    assert out["suppressed_cells"] == n_cells


def test_empty_year_is_all_zeros() -> None:
    out = build_tables(recs(5, year=YEAR - 1), year=YEAR)
    assert out["total"] == {"value": 0, "suppressed": False}
    assert out["suppressed_cells"] == 0
    assert all(c["value"] == 0 for t in out["tables"].values() for c in t["cells"])


def test_motives_count_once_in_total_and_once_per_motive() -> None:
    data = recs(4, motives=("racism", "antisemitism")) + recs(3, motives=("racism",))
    data += recs(3, motives=("xenophobia", "xenophobia"))  # duplicates count once
    out = build_tables(data, year=YEAR)
    assert out["total"]["value"] == 10
    assert value(out, "motive", "racism") == 7
    assert value(out, "motive", "antisemitism") == 4
    assert value(out, "motive", "xenophobia") == 3
    assert out["tables"]["motive"]["total"] == {"value": 10, "suppressed": False}
    # the motive cells do not partition the total
    assert sum(c["value"] for c in out["tables"]["motive"]["cells"]) == 14


def test_lone_small_motive_gets_a_complement() -> None:
    # Single-motive incidents: sum(motives) >= total would pin the hidden cell to 2.
    data = recs(8, motives=("racism",)) + recs(2, motives=("antisemitism",))
    motive = cells(build_tables(data, year=YEAR), "motive")
    assert motive["antisemitism"]["suppressed"] and motive["racism"]["suppressed"]


def test_antisemitism_forms_only_among_antisemitic_incidents() -> None:
    data = recs(5, motives=("antisemitism",), antisemitism_forms=("israel_related", "modern"))
    data += recs(4, motives=("antisemitism", "racism"), antisemitism_forms=("israel_related",))
    data += recs(6, motives=("racism",), antisemitism_forms=("post_shoah",))  # ignored
    out = build_tables(data, year=YEAR)
    forms = out["tables"]["antisemitism_form"]
    assert forms["total"] == {"value": 9, "suppressed": False}
    assert value(out, "antisemitism_form", "israel_related") == 9
    assert value(out, "antisemitism_form", "modern") == 5
    assert value(out, "antisemitism_form", "post_shoah") == 0


def test_forms_total_is_hidden_with_the_antisemitism_cell() -> None:
    data = recs(20) + recs(2, motives=("antisemitism",), antisemitism_forms=("modern",))
    out = build_tables(data, year=YEAR)
    assert cells(out, "motive")["antisemitism"]["suppressed"]
    assert out["tables"]["antisemitism_form"]["total"] == {"value": None, "suppressed": True}
    assert cells(out, "antisemitism_form")["modern"]["value"] is None


def test_region_roll_up_when_most_districts_are_small() -> None:
    data = []
    for i, ags in enumerate(district_keys()[:30]):
        data += recs(1 + i % 2, district=ags)
    data += recs(12, district="online") + recs(3, district="unknown")
    out = build_tables(data, year=YEAR)
    assert "district" not in out["tables"]
    region = out["tables"]["region"]
    assert region["rolled_up_to_regions"] is True
    assert [c["key"] for c in region["cells"]] == [
        "DE91",
        "DE92",
        "DE93",
        "DE94",
        "online",
        "unknown",
    ]
    internal = build_tables_internal(data, year=YEAR)
    true_regions = cells(internal, "region")
    for c in region["cells"]:
        if not c["suppressed"]:
            assert c["value"] == true_regions[c["key"]]["value"]
    assert value(out, "region", "online") == 12


def test_no_roll_up_when_districts_are_large() -> None:
    data = []
    for i, ags in enumerate(district_keys()):
        data += recs(3 + i % 4, district=ags)
    data += recs(1, district=district_keys()[0])  # one small-ish change, still >= 3
    data += recs(1, district="unknown")  # one primary cell only
    out = build_tables(data, year=YEAR)
    assert "region" not in out["tables"]
    district = out["tables"]["district"]
    assert district["rolled_up_to_regions"] is False
    hidden = [c["key"] for c in district["cells"] if c["suppressed"]]
    assert "unknown" in hidden
    assert 2 <= len(hidden) < 45 // 2


def test_output_is_json_and_holds_no_true_count_of_a_suppressed_cell() -> None:
    data = recs(40) + recs(2, incident_type="threat") + recs(1, incident_type="discrimination")
    out = build_tables(data, year=YEAR)
    assert json.loads(json.dumps(out)) == out
    suppressed = [c for t in out["tables"].values() for c in t["cells"] if c["suppressed"]]
    assert suppressed
    for c in suppressed:
        assert c["value"] is None
        assert set(c) == {"key", "value", "suppressed"}
        assert json.dumps(c) == json.dumps({"key": c["key"], "value": None, "suppressed": True})
    assert out["suppressed_cells"] == len(suppressed)


def test_k_is_configurable() -> None:
    data = recs(30) + recs(4, incident_type="threat")
    assert value(build_tables(data, year=YEAR, k=3), "incident_type", "threat") == 4
    out = build_tables(data, year=YEAR, k=5)
    assert out["k"] == 5
    assert cells(out, "incident_type")["threat"]["suppressed"]
    assert cells(out, "incident_type")["assault"]["suppressed"]  # the complement
    out = build_tables(recs(4), year=YEAR, k=5)
    assert out["total"] == {"value": None, "suppressed": True}


@pytest.mark.parametrize("k", [0, 1, 2, 3.0])
def test_k_below_three_is_refused(k: Any) -> None:
    # With k = 2 a primary cell is known to be exactly 1.
    with pytest.raises(ValueError):
        build_tables(recs(5), year=YEAR, k=k)


def test_internal_tables_are_unsuppressed_and_share_the_counting() -> None:
    data = recs(1) + recs(2, incident_type="threat", district="03101")
    internal = build_tables_internal(data, year=YEAR)
    assert internal["k"] is None
    assert internal["total"] == {"value": 3, "suppressed": False}
    assert internal["suppressed_cells"] == 0
    assert value(internal, "incident_type", "threat") == 2
    assert value(internal, "district", "03101") == 2
    assert value(internal, "region", "DE91") == 2
    assert value(internal, "region", "DE92") == 1
    assert {"district", "region"} <= set(internal["tables"])
    public = build_tables(data, year=YEAR)
    assert len({"district", "region"} & set(public["tables"])) == 1


def test_input_kinds_give_the_same_counts() -> None:
    rng = random.Random(7)
    data = random_records(rng, 200)
    data += [rec(year=YEAR - 1)] * 5
    as_records = aggregate(data, year=YEAR)
    as_tuples = aggregate((dataclasses.astuple(r) for r in data), year=YEAR)
    as_short_tuples = aggregate((dataclasses.astuple(r)[:8] for r in data), year=YEAR)
    as_dicts = aggregate(
        ({**dataclasses.asdict(r), "motives": list(r.motives)} for r in data), year=YEAR
    )
    assert as_records == as_tuples == as_dicts
    assert as_records.total == 200
    assert as_short_tuples.antisemitism_form == {}
    assert as_short_tuples.motive == as_records.motive
    assert aggregate(iter([])).total == 0


def _grouped(data: list[IncidentRecord], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """What ``values(*fields).annotate(n=Count("id"))`` returns for ``data``."""
    counter: Counter[tuple[Any, ...]] = Counter(
        tuple(getattr(r, f) for f in fields) for r in data
    )
    return [{**dict(zip(fields, key, strict=True)), "n": n} for key, n in counter.items()]


ALL_FIELDS = ("year", "month", "district", "incident_type", "motives", "area_of_life", "channel",
              "antisemitism_forms")


def test_weighted_rows_equal_repeated_rows() -> None:
    rng = random.Random(11)
    distinct = random_records(rng, 40)
    weights = [rng.randint(1, 9) for _ in distinct]
    repeated = [r for r, w in zip(distinct, weights, strict=True) for _ in range(w)]
    weighted = [
        {**dataclasses.asdict(r), "n": w} for r, w in zip(distinct, weights, strict=True)
    ]
    weighted += [{**dataclasses.asdict(rec(year=YEAR - 1)), "n": 4}]  # another year: skipped
    assert aggregate_weighted([weighted], year=YEAR) == aggregate(repeated, year=YEAR)
    assert aggregate_weighted([[]], year=YEAR) == aggregate([], year=YEAR)
    assert aggregate_weighted([], year=YEAR).total == 0


@pytest.mark.parametrize(
    "groupings",
    [
        (ALL_FIELDS,),
        (("month", "incident_type", "area_of_life", "channel"),
         ("district", "motives", "antisemitism_forms")),
        (("month",), ("district",), ("incident_type",), ("area_of_life",), ("channel",),
         ("motives", "antisemitism_forms")),
    ],
)
def test_grouped_margins_equal_the_row_by_row_count(groupings: tuple[tuple[str, ...], ...]) -> None:
    rng = random.Random(len(groupings))
    data = random_records(rng, 500)
    expected = aggregate(data, year=YEAR)
    got = aggregate_weighted([_grouped(data, fields) for fields in groupings], year=YEAR)
    assert got == expected
    for k in (3, 5):
        assert publish(got, year=YEAR, k=k) == publish(expected, year=YEAR, k=k)


def test_weighted_rows_are_checked() -> None:
    data = random_records(random.Random(3), 50)
    margins = _grouped(data, ("month", "incident_type", "area_of_life", "channel"))
    with pytest.raises(ValueError, match="cover"):  # district and motives missing
        aggregate_weighted([margins], year=YEAR)
    with pytest.raises(ValueError, match="totals"):
        aggregate_weighted([margins, _grouped(data[:10], ("district", "motives"))], year=YEAR)
    with pytest.raises(ValueError, match="grouped with motives"):
        aggregate_weighted([_grouped(data, ("antisemitism_forms",))], year=YEAR)
    with pytest.raises(ValueError, match="weight"):
        aggregate_weighted([[{**dataclasses.asdict(rec()), "n": -1}]], year=YEAR)
    with pytest.raises(ValueError, match="district"):
        aggregate_weighted([[{**dataclasses.asdict(rec(district="09162")), "n": 1}]], year=YEAR)


def test_unknown_codes_are_rejected() -> None:
    with pytest.raises(ValueError, match="district"):
        aggregate([rec(district="09162")])
    with pytest.raises(ValueError, match="motive"):
        aggregate([rec(motives=("sexism",))])
    with pytest.raises(ValueError, match="month"):
        aggregate([rec(month=13)])
    with pytest.raises(ValueError, match="channel"):
        aggregate([{f: v for f, v in dataclasses.asdict(rec()).items() if f != "channel"}])


def test_counts_of_another_year_are_refused() -> None:
    with pytest.raises(ValueError):
        publish(aggregate(recs(5), year=YEAR), year=YEAR + 1)


def test_a_million_records_are_all_counted() -> None:
    # How long this takes is measured in `make bench`, not asserted here.
    pool = random_records(random.Random(3), 5_000)
    records = [pool[i % len(pool)] for i in range(1_000_000)]
    out = build_tables(records, year=YEAR)
    assert out["total"]["value"] == 1_000_000


# ------------------------------------------------------------ random data sets


def _skewed_weights(rng: random.Random, n: int) -> list[float]:
    # Heavy-tailed and sparse, so that small cells, zeros and roll-ups all occur.
    weights = [rng.random() ** 4 if rng.random() < 0.6 else 0.0 for _ in range(n)]
    weights[rng.randrange(n)] += 0.05
    return weights


def random_records(rng: random.Random, n: int) -> list[IncidentRecord]:
    w_type = _skewed_weights(rng, len(INCIDENT_TYPES))
    w_area = _skewed_weights(rng, len(AREAS_OF_LIFE))
    w_month = _skewed_weights(rng, 12)
    w_district = _skewed_weights(rng, len(ALL_DISTRICTS))
    w_channel = _skewed_weights(rng, len(CHANNELS))
    w_motive = _skewed_weights(rng, len(MOTIVES))
    out = []
    for _ in range(n):
        motives = tuple(set(rng.choices(MOTIVES, w_motive, k=rng.choice((1, 1, 1, 2, 3)))))
        out.append(
            IncidentRecord(
                year=YEAR,
                month=rng.choices(range(1, 13), w_month)[0],
                district=rng.choices(ALL_DISTRICTS, w_district)[0],
                incident_type=rng.choices(INCIDENT_TYPES, w_type)[0],
                motives=motives,
                area_of_life=rng.choices(AREAS_OF_LIFE, w_area)[0],
                channel=rng.choices(CHANNELS, w_channel)[0],
                people_affected=None,
                antisemitism_forms=tuple(rng.sample(ANTISEMITISM_FORMS, rng.randint(0, 2))),
            )
        )
    return out


def random_datasets(count: int, seed: int = 20250101) -> list[tuple[int, list[IncidentRecord]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        size = rng.choice((0, 1, 2, 3, 4, 5, 6, 8, 10, 14, 20, 30, 45, 70, 120, 250))
        k = rng.choice((3, 3, 3, 4, 5))
        out.append((k, random_records(rng, size)))
    return out


DATASETS = random_datasets(400)


def _rref(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """Reduced row echelon form with exact fractions (numpy is not a dependency)."""
    rows = [r[:] for r in rows]
    pivots_done = 0
    n_cols = len(rows[0]) if rows else 0
    for col in range(n_cols):
        pivot = next((r for r in range(pivots_done, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[pivots_done], rows[pivot] = rows[pivot], rows[pivots_done]
        lead = rows[pivots_done][col]
        rows[pivots_done] = [x / lead for x in rows[pivots_done]]
        for r in range(len(rows)):
            if r != pivots_done and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivots_done], strict=True)]
        pivots_done += 1
    return rows[:pivots_done]


def _in_row_space(rref: list[list[Fraction]], vec: list[Fraction]) -> bool:
    vec = vec[:]
    for row in rref:
        lead = next(i for i, x in enumerate(row) if x != 0)
        if vec[lead] != 0:
            factor = vec[lead]
            vec = [a - factor * b for a, b in zip(vec, row, strict=True)]
    return all(x == 0 for x in vec)


def _linear_system(published: dict[str, Any]) -> tuple[list[str], list[list[Fraction]]]:
    """Unknowns and equation rows (coefficients only; the right-hand sides do not
    matter for whether an unknown is determined) an attacker can set up."""
    unknowns: list[str] = []
    grand_total_unknown = published["total"]["suppressed"]
    if grand_total_unknown:
        unknowns.append("total")
    equations: list[dict[str, int]] = []
    for name, table in published["tables"].items():
        if name not in PARTITION_NAMES:
            continue  # multi-valued: no equation with the total
        eq: dict[str, int] = {}
        for c in table["cells"]:
            if c["suppressed"]:
                unknowns.append(f"{name}:{c['key']}")
                eq[f"{name}:{c['key']}"] = 1
        # every partition table's total is the grand total
        if table["total"]["suppressed"]:
            eq["total"] = -1
        else:
            assert table["total"]["value"] == published["total"]["value"]
        if eq:
            equations.append(eq)
    index = {u: i for i, u in enumerate(unknowns)}
    rows = []
    for eq in equations:
        row = [Fraction(0)] * len(unknowns)
        for u, coef in eq.items():
            row[index[u]] = Fraction(coef)
        rows.append(row)
    return unknowns, rows


@pytest.mark.parametrize("chunk", range(4))
def test_no_suppressed_cell_can_be_recovered_by_linear_algebra(chunk: int) -> None:
    checked = 0
    for k, data in DATASETS[chunk::4]:
        published = build_tables(data, year=YEAR, k=k)
        internal = build_tables_internal(data, year=YEAR)
        unknowns, rows = _linear_system(published)
        if not unknowns:
            continue
        # sanity: the true values solve the system
        truth = {"total": internal["total"]["value"]}
        for name, table in internal["tables"].items():
            for c in table["cells"]:
                truth[f"{name}:{c['key']}"] = c["value"]
        for name, table in published["tables"].items():
            if name in PARTITION_NAMES:
                visible = sum(c["value"] for c in table["cells"] if not c["suppressed"])
                hidden = sum(truth[f"{name}:{c['key']}"] for c in table["cells"] if c["suppressed"])
                assert visible + hidden == internal["total"]["value"]
        rref = _rref(rows) if rows else []
        for i, unknown in enumerate(unknowns):
            unit = [Fraction(0)] * len(unknowns)
            unit[i] = Fraction(1)
            assert not _in_row_space(rref, unit), (unknown, k, published)
            checked += 1
    assert checked > 500


@pytest.mark.parametrize("chunk", range(2))
def test_suppressed_cells_keep_a_feasible_interval(chunk: int) -> None:
    """Bounds, not only linear algebra: in a table where some cell is shown, the
    attacker knows every hidden cell is >= 1 (zeros are shown).  With a published
    total, a hidden cell lies in [1, S - (m - 1)] (S: sum of the m hidden cells);
    that interval must not collapse to a point."""
    tables_checked = 0
    for k, data in DATASETS[chunk::2]:
        published = build_tables(data, year=YEAR, k=k)
        if published["total"]["suppressed"]:
            continue
        total = published["total"]["value"]
        for name, table in published["tables"].items():
            if name not in PARTITION_NAMES:
                continue
            hidden = [c for c in table["cells"] if c["suppressed"]]
            shown = [c for c in table["cells"] if not c["suppressed"]]
            if not hidden:
                continue
            s = total - sum(c["value"] for c in shown)
            lower = 1 if shown else 0
            upper = s - (len(hidden) - 1) * lower
            assert upper > lower, (name, table)
            if shown:
                # even the rule-aware bound "primary < k" cannot pin a single cell:
                # each hidden cell could be the complementary one (>= k)
                assert upper >= k, (name, table)
            tables_checked += 1
    assert tables_checked > 100


def test_region_roll_up_and_blank_tables_occur_in_the_random_data() -> None:
    # Guards the random generator: the interesting branches must be exercised.
    seen = defaultdict(int)
    for k, data in DATASETS:
        out = build_tables(data, year=YEAR, k=k)
        seen["roll_up"] += "region" in out["tables"]
        seen["small_total"] += out["total"]["suppressed"]
        seen["blank_table"] += any(
            all(c["suppressed"] for c in t["cells"])
            for t in out["tables"].values()
            if not t["total"]["suppressed"]
        )
        seen["secondary"] += any(
            sum(c["suppressed"] for c in t["cells"]) >= 2 for t in out["tables"].values()
        )
    assert all(seen[key] >= 10 for key in ("roll_up", "small_total", "blank_table", "secondary"))
    assert seen["roll_up"] < len(DATASETS)


@pytest.mark.parametrize(("n_cells", "k"), [(2, 3), (3, 3), (4, 3), (5, 3), (3, 4), (4, 4)])
def test_rule_aware_attacker_cannot_pin_a_cell(n_cells: int, k: int) -> None:
    """Exhaustive check of ``protect`` for one partition table with a published
    total (>= k): the attacker knows the rules and enumerates every table with that
    total; among those giving the same published cells, every suppressed cell must
    still take at least two values."""
    top = 2 * k + 1  # large enough for the alternatives the swap argument needs
    groups: dict[tuple[Any, ...], list[tuple[int, ...]]] = defaultdict(list)
    for values in itertools.product(range(top + 1), repeat=n_cells):
        total = sum(values)
        if total < k:
            continue  # the whole year is suppressed then
        hidden = protect(values, k)
        shown = tuple(None if i in hidden else v for i, v in enumerate(values))
        groups[(total, shown)].append(values)
    for (_total, shown), candidates in groups.items():
        for i, cell in enumerate(shown):
            if cell is None:
                possible = {v[i] for v in candidates}
                assert len(possible) >= 2, (shown, candidates)


def test_protect_tables_keeps_true_counts_server_side() -> None:
    counts = aggregate(recs(20) + recs(1, incident_type="threat"), year=YEAR)
    _total, tables = protect_tables(counts, k=3)
    by_name = {t.name: t for t in tables}
    assert [t.name for t in tables] == ["motive", "antisemitism_form", *PARTITIONS]
    threat = next(c for c in by_name["incident_type"].cells if c.key == "threat")
    assert (threat.count, threat.published, threat.suppressed) == (1, None, True)


# ------------------------------------------------- later releases (rules 5 and 6)


def test_publish_records_its_geography() -> None:
    assert build_tables(recs(10), year=YEAR)["geography"] == "district"
    data = [rec(district=ags) for ags in district_keys()[:20]] + recs(30)
    assert build_tables(data, year=YEAR)["geography"] == "region"


def test_geography_argument_overrides_rule_5() -> None:
    data = [rec(district=ags) for ags in district_keys()[:20]] + recs(30)
    counts = aggregate(data, year=YEAR)
    assert "region" in publish(counts, year=YEAR)["tables"]
    as_districts = publish(counts, year=YEAR, geography="district")
    assert as_districts["geography"] == "district"
    assert "region" not in as_districts["tables"]
    as_regions = publish(aggregate(recs(30), year=YEAR), year=YEAR, geography="region")
    assert as_regions["tables"]["region"]["rolled_up_to_regions"] is True
    with pytest.raises(ValueError):
        publish(counts, year=YEAR, geography="county")


def test_without_forced_cells_protect_with_is_protect() -> None:
    for values in ([0, 1, 4, 9], [2, 2, 5, 9], [1, 1, 0], [3, 4, 5], [1, 4, 4, 9]):
        assert protect_with(values, 3, ()) == protect(values, 3)


def test_forced_cell_stays_hidden_whatever_its_value() -> None:
    # was 2 (hidden) in v1, is 3 now: hidden with its old complement, nothing new
    assert protect_with([3, 5, 9, 12], 3, {0, 1}) == {0, 1}
    # a forced cell that dropped to 0 stays hidden too
    assert protect_with([0, 5, 9, 12], 3, {0, 1}) == {0, 1}


def test_forced_cells_need_no_new_complement_when_they_hide_one() -> None:
    # primary 1 beside a forced 7: the forced cell is the complement (protect alone
    # would pick the 5)
    assert protect([1, 5, 7, 20], 3) == {0, 1}
    assert protect_with([1, 5, 7, 20], 3, {2}) == {0, 2}


def test_forced_cells_below_k_still_get_a_complement() -> None:
    # forced 2 and new primary 1: no hidden cell >= k, so the smallest one is added
    assert protect_with([2, 1, 6, 20], 3, {0}) == {0, 1, 2}


def test_lone_forced_cell_gets_a_complement_or_blanks_the_table() -> None:
    assert protect_with([5, 4, 9, 4], 3, {0}) == {0, 1, 3}  # all ties of the smallest
    assert protect_with([5, 0, 0], 3, {0}) == {0, 1, 2}  # nothing to hide behind


def test_forced_cells_do_not_apply_in_a_small_year() -> None:
    counts = aggregate(recs(2), year=YEAR)
    out = publish(counts, year=YEAR, forced={"incident_type": {"threat"}})
    assert out["total"]["suppressed"]
    assert all(c["suppressed"] for t in out["tables"].values() for c in t["cells"])


def test_forced_antisemitism_cell_hides_the_forms_total() -> None:
    data = recs(20) + recs(5, motives=("antisemitism",), antisemitism_forms=("modern",))
    counts = aggregate(data, year=YEAR)
    out = publish(counts, year=YEAR, forced={"motive": {"antisemitism"}})
    assert cells(out, "motive")["antisemitism"]["suppressed"]
    assert out["tables"]["antisemitism_form"]["total"] == {"value": None, "suppressed": True}
