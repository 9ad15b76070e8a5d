"""Daily django-q2 schedules of every app, created idempotently by data migrations.

Kept free of model imports (migrations pass their historical `apps`) so that the migrations
that use it stay valid whatever the models become.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

RUN_ZONE = ZoneInfo("Europe/Berlin")


def next_daily_run(now: datetime, run_at: time) -> datetime:
    """The next `run_at` (Berlin time) after `now`."""
    local_now = now.astimezone(RUN_ZONE)
    candidate = datetime.combine(local_now.date(), run_at, tzinfo=RUN_ZONE)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), run_at, tzinfo=RUN_ZONE)
    return candidate


def _schedule_operations(name: str, func: str, schedule_type: str, first_run: Any, **extra: Any) -> tuple[Any, Any]:
    """(create, remove) functions for migrations.RunPython; `first_run(now)` gives `next_run`."""

    def create(apps: Any, schema_editor: Any) -> None:
        # update_or_create by name: running it again (or after a manual change) leaves one row.
        apps.get_model("django_q", "Schedule").objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "repeats": -1,
                      "next_run": first_run(timezone.now()), **extra},
        )

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_q", "Schedule").objects.filter(name=name).delete()

    return create, remove


def daily_schedule_operations(name: str, func: str, run_at: time) -> tuple[Any, Any]:
    """A schedule that runs every day at `run_at`, Berlin time."""
    return _schedule_operations(name, func, "D", lambda now: next_daily_run(now, run_at))  # Schedule.DAILY


def hourly_schedule_operations(name: str, func: str) -> tuple[Any, Any]:
    """A schedule that runs every hour, at a quarter past."""
    return _schedule_operations(  # Schedule.HOURLY
        name, func, "H", lambda now: now.replace(minute=15, second=0, microsecond=0) + timedelta(hours=1),
    )


def minutely_schedule_operations(name: str, func: str) -> tuple[Any, Any]:
    """A schedule that runs every minute (a backstop for work normally queued at once)."""
    return _schedule_operations(  # Schedule.MINUTES
        name, func, "I", lambda now: now.replace(second=0, microsecond=0) + timedelta(minutes=1), minutes=1,
    )
