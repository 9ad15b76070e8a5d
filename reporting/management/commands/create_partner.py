"""Create a partner organisation with its keypair; prints the recovery code once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting import places
from reporting.models import Organisation
from reporting.services import organisation_create
from reporting.taxonomy import REPORTER_LANGUAGES, Motive


def parse_list(value: str, allowed: set[str], what: str) -> list[str] | None:
    """None for "all", else the checked list."""
    if value.strip().lower() == "all":
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    unknown = sorted(set(items) - allowed)
    if unknown:
        raise CommandError(f"Unknown {what}: {', '.join(unknown)}")
    return items


class Command(BaseCommand):
    help = "Create a partner organisation (prints its recovery code once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--districts", default="all", help="AGS keys, comma-separated, or 'all'")
        parser.add_argument("--motives", default="all", help="motive codes, comma-separated, or 'all'")
        parser.add_argument("--languages", default="de")
        parser.add_argument("--fallback", action="store_true", help="receives what nobody else covers")
        parser.add_argument("--demo", action="store_true", help=str(Organisation._meta.get_field("is_demo").verbose_name))

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"An organisation with slug {options['slug']!r} exists already.")
        districts = parse_list(options["districts"], set(places.district_keys()), "districts")
        motives = parse_list(options["motives"], set(Motive.values), "motives")
        languages = parse_list(options["languages"], set(REPORTER_LANGUAGES), "languages") or list(REPORTER_LANGUAGES)
        created = organisation_create(
            actor=None,
            slug=options["slug"],
            name=options["name"],
            statewide=districts is None,
            districts=districts or [],
            all_motives=motives is None,
            motives=motives or [],
            languages=languages,
            is_fallback=options["fallback"],
            is_demo=options["demo"],
        )
        self.stdout.write(f"Created {created.organisation.name} ({created.organisation.slug}).")
        self.stdout.write("Recovery code (shown once; print it and keep it safe):")
        self.stdout.write(f"    {created.recovery_code}")
