"""Organisation key epochs, authentic public keys, recovery, and the grants that seal case keys
to organisations (SPEC §3.3, §3.5, §3.9).

Authentic keys: every stored public key carries a MAC under KEY_AUTH_KEY (the environment,
never the database). Nothing is sealed to a key whose MAC fails (`KeyUnverified`): the caller
refuses, nothing is stored, and the operator finds an ERROR log line with ids only. At unlock,
the private key a member opened must derive the stored public key of its epoch
(`organisation_key_check`); a mismatch is an ERROR, an audit entry, a refusal to unlock and a
suspended key that nothing is sealed to until the next rotation.

Epochs: `organisation_key_rotate` makes a new keypair, re-seals every grant the organisation
holds (open and closed cases alike: closed cases stay readable until retention shreds them),
seals the new private key to the recovery public key (derived from the recovery code, so a
rotation never needs the code) and destroys the old epochs' recovery wraps. The members'
wraps are the counselling app's part (`counselling.keys.org_key_rotate`, which calls this in
its own transaction).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meldestelle.db import Guard
from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import Case, CaseGrant, Organisation, OrganisationKey
from reporting.services.common import (
    PURPOSE_CASE_KEY,
    PURPOSE_INTERNAL_KEY,
    PURPOSE_RECOVERY_SEAL,
    PURPOSE_RECOVERY_WRAP,
    CaseKeys,
    ServiceError,
    case_binding,
)

logger = logging.getLogger(__name__)


class KeyUnverified(ServiceError):
    """A stored public key failed its MAC (or is suspended): nothing may be sealed to it."""

    def __init__(self) -> None:
        super().__init__(
            "key_unverified",
            str(_("A key needed for this could not be verified. Nothing was stored; please try again later.")),
        )


class KeyMismatch(ServiceError):
    """At unlock: the organisation's stored public key is not the one the private key derives."""

    def __init__(self) -> None:
        super().__init__(
            "key_mismatch",
            str(_(
                "Your organisation's key failed a safety check, so it was not unlocked and no new "
                "reports are sealed to it. The operator has been alerted; please tell your partner admin."
            )),
        )


class RotationReason(StrEnum):
    """Why a key epoch ended (stored in the audit entry)."""

    SCHEDULED = "scheduled"  # marked due by the daily schedule (key older than the setting)
    AT_UNLOCK = "at_unlock"  # rotated at a member's unlock because it was marked due
    ON_DEMAND = "on_demand"  # the partner-admin page or `manage.py rotate_org_key`
    MEMBER_REVOKED = "member_revoked"


# --------------------------------------------------------------------------------------------
# Authentic public keys


def public_key_mac(*, kind: str, owner_id: int, version: int, public_key: bytes) -> str:
    """The MAC stored beside a public key (KEY_AUTH_KEY from the environment)."""
    return crypto.public_key_mac(
        settings.KEY_AUTH_KEY, kind=kind, owner_id=owner_id, version=version, public_key=public_key
    )


def require_authentic_public_key(*, kind: str, owner_id: int, version: int, public_key: bytes, mac: str) -> bytes:
    """The key's bytes if its MAC holds; otherwise an ERROR log line (ids only) and KeyUnverified."""
    if not crypto.public_key_authentic(
        settings.KEY_AUTH_KEY, mac, kind=kind, owner_id=owner_id, version=version, public_key=public_key
    ):
        logger.error(
            "Sealing refused: the stored %s public key (owner %s, version %s) fails its MAC under "
            "KEY_AUTH_KEY. It was changed outside the application, or KEY_AUTH_KEY is not the key "
            "it was stored with.", kind, owner_id, version,
        )
        raise KeyUnverified
    return public_key


def organisation_sealing_key(organisation: Organisation) -> OrganisationKey:
    """The organisation's current key epoch, verified: the only way to get a key to seal to."""
    key = OrganisationKey.objects.filter(organisation_id=organisation.pk, active=True).order_by("-version").first()
    if key is None:
        logger.error("Sealing refused: organisation %s has no active key.", organisation.pk)
        raise KeyUnverified
    require_authentic_public_key(
        kind=crypto.PUBLIC_KEY_ORGANISATION, owner_id=organisation.pk, version=key.version,
        public_key=bytes(key.public_key), mac=key.public_key_mac,
    )
    if key.suspended_at is not None:
        logger.error(
            "Sealing refused: organisation %s key version %s is suspended since an unlock found a "
            "private key that does not derive it; a rotation replaces it.", organisation.pk, key.version,
        )
        raise KeyUnverified
    return key


