"""The organisation key on the members' side (SPEC §3.4, §3.9): sealing it to member public
keys, and key epochs that take the members along.

A rotation needs the current organisation private key, and the server holds it only inside an
unlocked session (split between session and cookie, SPEC §3.7), never at rest. So it cannot
rotate on its own: the daily schedule marks a key that is older than ORG_KEY_ROTATION_DAYS as
due and e-mails the partner admins; the key then rotates at the next unlock of any member
(`counselling.services.member_unlock`), on the partner-admin page, or with
`manage.py rotate_org_key` (a member's password or the recovery code).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from counselling.models import Membership
from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import CaseGrant, Organisation, OrganisationKey
from reporting.services import (
    KeyUnverified,
    RotatedKey,
    RotationReason,
    ServiceError,
    organisation_key_mark_due,
    organisation_key_rotate,
    organisation_keys_mark_due,
)
from reporting.services.keys import public_key_mac, require_authentic_public_key
from reporting.tasks import deliver_once
from reporting.vacuum import tables_of, vacuum_after_commit

logger = logging.getLogger(__name__)

PURPOSE_MEMBER_KEY = "member-key"
PURPOSE_ORG_WRAP = "org-key-wrap"
PURPOSE_PENDING = "pending-grant"


def member_owner(membership: Membership) -> str:
    return f"member:{membership.pk}"


def member_public_key_set(membership: Membership, public_key: bytes) -> None:
    """Store a member's public key with its MAC (the membership must have its id already)."""
    membership.member_public_key = public_key
    membership.member_public_key_mac = public_key_mac(
        kind=crypto.PUBLIC_KEY_MEMBER, owner_id=membership.pk, version=0, public_key=public_key
    )


def seal_org_key_for_member(membership: Membership, org_private_key: bytes, *, version: int) -> None:
    """Seal the organisation key (epoch `version`) to the member's verified public key; the
    member turns it into a normal wrap at their next login. KeyUnverified if the MAC fails.

    Who can decrypt `pending_org_key`: the member (their private key is under their password).
    """
    public_key = require_authentic_public_key(
        kind=crypto.PUBLIC_KEY_MEMBER, owner_id=membership.pk, version=0,
        public_key=bytes(membership.member_public_key or b""), mac=membership.member_public_key_mac,
    )
    membership.pending_org_key = crypto.seal(
        public_key, org_private_key, case_id=member_owner(membership), purpose=PURPOSE_PENDING
    )
    membership.pending_key_version = version


def require_current_key(organisation: Organisation, org_private_key: bytes) -> OrganisationKey:
    """The current epoch, if `org_private_key` is its private key; 'stale_key' otherwise (a
    session unlocked before a rotation). Call under the organisation's lock."""
    key = organisation.current_key
    if not crypto.constant_time_equal(crypto.public_key_of(org_private_key), bytes(key.public_key)):
        raise ServiceError("stale_key", _("The key in this session is not the organisation's current key. Unlock again and retry."))
    return key


@dataclass(frozen=True)
class MembersRotated:
    rotated: RotatedKey
    regranted: list[int]  # membership ids that get the new key at their next login
    refused: list[int]  # membership ids whose public key failed its MAC: no new key


def org_key_rotate(
    *, actor: Any | None, organisation: Organisation, org_private_key: bytes, reason: RotationReason,
    recovery_code: str | None = None,
) -> MembersRotated:
    """A new key epoch for the organisation and its members, in one transaction.

    Every grant is re-sealed (reporting), every member who held key access (a wrap or a
    pending grant) and is active gets the new key sealed to their verified public key, and every
    wrap of the old epoch, the members' and the recovery one, is destroyed. A member whose
    public key fails its MAC gets nothing (ERROR logged) and must be granted again.
    After commit the tables that held the old wraps and grants are vacuumed.
    """
    with transaction.atomic():
        rotated = organisation_key_rotate(
            actor=actor, organisation=organisation, org_private_key=org_private_key, reason=reason,
            recovery_code=recovery_code,
        )
        regranted: list[int] = []
        refused: list[int] = []
        members = Membership.objects.select_for_update(of=("self",)).filter(organisation_id=organisation.pk).order_by("pk")
        for membership in members.select_related("user"):
            had_access = membership.has_key_access and membership.user.is_active and not membership.is_coordinator
            membership.wrapped_org_key = None
            membership.org_key_version = None
            membership.pending_org_key = None
            membership.pending_key_version = None
            if had_access:
                try:
                    seal_org_key_for_member(membership, rotated.private_key, version=rotated.key.version)
                except KeyUnverified:
                    refused.append(membership.pk)
                else:
                    regranted.append(membership.pk)
            membership.save(update_fields=["wrapped_org_key", "org_key_version", "pending_org_key", "pending_key_version"])
            if membership.pk in regranted:
                audit_log(
                    actor=actor, action=AuditAction.MEMBER_GRANTED, organisation_id=organisation.pk,
                    data={"member": membership.pk, "key_version": rotated.key.version, "rotation": True},
                )
        vacuum_after_commit(tables_of(CaseGrant, OrganisationKey, Membership))
    return MembersRotated(rotated=rotated, regranted=regranted, refused=refused)


def org_key_rotate_or_mark_due(
    *, actor: Any | None, organisation: Organisation, org_private_key: bytes | None, reason: RotationReason
) -> MembersRotated | None:
    """Rotate now with the caller's unlocked key; without one (or with a stale one), mark the
    key due so it rotates at the next unlock of a member."""
    if org_private_key is not None:
        try:
            return org_key_rotate(actor=actor, organisation=organisation, org_private_key=org_private_key, reason=reason)
        except ServiceError as exc:
            logger.warning("Key rotation of organisation %s deferred to the next unlock: %s", organisation.pk, exc.code)
    organisation_key_mark_due(actor=actor, organisation=organisation, reason=reason)
    return None


# --------------------------------------------------------------------------------------------
# The daily schedule: mark due, tell the partner admins


def org_keys_due_daily(*, now: datetime | None = None) -> list[int]:
    """Mark the organisations whose key is older than ORG_KEY_ROTATION_DAYS and queue one
    e-mail to their partner admins each; the ids marked now."""
    marked = organisation_keys_mark_due(now=now or timezone.now(), days=settings.ORG_KEY_ROTATION_DAYS)
    for organisation_id in marked:
        transaction.on_commit(
            lambda organisation_id=organisation_id: async_task(  # type: ignore[misc]
                "counselling.tasks.send_key_rotation_due", organisation_id, notice_id=uuid.uuid4().hex
            ),
            robust=True,
        )
    return marked


def send_key_rotation_due(organisation_id: int, notice_id: str | None = None) -> int:
    """The content-free notice to the organisation's partner admins; how many went out now."""
    recipients = list(
        get_user_model().objects.filter(
            membership__organisation_id=organisation_id, membership__role=Membership.Role.PARTNER_ADMIN,
            is_active=True,
        ).exclude(email="").order_by("pk").values_list("pk", "email")
    )
    link = settings.SITE_URL.rstrip("/") + reverse("counselling:admin")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your organisation's key is due for renewal")
        body = _(
            "Meldestelle renews each organisation's key regularly, so that deleted reports stay "
            "unreadable for good.\n\nThe new key is made at the next login of a member of your "
            "organisation, or right away on the organisation page: {link}\n"
        ).format(link=link)
    sent = 0
    for user_id, address in recipients:

        def send(address: str = address) -> int:
            return send_mail(subject, body, None, [address])

        sent += deliver_once(notice_id, f"user{user_id}", send)
    return sent
