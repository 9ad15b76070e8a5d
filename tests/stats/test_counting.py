"""Counting rules of SPEC §6, end to end through records in the database."""

from __future__ import annotations

from typing import Any

from reporting.services import case_set_status, case_shred
from stats.selectors import DashboardFilter, internal_tables, live_public_tables


def cell(tables: dict[str, Any], table: str, key: str) -> Any:
    return next(c["value"] for c in tables["tables"][table]["cells"] if c["key"] == key)


def internal(year: int = 2024) -> dict[str, Any]:
    return internal_tables(DashboardFilter(year=year))


def test_the_unit_is_the_incident_duplicates_count_once(fallback_org, submit, classify) -> None:
    original = submit().case
    duplicate = submit().case
    duplicate.duplicate_of = original
    duplicate.save()
    classify(original)
    classify(duplicate)
    assert internal()["total"]["value"] == 1


def test_incidents_count_in_the_year_they_happened(fallback_org, submit, classify) -> None:
    classify(submit().case, year=2023, month=12)
    classify(submit().case, year=2024, month=1)
    assert internal(2023)["total"]["value"] == 1
    assert internal(2024)["total"]["value"] == 1
    assert cell(internal(2023), "month", "12") == 1
    assert cell(internal(2024), "month", "1") == 1


def test_several_motives_count_once_in_total_and_once_per_motive(
    fallback_org, submit, classify
) -> None:
    classify(submit().case, motives=["racism", "antisemitism"])
    classify(submit().case, motives=["racism"])
    tables = internal()
    assert tables["total"]["value"] == 2
    assert cell(tables, "motive", "racism") == 2
    assert cell(tables, "motive", "antisemitism") == 1
    assert cell(tables, "incident_type", "assault") == 2


def test_rejected_cases_never_count(fallback_org, submit, classify) -> None:
    rejected_first = submit().case
    case_set_status(actor=None, case=rejected_first, status="rejected")
    rejected_first.refresh_from_db()
    classify(rejected_first)
    rejected_later = submit().case
    classify(rejected_later)
    assert internal()["total"]["value"] == 1
    case_set_status(actor=None, case=rejected_later, status="rejected")
    assert internal()["total"]["value"] == 0


def test_rejected_case_stays_uncounted_after_shredding(fallback_org, submit, classify) -> None:
    case = submit().case
    record = classify(case)
    case_set_status(actor=None, case=case, status="rejected")
    case_shred(actor=None, case=case, reason="retention")
    record.refresh_from_db()
    assert record.case_id is None
    assert record.excluded
    assert internal()["total"]["value"] == 0


def test_only_classified_incidents_count(fallback_org, submit, classify) -> None:
    submit()
    submit()
    classify(submit().case)
    assert internal()["total"]["value"] == 1


def test_reopened_case_counts_again(fallback_org, submit, classify) -> None:
    case = submit().case
    classify(case)
    case_set_status(actor=None, case=case, status="rejected")
    case_set_status(actor=None, case=case, status="in_progress")
    assert internal()["total"]["value"] == 1


def test_public_tables_suppress_small_cells(fallback_org, submit, classify) -> None:
    for _ in range(4):
        classify(submit().case, motives=["racism"])
    classify(submit().case, motives=["antisemitism"], incident_type="threat")
    public = live_public_tables(2024)
    assert public["total"]["value"] == 5
    threat = next(c for c in public["tables"]["incident_type"]["cells"] if c["key"] == "threat")
    assert threat == {"key": "threat", "value": None, "suppressed": True}