def _recovery_setup_needed() -> ServiceError:
    return ServiceError("recovery_setup_needed", str(_(
        "This organisation has no recovery key for key epochs yet. Enter the recovery code once to set it up."
    )))


def _recovery_sealing_key(organisation: Organisation) -> bytes:
    if not organisation.recovery_public_key:
        raise _recovery_setup_needed()
    return require_authentic_public_key(
        kind=crypto.PUBLIC_KEY_RECOVERY, owner_id=organisation.pk, version=0,
        public_key=bytes(organisation.recovery_public_key), mac=organisation.recovery_public_key_mac,
    )


# --------------------------------------------------------------------------------------------
# Key epochs


def _epoch_owner(organisation_id: int, version: int) -> str:
    return f"org:{organisation_id}:v{version}"


def recovery_public_key_store(organisation: Organisation, recovery_code: str) -> None:
    """Derive the recovery keypair from the code and keep its public half (with its MAC).

    Callers have checked that the code is the organisation's; the private half is dropped.
    """
    pair = crypto.recovery_keypair(recovery_code, organisation_id=organisation.pk)
    organisation.recovery_public_key = pair.public_key
    organisation.recovery_public_key_mac = public_key_mac(
        kind=crypto.PUBLIC_KEY_RECOVERY, owner_id=organisation.pk, version=0, public_key=pair.public_key
    )
    organisation.save(update_fields=["recovery_public_key", "recovery_public_key_mac"])


def org_key_store(organisation: Organisation, *, version: int, keypair: crypto.OrgKeypair) -> OrganisationKey:
    """A new epoch: its public key with its MAC, its private key sealed for recovery."""
    recovery_public = _recovery_sealing_key(organisation)
    return OrganisationKey.objects.create(
        organisation=organisation,
        version=version,
        public_key=keypair.public_key,
        public_key_mac=public_key_mac(
            kind=crypto.PUBLIC_KEY_ORGANISATION, owner_id=organisation.pk, version=version,
            public_key=keypair.public_key,
        ),
        # Who can decrypt: whoever holds the recovery code (it derives the recovery private key).
        sealed_for_recovery=crypto.seal(
            recovery_public, keypair.private_key, case_id=_epoch_owner(organisation.pk, version),
            purpose=PURPOSE_RECOVERY_SEAL,
        ),
    )


def _open_recovery_wrap(key: OrganisationKey, recovery_code: str) -> bytes:
    """The epoch's private key from its recovery wrap; CryptoError if the code does not fit."""
    owner = _epoch_owner(key.organisation_id, key.version)
    if key.sealed_for_recovery:
        pair = crypto.recovery_keypair(recovery_code, organisation_id=key.organisation_id)
        return crypto.unseal(pair.private_key, bytes(key.sealed_for_recovery), case_id=owner, purpose=PURPOSE_RECOVERY_SEAL)
    if key.wrapped_by_recovery:  # before key epochs
        kek = crypto.recovery_kek(recovery_code, organisation_id=key.organisation_id)
        return crypto.unwrap_key(kek, bytes(key.wrapped_by_recovery), owner=owner, purpose=PURPOSE_RECOVERY_WRAP)
    raise crypto.CryptoError("this key epoch holds no recovery wrap")


def organisation_private_key_from_recovery(*, organisation: Organisation, recovery_code: str) -> bytes:
    """The current epoch's private key, opened with the recovery code and checked against the
    stored public key (like every unlock). Raises ServiceError('invalid_recovery_code')."""
    key = organisation.current_key
    try:
        private_key = _open_recovery_wrap(key, recovery_code)
    except crypto.CryptoError as exc:
        raise ServiceError("invalid_recovery_code", str(_("The recovery code does not fit."))) from exc
    organisation_key_check(organisation=organisation, version=key.version, private_key=private_key, actor=None)
    return private_key


