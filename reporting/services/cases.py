"""Case work that changes who holds a case or whether it exists: status, take, duplicate,
transfer, shred."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from reporting.audit import audit_log
from reporting.models import (
    Case,
    CaseGrant,
    Organisation,
)
from reporting.services.common import ServiceError
from reporting.services.organisations import case_keys_for_organisation, grant_case_keys
from reporting.services.submission import remove_blobs
from reporting.taxonomy import CaseStatus

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Transfer and shredding


def case_transfer(
    *, actor: Any, case: Case, to_organisation: Organisation, org_private_key: bytes, keep_copy: bool = False
) -> Case:
    """Re-seal both case keys to the receiving organisation; revoke our grant unless kept."""
    if to_organisation.pk == case.organisation_id:
        raise ServiceError("same_organisation", "The case is already with this organisation.")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        from_org = case.organisation
        keys = case_keys_for_organisation(case=case, organisation=from_org, org_private_key=org_private_key)
        CaseGrant.objects.filter(case=case, organisation=to_organisation).delete()
        grant_case_keys(case, to_organisation, keys)
        if not keep_copy:
            CaseGrant.objects.filter(case=case, organisation=from_org).delete()
        case.organisation = to_organisation
        case.assignee = None
        case.staff_unread = True
        case.save(update_fields=["organisation", "assignee", "staff_unread", "updated_at"])
        audit_log(
            actor=actor, action="counselling.case.transferred", case_id=case.pk,
            organisation_id=from_org.pk,
            data={"from": from_org.pk, "to": to_organisation.pk, "kept_copy": keep_copy},
        )
        transaction.on_commit(lambda: _notify_transfer(case.pk), robust=True)
    return case


def _notify_transfer(case_id: int) -> None:
    from reporting.notifications import queue_new_case_notice

    queue_new_case_notice(case_id, transferred=True)


def case_shred(*, actor: Any | None, case: Case, reason: str) -> None:
    """Crypto-shred: every sealed and wrapped key copy, all ciphertext and files are deleted.

    What remains is the audit trail (ids only) and any statistics record (no content).
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        blob_names = [a.blob.name for a in case.attachments.all()]
        case_id, org_id, reference = case.pk, case.organisation_id, case.reference
        case.grants.all().delete()
        case.messages.all().delete()
        case.notes.all().delete()
        case.attachments.all().delete()
        Case.objects.filter(duplicate_of=case).update(duplicate_of=None)
        case.delete()
        audit_log(
            actor=actor, action="reporting.case.shredded", case_id=case_id, organisation_id=org_id,
            data={"reason": reason, "reference": reference},
        )

        transaction.on_commit(lambda: remove_blobs(blob_names))


def case_set_status(*, actor: Any, case: Case, status: str) -> Case:
    if status not in CaseStatus.values:
        raise ServiceError("invalid_status", "Unknown status.")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        old = case.status
        if old == status:
            return case
        case.status = status
        update = ["status", "updated_at"]
        if status in (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED):
            case.closed_at = timezone.now()
            # The reply-notice address lives only while the case is open (SPEC §3.8).
            case.notify_ciphertext = None
            update += ["closed_at", "notify_ciphertext"]
        else:
            case.closed_at = None
            update.append("closed_at")
        case.save(update_fields=update)
        audit_log(
            actor=actor, action="counselling.case.status_changed", case_id=case.pk,
            organisation_id=case.organisation_id, data={"from": old, "to": status},
        )
    return case


def case_take(*, actor: Any, case: Case) -> Case:
    """The actor takes a case nobody holds; raises ServiceError('already_taken') otherwise.

    A conditional UPDATE (`WHERE assignee IS NULL`) decides the race in the database itself,
    so of two counsellors taking the same case at once exactly one wins, on SQLite as on
    PostgreSQL. Taking a case one already holds is a no-op. The status is left alone
    (`case_set_status` records that change on its own).
    """
    with transaction.atomic():
        won = Case.objects.filter(pk=case.pk, assignee__isnull=True).update(
            assignee=actor, updated_at=timezone.now()
        )
        case = Case.objects.get(pk=case.pk)
        if not won:
            if case.assignee_id == actor.pk:
                return case
            raise ServiceError("already_taken", "Someone else has already taken this case.")
        audit_log(
            actor=actor, action="counselling.case.taken", case_id=case.pk,
            organisation_id=case.organisation_id,
        )
    return case


def case_mark_duplicate(*, actor: Any, case: Case, original: Case) -> Case:
    """Record that `case` reports the same incident as `original` (same organisation only)."""
    if original.pk == case.pk:
        raise ServiceError("same_case", "A case cannot duplicate itself.")
    if original.organisation_id != case.organisation_id:
        raise ServiceError("other_organisation", "Only a case of the same organisation can be the original.")
    if original.duplicate_of_id == case.pk:
        raise ServiceError("cycle", "That case is already marked as a duplicate of this one.")
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(duplicate_of=original, updated_at=timezone.now())
        case.duplicate_of = original
        audit_log(
            actor=actor, action="counselling.case.marked_duplicate", case_id=case.pk,
            organisation_id=case.organisation_id, data={"original": original.pk},
        )
    return case
