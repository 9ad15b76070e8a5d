"""Moved to ``meldestelle.schedules`` (shared by every app); kept until the last import moves."""

from meldestelle.schedules import RUN_ZONE, daily_schedule_operations, next_daily_run

__all__ = ["RUN_ZONE", "daily_schedule_operations", "next_daily_run"]