def organisation_key_check(*, organisation: Organisation, version: int, private_key: bytes, actor: Any | None) -> None:
    """The unlock-time check (SPEC §3.9): the stored public key of epoch `version` must be the
    one `private_key` derives.

    A mismatch means someone put a key into the database that is not this organisation's
    (its public key, or a wrap handed to a member): ERROR log line (ids only), an audit entry,
    the epoch is suspended so nothing more is sealed to it, and KeyMismatch.
    """
    key = OrganisationKey.objects.filter(organisation_id=organisation.pk, version=version).first()
    try:
        derived = crypto.public_key_of(private_key)
    except crypto.CryptoError:
        derived = b""
    if key is not None and crypto.constant_time_equal(derived, bytes(key.public_key)):
        return
    logger.error(
        "Unlock refused: the stored public key of organisation %s, version %s, is not the one "
        "the unlocked private key derives (actor %s). Sealing to it is suspended.",
        organisation.pk, version, getattr(actor, "pk", None),
    )
    with transaction.atomic():
        if key is not None:
            OrganisationKey.objects.filter(pk=key.pk, suspended_at=None).update(suspended_at=timezone.now())
        audit_log(
            actor=actor, action=AuditAction.ORGANISATION_KEY_MISMATCH, organisation_id=organisation.pk,
            data={"version": version},
        )
    raise KeyMismatch


@dataclass(frozen=True)
class RotatedKey:
    key: OrganisationKey
    private_key: bytes
    resealed_grants: int


def organisation_key_rotate(
    *, actor: Any | None, organisation: Organisation, org_private_key: bytes, reason: RotationReason,
    recovery_code: str | None = None,
) -> RotatedKey:
    """A new key epoch; every grant re-sealed to it; the old epochs' recovery wraps destroyed.

    `org_private_key` is the current epoch's (from an unlocked session, a member's password or
    the recovery code); a key of an earlier epoch is refused ('stale_key'). An organisation
    created before key epochs has no recovery public key yet: then `recovery_code` is needed
    once to derive it. Members are re-granted by `counselling.keys.org_key_rotate`, which wraps
    this in one transaction with them.
    """
    keypair = crypto.new_org_keypair()
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        old_key = org.current_key
        if not crypto.constant_time_equal(crypto.public_key_of(org_private_key), bytes(old_key.public_key)):
            raise ServiceError("stale_key", str(_(
                "The key in this session is not the organisation's current key. Unlock again and retry."
            )))
        if not org.recovery_public_key:
            _recovery_setup(org, old_key, org_private_key, recovery_code, actor)
        org_key_store(org, version=old_key.version + 1, keypair=keypair)
        new_key = organisation_sealing_key(org)  # verified like every key sealed to
        # Browser-made seals nobody opened yet: flagged now if they do not open, before the old
        # epoch (the only key that could have opened them) is gone.
        browser_seals_check(organisation=org, org_private_key=org_private_key, actor=actor)
        resealed = 0
        grants = CaseGrant.objects.filter(organisation=org).select_related("case").order_by("pk")
        for grant in grants.iterator(chunk_size=500):
            try:
                keys = _unseal_grant(grant, org_private_key)
            except crypto.CryptoError:
                # Not sealed to the current epoch: no member could open it before either.
                logger.error("Key rotation: the grant of case %s for organisation %s does not open "
                             "with the current key; left as it is.", grant.case_id, org.pk)
                continue
            _seal_grant_fields(grant, grant.case, new_key, keys)
            grant.seal_check = CaseGrant.SealCheck.OPENED  # sealed on the server now
            grant.save(update_fields=["key_version", "sealed_case_key", "sealed_internal_key", "seal_check"])
            resealed += 1
        # The old epochs' private keys are now wrapped nowhere (the members' wraps go in the
        # same transaction, counselling.keys): what stays sealed to them opens for nobody.
        OrganisationKey.objects.filter(organisation=org).exclude(pk=new_key.pk).update(
            active=False, sealed_for_recovery=None, wrapped_by_recovery=None,
        )
        OrganisationKey.objects.filter(organisation=org, retired_at=None).exclude(pk=new_key.pk).update(
            retired_at=timezone.now()
        )
        org.key_rotation_due_at = None
        org.save(update_fields=["key_rotation_due_at"])
        audit_log(
            actor=actor, action=AuditAction.ORGANISATION_KEY_ROTATED, organisation_id=org.pk,
            data={"version": new_key.version, "grants": resealed, "reason": str(reason)},
        )
    return RotatedKey(key=new_key, private_key=keypair.private_key, resealed_grants=resealed)


def _recovery_setup(
    org: Organisation, key: OrganisationKey, org_private_key: bytes, recovery_code: str | None, actor: Any | None
) -> None:
    """For an organisation made before key epochs: the code must open the current epoch's old
    recovery wrap to the very key being rotated; then its public key is derived and kept."""
    if not recovery_code:
        raise _recovery_setup_needed()
    try:
        opened = _open_recovery_wrap(key, recovery_code)
    except crypto.CryptoError as exc:
        raise ServiceError("invalid_recovery_code", str(_("The recovery code does not fit."))) from exc
    if not crypto.constant_time_equal(opened, org_private_key):
        raise ServiceError("invalid_recovery_code", str(_("The recovery code does not fit.")))
    recovery_public_key_store(org, recovery_code)
    audit_log(actor=actor, action=AuditAction.ORGANISATION_RECOVERY_KEY_SET, organisation_id=org.pk)


