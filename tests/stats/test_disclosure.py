"""Tests for stats.disclosure: the release audit and the release-aware publication path.

No database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stats import tables
from stats.disclosure import (
    EXPOSED,
    PROTECTED,
    UNAUDITED,
    AuditResult,
    Change,
    ReleaseRefused,
    audit_releases,
    publish_release,
)
from stats.tables import IncidentRecord
from tests.helpers import incident_record

YEAR = 2025


def rec(**overrides: Any) -> IncidentRecord:
    return incident_record(**{"year": YEAR, **overrides})


def recs(n: int, **overrides: Any) -> list[IncidentRecord]:
    return [rec(**overrides)] * n


def counts(records: list[IncidentRecord]) -> tables.Counts:
    return tables.aggregate(records, year=YEAR)


def channel_release(values: dict[str, int | None], total: int) -> dict[str, Any]:
    """A hand-made release with one table: ``None`` marks a suppressed cell."""
    cells = [
        {"key": key, "value": values.get(key, 0), "suppressed": values.get(key, 0) is None}
        for key in tables.CHANNELS
    ]
    return {
        "year": YEAR,
        "k": 3,
        "total": {"value": total, "suppressed": False},
        "tables": {
            "channel": {
                "cells": cells,
                "total": {"value": total, "suppressed": False},
                "rolled_up_to_regions": False,
            }
        },
        "suppressed_cells": sum(c["suppressed"] for c in cells),
    }


def interval(result: AuditResult, release: int, table: str, key: str) -> tuple[Any, Any, str]:
    cell = next(
        c for c in result.cells if (c.release, c.table, c.key) == (release, table, key)
    )
    return cell.low, cell.high, cell.status


def cell(release: dict[str, Any], table: str, key: str) -> dict[str, Any]:
    return next(c for c in release["tables"][table]["cells"] if c["key"] == key)


# ------------------------------------------------------------------------ the audit


def test_one_primary_and_one_complement_in_a_single_table_are_protected() -> None:
    # phone 1 (primary) and email 4 (complement) hidden beside online_form 10.
    release = channel_release({"phone": None, "email": None, "online_form": 10}, total=15)
    result = audit_releases([release], [], exact=True)
    assert result.ok
    assert interval(result, 0, "channel", "phone") == (1, 4, PROTECTED)
    assert interval(result, 0, "channel", "email") == (1, 4, PROTECTED)
    assert all(c.exact for c in result.cells)
    assert result.failures == ()


def test_the_fast_audit_reaches_the_same_verdict_with_fewer_solves() -> None:
    release = tables.publish(
        counts(recs(1, channel="phone") + recs(4, channel="email") + recs(10)), year=YEAR
    )
    fast = audit_releases([release], [])
    exact = audit_releases([release], [], exact=True)
    assert fast.ok and exact.ok
    assert fast.solves < exact.solves
    for quick, full in zip(fast.cells, exact.cells, strict=True):
        # a shortcut interval is one the attacker provably cannot rule out
        assert full.low <= quick.low <= quick.high <= full.high


def test_v2_publishing_a_cell_hidden_in_v1_after_one_added_incident_pins_it() -> None:
    v1 = channel_release({"phone": None, "email": None, "online_form": 10}, total=15)
    # One incident was added; it went to online_form, so phone and email did not move.
    v2 = channel_release({"phone": 1, "email": 4, "online_form": 11}, total=16)
    result = audit_releases([v1, v2], [Change(added=1, removed=0, modified=0)])
    assert not result.ok
    assert not result.timed_out
    assert interval(result, 0, "channel", "phone") == (1, 1, EXPOSED)
    assert interval(result, 0, "channel", "email") == (4, 4, EXPOSED)
    assert {(c.table, c.key) for c in result.failures} == {("channel", "phone"), ("channel", "email")}


def test_v2_publishing_a_grown_cell_narrows_v1_below_k() -> None:
    v1 = channel_release({"phone": None, "email": None, "online_form": 10}, total=16)
    v2 = channel_release({"phone": 3, "email": 4, "online_form": 10}, total=17)
    result = audit_releases([v1, v2], [Change(added=1, removed=0, modified=0)])
    assert interval(result, 0, "channel", "phone") == (2, 3, EXPOSED)


def test_releases_with_different_geographies_are_linked_by_the_region_sums() -> None:
    # The review's Goslar case: districts in v1, regions in v2 (nothing changed).
    data = (
        recs(10, district="03101")
        + recs(1, district="03102")
        + recs(3, district="03241")
        + recs(20, district="03401")
    )
    v1 = tables.publish(counts(data), year=YEAR, geography="district")
    v2 = tables.publish(counts(data), year=YEAR, geography="region")
    assert cell(v1, "district", "03102")["suppressed"]
    assert cell(v2, "region", "DE91")["value"] == 11
    result = audit_releases([v1, v2], [Change(0, 0, 0)])
    assert interval(result, 0, "district", "03102") == (1, 1, EXPOSED)
    assert audit_releases([v1], []).ok


def test_change_sizes_that_contradict_the_totals_fail_the_audit() -> None:
    v1 = channel_release({"phone": None, "email": None, "online_form": 10}, total=15)
    v2 = channel_release({"phone": None, "email": None, "online_form": 10}, total=16)
    result = audit_releases([v1, v2], [Change(0, 0, 0)])
    assert not result.ok
    assert result.error == "infeasible"
    assert {c.status for c in result.cells} == {UNAUDITED}


def test_a_tiny_time_limit_fails_the_audit_and_never_passes() -> None:
    release = channel_release({"phone": None, "email": None, "online_form": 10}, total=15)
    result = audit_releases([release], [], time_limit=1e-6)
    assert not result.ok
    assert result.timed_out
    assert len(result.failures) == 2
    # even with nothing suppressed, an audit that could not run does not pass
    plain = channel_release({"online_form": 10}, total=10)
    assert not audit_releases([plain], [], time_limit=1e-6).ok


def test_audit_result_serialises_to_json() -> None:
    v1 = channel_release({"phone": None, "email": None, "online_form": 10}, total=15)
    v2 = channel_release({"phone": 1, "email": 4, "online_form": 11}, total=16)
    result = audit_releases([v1, v2], [Change(1, 0, 0)])
    stored = json.loads(json.dumps(result.as_dict()))
    assert stored["ok"] is False
    assert stored["releases"] == 2
    assert {"release": 0, "table": "channel", "key": "phone", "low": 1, "high": 1, "width": 1,
            "required": 3, "exact": True, "status": "exposed"} in stored["failures"]
    summary = result.summary()
    assert json.loads(json.dumps(summary)) == summary
    passing = audit_releases([v1], [])
    assert passing.ok
    assert json.loads(json.dumps(passing.as_dict()))["cells"] == [
        c.as_dict() for c in passing.cells
    ]
    assert all(type(c.exact) is bool for c in passing.cells)
    assert summary["cells_audited"] == 2
    assert summary["min_width"] == 1
    assert summary["failures"] == 2


def test_change_sizes_must_be_non_negative_integers() -> None:
    with pytest.raises(ValueError):
        Change(-1, 0, 0)
    with pytest.raises(ValueError):
        Change(1.0, 0, 0)  # type: ignore[arg-type]


# --------------------------------------------------------------------- release path


def year_with_a_small_threat_cell() -> list[IncidentRecord]:
    return (
        recs(2, incident_type="threat", channel="phone")
        + recs(4, incident_type="mass_mailing", channel="email")
        + recs(20, incident_type="offensive_behaviour")
        + recs(10, incident_type="discrimination", channel="in_person")
    )


def test_first_release_is_the_ordinary_protection_plus_its_audit() -> None:
    data = year_with_a_small_threat_cell()
    release, audit = publish_release(counts(data), year=YEAR, k=3)
    plain = tables.publish(counts(data), year=YEAR, k=3)
    assert audit.ok
    assert release["tables"] == plain["tables"]
    assert release["geography"] == "district"
    assert release["release_aware"] is True


def test_sticky_suppression_keeps_a_cell_hidden_in_v2() -> None:
    data = year_with_a_small_threat_cell()
    v1, _ = publish_release(counts(data), year=YEAR)
    assert cell(v1, "incident_type", "threat")["suppressed"]
    data2 = [*data, rec(incident_type="threat", channel="phone")]
    # on its own, v2 would publish threat = 3 and give v1's 2 away
    assert tables.publish(counts(data2), year=YEAR)["tables"]["incident_type"]["cells"][3] == {
        "key": "threat", "value": 3, "suppressed": False}
    v2, audit = publish_release(counts(data2), year=YEAR, previous=[v1], changes=[Change(1, 0, 0)])
    assert cell(v2, "incident_type", "threat") == {"key": "threat", "value": None, "suppressed": True}
    assert cell(v2, "incident_type", "mass_mailing")["suppressed"]  # and its complement
    assert audit.ok
    assert audit.releases == 2


def test_sticky_cell_that_dropped_to_zero_stays_hidden() -> None:
    data = year_with_a_small_threat_cell()
    v1, _ = publish_release(counts(data), year=YEAR)
    data2 = [r for r in data if r.incident_type != "threat"] + recs(
        2, incident_type="discrimination", channel="in_person"
    )
    v2, audit = publish_release(
        counts(data2), year=YEAR, previous=[v1], changes=[Change(0, 0, 2)]
    )
    assert cell(v2, "incident_type", "threat")["suppressed"]
    assert audit.ok


def test_geography_stays_fixed_across_releases_even_when_rule_5_would_flip() -> None:
    # v1: most districts hold one or two incidents, so rule 5 rolls up to regions.
    small = [rec(district=ags) for ags in tables.district_keys()[:20]]
    v1_data = small + recs(30, district="03241") + recs(5, district="03101")
    v1, _ = publish_release(counts(v1_data), year=YEAR)
    assert v1["geography"] == "region"
    # v2: late reports make every district large; on its own v2 would show districts.
    late = [rec(district=ags) for ags in tables.district_keys()[:20] for _ in range(3)]
    v2_data = v1_data + late
    assert "district" in tables.publish(counts(v2_data), year=YEAR)["tables"]
    v2, audit = publish_release(
        counts(v2_data), year=YEAR, previous=[v1], changes=[Change(len(late), 0, 0)]
    )
    assert v2["geography"] == "region"
    assert "district" not in v2["tables"]
    assert v2["tables"]["region"]["rolled_up_to_regions"] is True
    assert audit.ok


def test_geography_of_a_first_release_with_districts_stays_districts() -> None:
    v1_data = [rec(district=ags) for ags in tables.district_keys() for _ in range(4)]
    v1, _ = publish_release(counts(v1_data), year=YEAR)
    assert v1["geography"] == "district"
    # many districts drop to one incident: rule 5 alone would roll up
    v2_data = [rec(district=ags) for ags in tables.district_keys()[:20] for _ in range(4)]
    v2_data += [rec(district=ags) for ags in tables.district_keys()[20:]]
    assert "region" in tables.publish(counts(v2_data), year=YEAR)["tables"]
    removed = len(v1_data) - len(v2_data)
    v2, audit = publish_release(
        counts(v2_data), year=YEAR, previous=[v1], changes=[Change(0, removed, 0)]
    )
    assert v2["geography"] == "district"
    assert "region" not in v2["tables"]
    assert audit.ok


def test_a_late_report_in_a_cell_published_as_zero_is_refused_naming_the_cell() -> None:
    data = year_with_a_small_threat_cell()
    v1, _ = publish_release(counts(data), year=YEAR)
    assert cell(v1, "channel", "api") == {"key": "api", "value": 0, "suppressed": False}
    # The late report is the only api incident: with "one incident added" known, any
    # way of hiding it leaves the attacker knowing api = 1.
    data2 = [*data, rec(channel="api", incident_type="offensive_behaviour")]
    with pytest.raises(ReleaseRefused) as refused:
        publish_release(counts(data2), year=YEAR, previous=[v1], changes=[Change(1, 0, 0)])
    assert (1, "channel", "api") in refused.value.cells
    assert refused.value.audit.ok is False
    assert not refused.value.audit.timed_out
    failure = next(c for c in refused.value.audit.failures if c.key == "api")
    assert (failure.low, failure.high) == (1, 1)


def test_a_tiny_time_limit_refuses_the_release() -> None:
    data = year_with_a_small_threat_cell()
    with pytest.raises(ReleaseRefused) as refused:
        publish_release(counts(data), year=YEAR, time_limit=1e-6)
    assert refused.value.audit.timed_out
    assert refused.value.audit.error == "time_limit"
    v1, _ = publish_release(counts(data), year=YEAR)
    with pytest.raises(ReleaseRefused):
        publish_release(
            counts([*data, rec()]), year=YEAR, previous=[v1], changes=[Change(1, 0, 0)],
            time_limit=1e-6,
        )


def test_previous_releases_must_match_the_changes_and_the_year() -> None:
    data = year_with_a_small_threat_cell()
    v1, _ = publish_release(counts(data), year=YEAR)
    with pytest.raises(ValueError):
        publish_release(counts(data), year=YEAR, previous=[v1], changes=[])
    with pytest.raises(ValueError):
        publish_release(
            tables.aggregate([], year=YEAR + 1), year=YEAR + 1, previous=[v1],
            changes=[Change(0, 0, 0)],
        )


def test_unstick_shows_a_once_hidden_cell_again_after_a_large_change() -> None:
    data = year_with_a_small_threat_cell()
    v1, _ = publish_release(counts(data), year=YEAR)
    late = recs(30, incident_type="threat", channel="email")
    data2 = data + late
    change = [Change(len(late), 0, 0)]
    kept, _ = publish_release(counts(data2), year=YEAR, previous=[v1], changes=change)
    assert cell(kept, "incident_type", "threat")["suppressed"]
    shown, audit = publish_release(
        counts(data2), year=YEAR, previous=[v1], changes=change, unstick=True
    )
    assert cell(shown, "incident_type", "threat") == {
        "key": "threat", "value": 32, "suppressed": False}
    assert audit.ok
    assert audit_releases([v1, shown], change, exact=True).ok


def test_unstick_keeps_hidden_what_would_narrow_an_earlier_cell() -> None:
    data = year_with_a_small_threat_cell()
    v1, _ = publish_release(counts(data), year=YEAR)
    data2 = [*data, rec(incident_type="threat", channel="phone")]
    v2, audit = publish_release(
        counts(data2), year=YEAR, previous=[v1], changes=[Change(1, 0, 0)], unstick=True
    )
    assert cell(v2, "incident_type", "threat")["suppressed"]
    assert audit.ok
