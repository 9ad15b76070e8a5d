"""Provisional figures are scheduled, frozen, audited releases (issue 11 item 5)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_q.models import Schedule

from stats.models import Publication
from stats.services import provisional_release_take
from stats.tasks import take_provisional_release


def test_the_daily_schedule_runs_the_provisional_task(db: None) -> None:
    schedule = Schedule.objects.get(name="statistics-provisional")
    assert schedule.func == "stats.tasks.take_provisional_release"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats < 0


@pytest.mark.parametrize(
    ("schedule", "today", "expected_year"),
    [
        ("quarterly", date(2026, 4, 1), 2026),
        ("quarterly", date(2026, 1, 1), 2025),  # the snapshot of the year that just ended
        ("monthly", date(2026, 6, 1), 2026),
    ],
)
def test_a_release_day_publishes_a_provisional_snapshot(
    schedule: str, today: date, expected_year: int, settings: Any, fallback_org: Any, submit: Any,
    classify: Any,
) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = schedule
    for _ in range(4):
        classify(submit().case, year=expected_year, month=1)
    publication = provisional_release_take(today=today)
    assert publication is not None
    assert (publication.year, publication.version, publication.provisional) == (expected_year, 1, True)
    assert publication.audit["ok"]
    # The same day again takes nothing more.
    assert provisional_release_take(today=today) is None
    assert Publication.objects.count() == 1


@pytest.mark.parametrize(
    ("schedule", "today"),
    [("quarterly", date(2026, 5, 1)), ("quarterly", date(2026, 4, 2)), ("off", date(2026, 4, 1))],
)
def test_other_days_publish_nothing(
    schedule: str, today: date, settings: Any, fallback_org: Any, submit: Any, classify: Any
) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = schedule
    classify(submit().case, year=2026, month=1)
    assert provisional_release_take(today=today) is None
    assert not Publication.objects.exists()


def test_no_snapshot_after_the_annual_release_or_of_an_empty_year(
    settings: Any, fallback_org: Any, submit: Any, classify: Any
) -> None:
    from stats.services import statistics_publish

    assert provisional_release_take(today=date(2026, 1, 1)) is None  # nothing counted in 2025
    for _ in range(3):
        classify(submit().case, year=2025, month=2)
    statistics_publish(actor=None, year=2025)
    assert provisional_release_take(today=date(2026, 1, 1)) is None
    assert Publication.objects.count() == 1


def test_a_refused_snapshot_is_logged_and_publishes_nothing(
    settings: Any, fallback_org: Any, submit: Any, classify: Any, caplog: Any
) -> None:
    settings.STATS_AUDIT_TIME_LIMIT = 1e-9
    classify(submit().case, year=2026, month=1)
    assert provisional_release_take(today=date(2026, 4, 1)) is None
    assert not Publication.objects.exists()
    assert any(r.levelname == "ERROR" and "refused" in r.getMessage() for r in caplog.records)


def test_the_task_uses_todays_date(db: None) -> None:
    assert take_provisional_release() is None  # no counted incidents: nothing to publish
