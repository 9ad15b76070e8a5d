"""Writes of the staff side: members, their key wraps, unlock.

Key handling (SPEC §3.4): a member's key-encryption key is Argon2id(password, salt); it wraps
the organisation's private key. To grant access without knowing a colleague's password, the
organisation key is HPKE-sealed to the member's own public key and turned into a normal wrap
at their next login.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from counselling.keys import (
    PURPOSE_MEMBER_KEY,
    PURPOSE_ORG_WRAP,
    PURPOSE_PENDING,
    member_public_key_set,
    org_key_rotate,
    org_key_rotate_or_mark_due,
    require_current_key,
    seal_org_key_for_member,
)
from counselling.keys import member_owner as _owner
from counselling.models import Membership
from counselling.sessions import member_sessions_end
from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import Attachment, Case, Organisation
from reporting.services import (
    RotationReason,
    ServiceError,
    browser_seals_check,
    messages_mark_read,
    organisation_key_check,
)
from reporting.services.keys import organisation_lock

logger = logging.getLogger(__name__)


def argon2_params() -> crypto.Argon2Params:
    return crypto.Argon2Params(
        time_cost=settings.ARGON2_TIME_COST, memory_kib=settings.ARGON2_MEMORY_KIB, lanes=settings.ARGON2_LANES
    )


def _new_member_keys(membership: Membership, password: str) -> bytes:
    """Fresh salt and member keypair; returns the KEK so the caller can wrap the org key too."""
    membership.kek_salt = crypto.new_salt()
    kek = crypto.password_kek(password, bytes(membership.kek_salt), argon2_params())
    keypair = crypto.new_org_keypair()
    member_public_key_set(membership, keypair.public_key)
    membership.wrapped_member_key = crypto.wrap_key(
        kek, keypair.private_key, owner=_owner(membership), purpose=PURPOSE_MEMBER_KEY
    )
    return kek


@dataclass(frozen=True)
class NewMember:
    membership: Membership
    totp_device: TOTPDevice


def member_create(
    *,
    actor: Any | None,
    organisation: Organisation | None,
    username: str,
    password: str,
    email: str = "",
    role: str = Membership.Role.COUNSELLOR,
    org_private_key: bytes | None = None,
) -> NewMember:
    """A staff account with a TOTP device; with `org_private_key`, key access at once."""
    if role != Membership.Role.COORDINATOR and organisation is None:
        raise ServiceError("organisation_required", _("Counsellors belong to an organisation."))
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=username).exists():
            raise ServiceError("username_taken", _("This username is taken."))
        user = user_model.objects.create_user(username=username, password=password, email=email)
        membership = Membership.objects.create(
            user=user, organisation=organisation if role != Membership.Role.COORDINATOR else None, role=role
        )
        kek = _new_member_keys(membership, password)
        if org_private_key is not None and organisation is not None:
            organisation_lock(organisation)
            membership.wrapped_org_key = crypto.wrap_key(
                kek, org_private_key, owner=_owner(membership), purpose=PURPOSE_ORG_WRAP
            )
            membership.org_key_version = require_current_key(organisation, org_private_key).version
        membership.save()
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        audit_log(
            actor=actor, action=AuditAction.MEMBER_CREATED,
            organisation_id=organisation.pk if organisation else None,
            data={"member": membership.pk, "role": role, "key_access": org_private_key is not None},
        )
    return NewMember(membership=membership, totp_device=device)


def member_grant(*, actor: Any, membership: Membership, org_private_key: bytes) -> Membership:
    """Give a member access to the organisation key (from an unlocked session or recovery).

    The key must be the current epoch's ('stale_key' otherwise) and the member's public key
    must carry its MAC (KeyUnverified otherwise: nothing is sealed, ERROR logged).
    """
    organisation = membership.organisation
    if organisation is None or not membership.member_public_key:
        raise ServiceError("cannot_grant", _("This account cannot hold an organisation key."))
    with transaction.atomic():
        organisation_lock(organisation)
        key = require_current_key(organisation, org_private_key)
        seal_org_key_for_member(membership, org_private_key, version=key.version)
        membership.save(update_fields=["pending_org_key", "pending_key_version"])
        audit_log(
            actor=actor, action=AuditAction.MEMBER_GRANTED, organisation_id=membership.organisation_id,
            data={"member": membership.pk, "key_version": key.version},
        )
    return membership


def member_revoke(
    *, actor: Any, membership: Membership, deactivate: bool = True, org_private_key: bytes | None = None
) -> Membership:
    """Take the member's key access away and rotate the organisation key, so what they may
    have copied opens nothing new: now with the caller's unlocked `org_private_key`, else at
    the next unlock of a colleague (the key is marked due)."""
    with transaction.atomic():
        membership.wrapped_org_key = None
        membership.org_key_version = None
        membership.pending_org_key = None
        membership.pending_key_version = None
        membership.save()
        if deactivate:
            membership.user.is_active = False
            membership.user.save(update_fields=["is_active"])
        audit_log(
            actor=actor, action=AuditAction.MEMBER_REVOKED, organisation_id=membership.organisation_id,
            data={"member": membership.pk, "deactivated": deactivate},
        )
        member_sessions_end(user=membership.user)
        if membership.organisation is not None:
            org_key_rotate_or_mark_due(actor=actor, organisation=membership.organisation,
                                       org_private_key=org_private_key, reason=RotationReason.MEMBER_REVOKED)
    return membership


def member_unlock(*, membership: Membership, password: str) -> bytes:
    """The organisation private key for a member who just proved their password.

    A pending grant is turned into a normal wrap here, after the key passed the unlock-time
    check (it must derive the organisation's stored public key; KeyMismatch otherwise). A key
    marked due for rotation rotates now (counselling.keys). Reports sealed in a browser since
    the last unlock are opened once to check them (reporting's browser_seals_check). Raises
    ServiceError('no_key_access').
    """
    if not membership.kek_salt or membership.organisation is None:
        raise ServiceError("no_key_access", _("No key access."))
    kek = crypto.password_kek(password, bytes(membership.kek_salt), argon2_params())
    org_private = _unlock_with_kek(membership, kek)
    organisation = membership.organisation
    # Reports sealed in a browser since the last unlock: the server could not open them to check
    # the key they were sealed to; flag any that does not open (SPEC §3.10).
    browser_seals_check(organisation=organisation, org_private_key=org_private, actor=membership.user)
    if Organisation.objects.filter(pk=organisation.pk, key_rotation_due_at__isnull=False).exists():
        try:
            org_key_rotate(actor=membership.user, organisation=organisation, org_private_key=org_private,
                           reason=RotationReason.AT_UNLOCK)
        except ServiceError as exc:
            if exc.code != "stale_key":
                # The unlock goes ahead with the current key; the key stays due (and says why).
                logger.warning("Key rotation due for organisation %s did not run at unlock: %s",
                               organisation.pk, exc.code)
                return org_private
            # A colleague's unlock rotated it a moment ago and re-granted this member too.
        membership.refresh_from_db()
        org_private = _unlock_with_kek(membership, kek)  # the member's own new grant, now a wrap
    return org_private


def _unlock_with_kek(membership: Membership, kek: bytes) -> bytes:
    organisation = membership.organisation
    assert organisation is not None
    current_version = organisation.current_key.version
    try:
        if membership.pending_org_key and membership.pending_key_version == current_version:
            # member_grant seals to member_public_key, set together with wrapped_member_key.
            assert membership.wrapped_member_key is not None
            member_private = crypto.unwrap_key(
                kek, bytes(membership.wrapped_member_key), owner=_owner(membership), purpose=PURPOSE_MEMBER_KEY
            )
            org_private = crypto.unseal(
                member_private, bytes(membership.pending_org_key), case_id=_owner(membership), purpose=PURPOSE_PENDING
            )
            # Anyone can seal to a member's public key: check before keeping it as a wrap.
            organisation_key_check(organisation=organisation, version=current_version, private_key=org_private,
                                   actor=membership.user)
            with transaction.atomic():
                organisation_lock(organisation)
                if organisation.current_key.version != current_version:
                    raise ServiceError("no_key_access", _("The key was rotated meanwhile; log in again."))
                membership.wrapped_org_key = crypto.wrap_key(
                    kek, org_private, owner=_owner(membership), purpose=PURPOSE_ORG_WRAP
                )
                membership.org_key_version = current_version
                membership.pending_org_key = None
                membership.pending_key_version = None
                membership.save(
                    update_fields=["wrapped_org_key", "org_key_version", "pending_org_key", "pending_key_version"]
                )
            return org_private
        if membership.wrapped_org_key and membership.org_key_version == current_version:
            org_private = crypto.unwrap_key(
                kek, bytes(membership.wrapped_org_key), owner=_owner(membership), purpose=PURPOSE_ORG_WRAP
            )
            organisation_key_check(organisation=organisation, version=current_version, private_key=org_private,
                                   actor=membership.user)
            return org_private
    except crypto.CryptoError as exc:
        raise ServiceError("no_key_access", _("The key could not be opened.")) from exc
    raise ServiceError("no_key_access", _("No key access."))


def member_change_password(*, membership: Membership, old_password: str, new_password: str) -> Membership:
    """The member changes their own password: keys are re-wrapped under the new one."""
    user = membership.user
    if not user.check_password(old_password):
        raise ServiceError("wrong_password", _("The current password is not right."))
    try:
        org_private = member_unlock(membership=membership, password=old_password)
    except ServiceError:
        org_private = None
    old_kek = crypto.password_kek(old_password, bytes(membership.kek_salt), argon2_params()) if membership.kek_salt else None
    member_private = None
    if old_kek and membership.wrapped_member_key:
        member_private = crypto.unwrap_key(
            old_kek, bytes(membership.wrapped_member_key), owner=_owner(membership), purpose=PURPOSE_MEMBER_KEY
        )
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        membership.kek_salt = crypto.new_salt()
        kek = crypto.password_kek(new_password, bytes(membership.kek_salt), argon2_params())
        if member_private is not None:
            membership.wrapped_member_key = crypto.wrap_key(
                kek, member_private, owner=_owner(membership), purpose=PURPOSE_MEMBER_KEY
            )
        if org_private is not None:
            membership.wrapped_org_key = crypto.wrap_key(kek, org_private, owner=_owner(membership), purpose=PURPOSE_ORG_WRAP)
        membership.save()
        audit_log(actor=user, action=AuditAction.MEMBER_PASSWORD_CHANGED, organisation_id=membership.organisation_id,
                  data={"member": membership.pk})
        member_sessions_end(user=user)
    return membership


def member_reset_password(*, actor: Any, membership: Membership, new_password: str) -> Membership:
    """Someone else sets the password: every wrap is lost until a colleague grants again."""
    with transaction.atomic():
        membership.user.set_password(new_password)
        membership.user.save(update_fields=["password"])
        membership.wrapped_org_key = None
        membership.org_key_version = None
        membership.pending_org_key = None
        membership.pending_key_version = None
        _new_member_keys(membership, new_password)
        membership.save()
        audit_log(
            actor=actor, action=AuditAction.MEMBER_PASSWORD_RESET, organisation_id=membership.organisation_id,
            data={"member": membership.pk},
        )
        member_sessions_end(user=membership.user)
    return membership


# --------------------------------------------------------------------------------------------
# Case work that needs to know about members


def case_assign(*, actor: Any, case: Case, assignee: Any | None) -> Case:
    """Give the case to a colleague of the same organisation (or to nobody)."""
    if assignee is not None:
        membership = Membership.objects.filter(
            user=assignee, organisation_id=case.organisation_id, user__is_active=True
        ).exclude(role=Membership.Role.COORDINATOR).first()
        if membership is None:
            raise ServiceError("not_a_colleague", _("Cases can only be assigned to members of the organisation."))
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(assignee=assignee, updated_at=timezone.now())
        case.assignee = assignee
        audit_log(
            actor=actor, action=AuditAction.CASE_ASSIGNED, case_id=case.pk,
            organisation_id=case.organisation_id, data={"assignee": getattr(assignee, "pk", None)},
        )
    return case


def case_opened(*, actor: Any, case: Case) -> None:
    """A member opened the case: audited; the reporter's messages count as read.

    Only a look by the responsible organisation marks them read: a copy holder reads without
    changing anything the case's owner relies on (SPEC §1).
    """
    responsible = Membership.objects.filter(user=actor, organisation_id=case.organisation_id).exists()
    with transaction.atomic():
        if responsible:
            messages_mark_read(case=case, by_reporter=False)
        audit_log(
            actor=actor, action=AuditAction.CASE_VIEWED, case_id=case.pk, organisation_id=case.organisation_id
        )


def attachment_downloaded(*, actor: Any, attachment: Attachment) -> None:
    with transaction.atomic():
        audit_log(
            actor=actor, action=AuditAction.ATTACHMENT_DOWNLOADED, case_id=attachment.case_id,
            organisation_id=attachment.case.organisation_id, data={"attachment": attachment.uuid.hex},
        )


def attachment_viewed(*, actor: Any, attachment: Attachment) -> None:
    """A member looked at a file on the case page (decrypted in memory, shown inline)."""
    with transaction.atomic():
        audit_log(
            actor=actor, action=AuditAction.ATTACHMENT_VIEWED, case_id=attachment.case_id,
            organisation_id=attachment.case.organisation_id, data={"attachment": attachment.uuid.hex},
        )


def member_set_notify(*, membership: Membership, mode: str) -> Membership:
    """The member's choice of e-mail notices (Membership.Notify).

    Switching to the digest starts its window now: what was already announced one by one is
    not counted again in the first summary.
    """
    if mode not in Membership.Notify.values:
        raise ServiceError("bad_notify_mode", _("Unknown notification setting."))
    update = ["notify"]
    if mode == Membership.Notify.DIGEST and membership.notify != Membership.Notify.DIGEST:
        membership.last_digest_at = timezone.now()
        update.append("last_digest_at")
    membership.notify = mode
    membership.save(update_fields=update)
    return membership
