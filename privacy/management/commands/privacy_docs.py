"""Write the privacy documents from the data inventory (`make privacy-docs`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy import documents


class Command(BaseCommand):
    help = "Generate docs/privacy/ from the data inventory; --check only compares."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=Path(settings.BASE_DIR) / documents.OUTPUT,
                            help="Folder to write (default: docs/privacy/ of the project).")
        parser.add_argument("--check", action="store_true",
                            help="Write nothing; fail if the folder differs from a fresh rendering.")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        if options["check"]:
            problems = documents.differences(output)
            if problems:
                raise CommandError("The privacy documents are out of date; run `make privacy-docs`:\n"
                                   + "\n".join(problems))
            self.stdout.write("The privacy documents are current.")
            return
        written = documents.write(output)
        self.stdout.write(f"{len(written)} documents written to {output}.")