def organisation_keys_mark_due(*, now: datetime, days: int) -> list[int]:
    """Mark every organisation whose current key epoch is at least `days` old as due for
    rotation (once); the ids newly marked. The server cannot rotate by itself (it never holds
    an organisation's private key at rest): the key rotates at the next unlock of a member."""
    if days <= 0:
        return []
    old_epochs = OrganisationKey.objects.filter(
        active=True, created_at__lte=now - timedelta(days=days), organisation__key_rotation_due_at=None
    ).order_by("organisation_id")
    marked: list[int] = []
    for key in old_epochs:
        with transaction.atomic():
            if Organisation.objects.filter(pk=key.organisation_id, key_rotation_due_at=None).update(
                key_rotation_due_at=now
            ):
                audit_log(
                    actor=None, action=AuditAction.ORGANISATION_KEY_ROTATION_DUE,
                    organisation_id=key.organisation_id,
                    data={"version": key.version, "reason": str(RotationReason.SCHEDULED)},
                )
                marked.append(key.organisation_id)
    return marked


def organisation_key_mark_due(*, actor: Any | None, organisation: Organisation, reason: RotationReason) -> None:
    """Rotate at the next unlock (when the caller holds no unlocked key, e.g. a revocation)."""
    with transaction.atomic():
        updated = Organisation.objects.filter(pk=organisation.pk, key_rotation_due_at=None).update(
            key_rotation_due_at=timezone.now()
        )
        if updated:
            audit_log(
                actor=actor, action=AuditAction.ORGANISATION_KEY_ROTATION_DUE, organisation_id=organisation.pk,
                data={"version": organisation.current_key.version, "reason": str(reason)},
            )


# --------------------------------------------------------------------------------------------
# Grants


def organisation_lock(organisation: Organisation) -> None:
    """Lock the organisation's row until commit. A rotation holds this lock while it re-seals,
    so a grant sealed under it cannot land on an epoch the rotation is retiring."""
    list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk", flat=True))


@dataclass(frozen=True)
class KeyHold:
    """What a submission's transaction holds: whether the organisation still receives reports
    and the id of its active, unsuspended key epoch (None if it has none)."""

    active: bool
    key_id: int | None


def organisation_key_hold(organisation: Organisation) -> KeyHold:
    """Hold the organisation's key epoch until commit; one statement.

    For the submission path (issue 16): on PostgreSQL a `FOR KEY SHARE` row lock, which
    concurrent submissions share with each other (and with the conditional UPDATE that claims a
    routing turn) but which a rotation's `FOR UPDATE` waits for, and which waits for a rotation
    in progress: a grant sealed to the epoch returned here cannot land on an epoch a rotation is
    retiring. SQLite writes one transaction at a time anyway. The submission compares both
    answers with what it routed and sealed on (reporting.snapshot).
    """
    hold = " FOR KEY SHARE OF o" if connection.vendor == "postgresql" else ""
    orgs, epoch = _hold_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT o.active, {epoch} FROM {orgs} o WHERE o.id = %s{hold}", [organisation.pk])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return KeyHold(active=False, key_id=None)
    return KeyHold(active=bool(row[0]), key_id=row[1])


def _hold_sql() -> tuple[str, str]:
    """The organisations' table, and the id of the active, unsuspended key epoch of its row `o`."""
    quote = connection.ops.quote_name
    epoch = (
        f"(SELECT k.id FROM {quote(OrganisationKey._meta.db_table)} k WHERE k.organisation_id = o.id "  # noqa: S608
        "AND k.active AND k.suspended_at IS NULL ORDER BY k.version DESC LIMIT 1)"
    )
    return quote(Organisation._meta.db_table), epoch


def organisation_key_guard(organisation: Organisation, key: OrganisationKey) -> Guard:
    """The hold of `organisation_key_hold` as a condition of the insert of a case's rows
    (PostgreSQL, meldestelle.db.Guard): they are inserted, in the same statement, only while
    the organisation receives reports and `key` is still its epoch, and the hold lasts until
    they are committed; otherwise nothing is inserted (GuardFailed)."""
    orgs, epoch = _hold_sql()
    return Guard(
        sql=f"SELECT o.id FROM {orgs} o WHERE o.id = %s AND o.active AND {epoch} = %s FOR KEY SHARE OF o",  # noqa: S608
        params=(organisation.pk, key.pk), column="organisation_id", models=frozenset({Case, CaseGrant}),
    )


