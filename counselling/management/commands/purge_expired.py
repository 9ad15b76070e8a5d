"""Crypto-shred the cases whose retention period has run out (SPEC §5)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from counselling.retention import cases_due_for_deletion, retention_purge


class Command(BaseCommand):
    help = "Crypto-shred closed cases whose retention period has run out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only print how many cases are due; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["dry_run"]:
            count = cases_due_for_deletion(now).count()
            self.stdout.write(f"{count} case(s) due for deletion (dry run, nothing deleted).")
            return
        shredded = retention_purge(now=now)
        self.stdout.write(f"{shredded} case(s) crypto-shredded.")
