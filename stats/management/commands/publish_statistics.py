"""Publish (freeze) the public statistics of a year as a new release, after the audit."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.services import ServiceError
from stats.services import PublicationRefused, statistics_publish


class Command(BaseCommand):
    help = (
        "Freeze the public statistics of a year into a new release. The release is audited "
        "together with every earlier release of the year; a release the audit refuses is not "
        "published and the command exits non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--note", default="", help="What changed (required for corrections).")
        parser.add_argument("--provisional", action="store_true",
                            help="A provisional snapshot of a year still running.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            publication = statistics_publish(
                actor=None, year=options["year"], note=options["note"],
                provisional=options["provisional"],
            )
        except PublicationRefused as refused:
            for version, table, code in refused.cells:
                self.stderr.write(f"  not protected: version {version}, table {table}, cell {code}")
            raise CommandError(refused.message) from refused
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        total = publication.tables["total"]
        shown = "not published (small year)" if total["suppressed"] else total["value"]
        summary = publication.audit.get("summary", {})
        kind = "provisional release" if publication.provisional else "version"
        self.stdout.write(
            f"Published {publication.year} {kind} {publication.version}: {shown} incidents, "
            f"{publication.tables['suppressed_cells']} cells suppressed, geography "
            f"{publication.geography}."
        )
        self.stdout.write(
            f"Audit over {publication.version} release(s): {summary.get('cells_audited', 0)} hidden "
            f"cells checked, each with at least {summary.get('min_values')} possible values, "
            f"{summary.get('failures', 0)} failures, {summary.get('seconds', 0)} s."
        )
