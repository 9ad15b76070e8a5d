"""Counting rules of SPEC §6, end to end through records in the database."""

from __future__ import annotations

from typing import Any

from reporting.services import (
    case_mark_duplicate,
    case_set_status,
    case_shred,
    case_unmark_duplicate,
)
from stats.selectors import DashboardFilter, internal_tables
from stats.services import statistics_publish


def cell(tables: dict[str, Any], table: str, key: str) -> Any:
    return next(c["value"] for c in tables["tables"][table]["cells"] if c["key"] == key)


def internal(year: int = 2024) -> dict[str, Any]:
    return internal_tables(DashboardFilter(year=year))


def test_the_unit_is_the_incident_duplicates_count_once(fallback_org, submit, classify) -> None:
    original = submit().case
    duplicate = submit().case
    case_mark_duplicate(actor=None, case=duplicate, original=original)
    classify(original)
    classify(duplicate)
    assert internal()["total"]["value"] == 1


# The review's scenarios (reviews/statistics.md F1: D3, D4, D5) as regressions.


def _classified_pair(submit: Any, classify: Any) -> tuple[Any, Any]:
    original, duplicate = submit().case, submit().case
    classify(original, incident_type="assault")
    classify(duplicate, incident_type="threat")
    case_mark_duplicate(actor=None, case=duplicate, original=original)
    return original, duplicate


def test_pair_counts_once_after_the_original_is_deleted(fallback_org, submit, classify) -> None:
    original, duplicate = _classified_pair(submit, classify)
    case_shred(actor=None, case=original, reason="reporter")
    tables = internal()
    assert tables["total"]["value"] == 1
    assert cell(tables, "incident_type", "assault") == 1
    assert cell(tables, "incident_type", "threat") == 0


def test_pair_counts_once_after_the_duplicate_is_deleted(fallback_org, submit, classify) -> None:
    original, duplicate = _classified_pair(submit, classify)
    case_shred(actor=None, case=duplicate, reason="retention")
    assert internal()["total"]["value"] == 1
    case_shred(actor=None, case=original, reason="retention")
    assert internal()["total"]["value"] == 1


def test_classified_duplicate_of_an_unclassified_case_still_counts(
    fallback_org, submit, classify
) -> None:
    unclassified, classified = submit().case, submit().case
    classify(classified, incident_type="threat")
    case_mark_duplicate(actor=None, case=classified, original=unclassified)
    tables = internal()
    assert tables["total"]["value"] == 1
    assert cell(tables, "incident_type", "threat") == 1


def test_rejected_then_reopened_case_counts_once(fallback_org, submit, classify) -> None:
    case = submit().case
    classify(case)
    case_set_status(actor=None, case=case, status="rejected")
    assert internal()["total"]["value"] == 0
    case_set_status(actor=None, case=case, status="in_progress")
    assert internal()["total"]["value"] == 1


def test_unmarked_duplicate_is_an_incident_of_its_own(fallback_org, submit, classify) -> None:
    original, duplicate = submit().case, submit().case
    case_mark_duplicate(actor=None, case=duplicate, original=original)
    classify(original)
    case_unmark_duplicate(actor=None, case=duplicate)
    assert internal()["total"]["value"] == 1  # the duplicate is not classified yet
    classify(duplicate, incident_type="threat")
    assert internal()["total"]["value"] == 2


def test_incident_counts_while_any_of_its_cases_is_not_rejected(fallback_org, submit, classify) -> None:
    original, duplicate = _classified_pair(submit, classify)
    case_set_status(actor=None, case=original, status="rejected")
    assert internal()["total"]["value"] == 1
    case_set_status(actor=None, case=duplicate, status="rejected")
    assert internal()["total"]["value"] == 0


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
    assert not record.incident.cases.exists()
    assert not record.incident.counts
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
    public = statistics_publish(actor=None, year=2024).tables
    assert public["total"]["value"] == 5
    threat = next(c for c in public["tables"]["incident_type"]["cells"] if c["key"] == "threat")
    assert threat == {"key": "threat", "value": None, "suppressed": True}
