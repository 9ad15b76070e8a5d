"""Publish (freeze) the public statistics of a year as a new version."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.services import ServiceError
from stats.services import statistics_publish


class Command(BaseCommand):
    help = "Freeze the public statistics of a year into a new published version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--note", default="", help="What changed (required for corrections).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            publication = statistics_publish(actor=None, year=options["year"], note=options["note"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        total = publication.tables["total"]
        shown = f"fewer than {publication.k}" if total["suppressed"] else total["value"]
        self.stdout.write(
            f"Published {publication.year} version {publication.version}: {shown} incidents, "
            f"{publication.tables['suppressed_cells']} cells suppressed."
        )
