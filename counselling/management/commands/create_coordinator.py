"""Create the state coordinator account; prints the TOTP URI."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from counselling.management.commands._staff import print_totp, read_password
from counselling.models import Membership
from counselling.services import member_create
from reporting.services import ServiceError


class Command(BaseCommand):
    help = "Create a coordinator. Password from stdin or MELDESTELLE_PASSWORD."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = member_create(
                actor=None, organisation=None, username=options["username"], password=read_password(),
                email=options["email"], role=Membership.Role.COORDINATOR,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        print_totp(self, created)
