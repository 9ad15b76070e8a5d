"""Create a counsellor (or partner admin) of an organisation; prints the TOTP URI."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from counselling.management.commands._staff import print_totp, read_password
from counselling.models import Membership
from counselling.services import member_create
from reporting.models import Organisation
from reporting.services import ServiceError, organisation_private_key_from_recovery


class Command(BaseCommand):
    help = (
        "Create a counsellor. Password from stdin or MELDESTELLE_PASSWORD. With the organisation's "
        "recovery code in MELDESTELLE_RECOVERY_CODE the account gets key access at once; otherwise "
        "an unlocked partner admin grants it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="organisation slug")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--admin", action="store_true", help="partner admin")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["partner"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {options['partner']!r}.")
        password = read_password()
        private_key = None
        recovery = os.environ.get("MELDESTELLE_RECOVERY_CODE")
        try:
            if recovery:
                private_key = organisation_private_key_from_recovery(organisation=org, recovery_code=recovery)
            created = member_create(
                actor=None, organisation=org, username=options["username"], password=password,
                email=options["email"],
                role=Membership.Role.PARTNER_ADMIN if options["admin"] else Membership.Role.COUNSELLOR,
                org_private_key=private_key,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        print_totp(self, created)
        if private_key is None:
            self.stdout.write("No key access yet: a partner admin must grant it (or rerun with the recovery code).")
