"""Rotate an organisation's key now (SPEC §3.9, §8 "rotate keys").

The server holds no organisation key at rest, so the command must be given one: a member's
password (`--username`, password on stdin or in MELDESTELLE_PASSWORD) or the organisation's
recovery code (MELDESTELLE_RECOVERY_CODE). Organisations created before key epochs need the
recovery code once (it derives their recovery public key).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from counselling.keys import org_key_rotate
from counselling.management.commands._staff import read_password
from counselling.models import Membership
from counselling.services import member_unlock
from reporting.models import Organisation
from reporting.services import RotationReason, ServiceError, organisation_private_key_from_recovery


class Command(BaseCommand):
    help = (
        "Rotate an organisation's key: a new key epoch, every case re-sealed, every member with key "
        "access re-granted (at their next login), the old epoch's wraps destroyed. Needs the current "
        "key: --username of a member with key access (password on stdin or MELDESTELLE_PASSWORD), "
        "or the recovery code in MELDESTELLE_RECOVERY_CODE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="organisation slug")
        parser.add_argument("--username", help="a member of the organisation with key access")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["partner"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug {options['partner']!r}.")
        recovery = os.environ.get("MELDESTELLE_RECOVERY_CODE") or None
        actor = None
        try:
            if recovery:
                private_key = organisation_private_key_from_recovery(organisation=organisation, recovery_code=recovery)
            elif options["username"]:
                membership = Membership.objects.select_related("user", "organisation").filter(
                    user__username=options["username"], organisation=organisation, user__is_active=True
                ).first()
                if membership is None:
                    raise CommandError(f"{options['username']!r} is no active member of {organisation.slug!r}.")
                password = read_password()
                if not membership.user.check_password(password):
                    raise CommandError("The password is not right.")
                private_key = member_unlock(membership=membership, password=password)
                actor = membership.user
            else:
                raise CommandError("Give --username (a member with key access) or MELDESTELLE_RECOVERY_CODE.")
            result = org_key_rotate(actor=actor, organisation=organisation, org_private_key=private_key,
                                    reason=RotationReason.ON_DEMAND, recovery_code=recovery)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        rotated = result.rotated
        self.stdout.write(
            f"Rotated {organisation.slug} to key version {rotated.key.version}: "
            f"{rotated.resealed_grants} case grants re-sealed, {len(result.regranted)} members re-granted "
            "(they get the new key at their next login); the old version's wraps are destroyed."
        )
        if result.refused:
            self.stderr.write(
                f"{len(result.refused)} members were not re-granted: their public key failed its check "
                f"(membership ids {', '.join(map(str, result.refused))}). Grant them again after investigating."
            )
