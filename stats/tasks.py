"""Tasks run by the django-q2 cluster: dumb wrappers that call a service."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from meldestelle.schedules import RUN_ZONE
from stats.services import provisional_release_take


def take_provisional_release() -> int | None:
    """Daily (schedule "statistics-provisional", created by a migration): on the days of the
    provisional schedule, freeze and publish a snapshot of the year up to yesterday; returns
    its version, or None on other days."""
    today: date = timezone.now().astimezone(RUN_ZONE).date()
    publication = provisional_release_take(today=today)
    return publication.version if publication is not None else None