def seal_case_keys_to(case: Case, organisation: Organisation, key: OrganisationKey, keys: CaseKeys) -> CaseGrant:
    """An unsaved grant with both case keys sealed to `key` (verified by the caller with
    `organisation_sealing_key`): sealing can happen before the transaction."""
    grant = CaseGrant(case=case, organisation=organisation)
    _seal_grant_fields(grant, case, key, keys)
    return grant


def _seal_grant_fields(grant: CaseGrant, case: Case, key: OrganisationKey, keys: CaseKeys) -> None:
    assert keys.internal_key is not None
    binding = case_binding(case)
    grant.key_version = key.version
    # Who can decrypt: members of the organisation holding epoch `key.version`.
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


def grant_case_keys(
    case: Case, organisation: Organisation, keys: CaseKeys, *, key: OrganisationKey | None = None
) -> CaseGrant:
    """Seal both case keys to the organisation's current, verified key (KeyUnverified if not).

    Without `key`, the organisation row is locked first: a rotation (which holds the same lock)
    cannot retire the epoch between reading it and committing the grant sealed to it.
    """
    if key is None:
        organisation_lock(organisation)
        key = organisation_sealing_key(organisation)
    grant = CaseGrant(case=case, organisation=organisation)
    _seal_grant_fields(grant, case, key, keys)
    grant.save()
    return grant


# How many browser-made seals one unlock checks (about a millisecond each); the rest wait for
# the next unlock, so a long pause between unlocks never makes a login slow.
SEAL_CHECKS_PER_UNLOCK = 1000


def browser_seals_check(*, organisation: Organisation, org_private_key: bytes, actor: Any | None) -> list[str]:
    """Open every grant sealed in a reporter's browser that nobody opened yet (SPEC §3.10).

    The server cannot open a browser's seal, so it cannot refuse one made to another key when
    the report arrives; the organisation's first unlock afterwards (counselling's member_unlock,
    and every key rotation) opens it here. A grant that opens is marked so; one that does not
    is flagged UNOPENABLE (the inbox lists it), audited (`reporting.case.seal_unopenable`, ids
    only) and logged at ERROR: nobody can read that report. Returns the references flagged now.
    Two unlocks at once check a grant once: the flag changes only from PENDING.
    """
    pending = (CaseGrant.objects.filter(organisation=organisation, seal_check=CaseGrant.SealCheck.PENDING)
               .select_related("case").order_by("pk")[:SEAL_CHECKS_PER_UNLOCK])
    flagged: list[str] = []
    for grant in pending:
        try:
            _unseal_grant(grant, org_private_key)
        except crypto.CryptoError:
            opened = False
        else:
            opened = True
        with transaction.atomic():
            changed = CaseGrant.objects.filter(pk=grant.pk, seal_check=CaseGrant.SealCheck.PENDING).update(
                seal_check=CaseGrant.SealCheck.OPENED if opened else CaseGrant.SealCheck.UNOPENABLE
            )
            if changed and not opened:
                audit_log(actor=actor, action=AuditAction.CASE_SEAL_UNOPENABLE, case_id=grant.case_id,
                          organisation_id=organisation.pk, data={"key_version": grant.key_version})
        if changed and not opened:
            logger.error("Case %s was sealed in a browser but its key does not open with the key of "
                         "organisation %s (version %s): nobody can read it.", grant.case_id, organisation.pk,
                         grant.key_version)
            flagged.append(grant.case.reference)
    return flagged


def case_keys_for_organisation(*, case: Case, organisation: Organisation, org_private_key: bytes) -> CaseKeys:
    """Open the organisation's grant; raises ServiceError('no_grant') if it holds none."""
    grant = CaseGrant.objects.filter(case=case, organisation=organisation).select_related("case").first()
    if grant is None:
        raise ServiceError("no_grant", _("This organisation holds no key for the case."))
    if grant.seal_check == CaseGrant.SealCheck.UNOPENABLE:
        raise ServiceError("seal_unopenable", _(
            "This report was encrypted in the reporter's browser to a key that is not this "
            "organisation's. Nobody can open it."
        ))
    try:
        return _unseal_grant(grant, org_private_key)
    except crypto.CryptoError as exc:
        raise ServiceError("no_grant", _("The key for this case cannot be opened.")) from exc
