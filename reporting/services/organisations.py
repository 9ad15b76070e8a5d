"""Organisations, their versioned keypairs, recovery, and the grants that seal case keys
to them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import (
    Case,
    CaseGrant,
    Organisation,
    OrganisationKey,
)
from reporting.services.common import (
    PURPOSE_CASE_KEY,
    PURPOSE_INTERNAL_KEY,
    PURPOSE_RECOVERY_WRAP,
    CaseKeys,
    ServiceError,
    case_binding,
)

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
        _store_org_key(org, version=1, keypair=keypair, recovery_code=recovery_code)
        audit_log(actor=actor, action=AuditAction.ORGANISATION_CREATED, organisation_id=org.pk)
    return NewOrganisation(organisation=org, recovery_code=recovery_code, private_key=keypair.private_key)


def _store_org_key(
    org: Organisation, *, version: int, keypair: crypto.OrgKeypair, recovery_code: str
) -> OrganisationKey:
    kek = crypto.recovery_kek(recovery_code, organisation_id=org.pk)
    return OrganisationKey.objects.create(
        organisation=org,
        version=version,
        public_key=keypair.public_key,
        wrapped_by_recovery=crypto.wrap_key(
            kek, keypair.private_key, owner=f"org:{org.pk}:v{version}", purpose=PURPOSE_RECOVERY_WRAP
        ),
    )


def organisation_private_key_from_recovery(*, organisation: Organisation, recovery_code: str) -> bytes:
    key = organisation.current_key
    try:
        kek = crypto.recovery_kek(recovery_code, organisation_id=organisation.pk)
        return crypto.unwrap_key(
            kek, bytes(key.wrapped_by_recovery),
            owner=f"org:{organisation.pk}:v{key.version}", purpose=PURPOSE_RECOVERY_WRAP,
        )
    except crypto.CryptoError as exc:
        raise ServiceError("invalid_recovery_code", "The recovery code does not fit.") from exc


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


@dataclass(frozen=True)
class RotatedKey:
    key: OrganisationKey
    private_key: bytes
    resealed_grants: int


def organisation_key_rotate(*, actor: Any | None, organisation: Organisation, recovery_code: str) -> RotatedKey:
    """New keypair for the organisation; every grant it holds is re-sealed to it.

    The recovery code authorises rotation (SPEC §3.5) and wraps the new key.
    """
    old_private = organisation_private_key_from_recovery(organisation=organisation, recovery_code=recovery_code)
    keypair = crypto.new_org_keypair()
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        old_key = org.current_key
        new_key = _store_org_key(org, version=old_key.version + 1, keypair=keypair, recovery_code=recovery_code)
        OrganisationKey.objects.filter(organisation=org).exclude(pk=new_key.pk).update(active=False)
        count = 0
        for grant in CaseGrant.objects.filter(organisation=org).select_related("case"):
            keys = _unseal_grant(grant, old_private)
            _seal_grant_fields(grant, grant.case, new_key, keys)
            grant.save(update_fields=["key_version", "sealed_case_key", "sealed_internal_key"])
            count += 1
        audit_log(
            actor=actor, action=AuditAction.ORGANISATION_KEY_ROTATED, organisation_id=org.pk,
            data={"version": new_key.version, "grants": count},
        )
    return RotatedKey(key=new_key, private_key=keypair.private_key, resealed_grants=count)


# --------------------------------------------------------------------------------------------
# Grants


def _seal_grant_fields(grant: CaseGrant, case: Case, key: OrganisationKey, keys: CaseKeys) -> None:
    assert keys.internal_key is not None
    binding = case_binding(case)
    grant.key_version = key.version
    grant.sealed_case_key = crypto.seal(bytes(key.public_key), keys.case_key, case_id=binding, purpose=PURPOSE_CASE_KEY)
    grant.sealed_internal_key = crypto.seal(
        bytes(key.public_key), keys.internal_key, case_id=binding, purpose=PURPOSE_INTERNAL_KEY
    )


def _unseal_grant(grant: CaseGrant, org_private_key: bytes) -> CaseKeys:
    binding = case_binding(grant.case)
    return CaseKeys(
        case_key=crypto.unseal(org_private_key, bytes(grant.sealed_case_key), case_id=binding, purpose=PURPOSE_CASE_KEY),
        internal_key=crypto.unseal(
            org_private_key, bytes(grant.sealed_internal_key), case_id=binding, purpose=PURPOSE_INTERNAL_KEY
        ),
    )


def grant_case_keys(case: Case, organisation: Organisation, keys: CaseKeys) -> CaseGrant:
    grant = CaseGrant(case=case, organisation=organisation)
    _seal_grant_fields(grant, case, organisation.current_key, keys)
    grant.save()
    return grant


def case_keys_for_organisation(*, case: Case, organisation: Organisation, org_private_key: bytes) -> CaseKeys:
    """Open the organisation's grant; raises ServiceError('no_grant') if it holds none."""
    grant = CaseGrant.objects.filter(case=case, organisation=organisation).select_related("case").first()
    if grant is None:
        raise ServiceError("no_grant", "This organisation holds no key for the case.")
    try:
        return _unseal_grant(grant, org_private_key)
    except crypto.CryptoError as exc:
        raise ServiceError("no_grant", "The key for this case cannot be opened.") from exc
