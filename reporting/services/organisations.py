"""Organisations: creation (with the first key epoch and the recovery key) and settings.
Keys, epochs and grants are in `reporting.services.keys`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import Organisation
from reporting.services.keys import org_key_store, recovery_public_key_store

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Organisations and their keys


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    recovery_code: str
    private_key: bytes  # handed back once so the caller can grant first members; never stored


def organisation_create(
    *,
    actor: Any | None,
    slug: str,
    name: str,
    statewide: bool = True,
    districts: Sequence[str] = (),
    all_motives: bool = True,
    motives: Sequence[str] = (),
    languages: Sequence[str] = ("de",),
    is_fallback: bool = False,
    is_demo: bool = False,
    public_contact: str = "",
) -> NewOrganisation:
    keypair = crypto.new_org_keypair()
    recovery_code = crypto.new_recovery_code()
    with transaction.atomic():
        if is_fallback:
            Organisation.objects.filter(is_fallback=True).update(is_fallback=False)
        org = Organisation.objects.create(
            slug=slug, name=name, statewide=statewide, districts=sorted(set(districts)),
            all_motives=all_motives, motives=sorted(set(motives)), languages=list(languages),
            is_fallback=is_fallback, is_demo=is_demo, public_contact=public_contact,
        )
        # Only the public half of the recovery keypair is kept; the code is shown once.
        recovery_public_key_store(org, recovery_code)
        org_key_store(org, version=1, keypair=keypair)
        audit_log(actor=actor, action=AuditAction.ORGANISATION_CREATED, organisation_id=org.pk)
    return NewOrganisation(organisation=org, recovery_code=recovery_code, private_key=keypair.private_key)


def organisation_update(*, actor: Any, organisation: Organisation, **fields: Any) -> Organisation:
    allowed = {
        "name", "active", "statewide", "districts", "all_motives", "motives", "languages",
        "public_contact", "retention_days", "rejected_retention_days", "reply_deadline_days",
        "is_fallback",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    with transaction.atomic():
        if fields.get("is_fallback"):
            Organisation.objects.filter(is_fallback=True).exclude(pk=organisation.pk).update(is_fallback=False)
        for name, value in fields.items():
            setattr(organisation, name, value)
        organisation.save(update_fields=list(fields))
        audit_log(
            actor=actor, action=AuditAction.ORGANISATION_UPDATED, organisation_id=organisation.pk,
            data={"fields": sorted(fields)},
        )
    return organisation
