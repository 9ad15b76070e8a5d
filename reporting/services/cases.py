"""Case work that changes who holds a case or whether it exists: status, take, duplicate,
transfer, shred."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting.audit import AuditAction, audit_log
from reporting.models import (
    Attachment,
    Case,
    CaseGrant,
    ChronicleEntry,
    Incident,
    Message,
    Note,
    Organisation,
    PublicSummary,
)
from reporting.services.common import ServiceError
from reporting.services.keys import (
    case_keys_for_organisation,
    grant_case_keys,
    organisation_lock,
    organisation_sealing_key,
)
from reporting.services.submission import remove_blobs
from reporting.signals import case_received, case_shredding, incident_merged
from reporting.taxonomy import CLOSED_STATUSES, SYSTEM_DELETE_REASONS, CaseStatus, DeleteReason
from reporting.vacuum import tables_of, vacuum_after_commit

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Incidents (SPEC §6): every change of a case's status or incident goes through here


def _incident_refresh(incident_id: int, *, without: int | None = None) -> None:
    """Recompute whether the incident counts: while any of its cases (apart from ``without``,
    a case about to go) is not rejected; and its consent by purpose: while every such case
    consents.  With no case left it keeps its last values."""
    cases = Case.objects.filter(incident_id=incident_id)
    if without is not None:
        cases = cases.exclude(pk=without)
    rows = list(cases.values_list("status", *CONSENT_PURPOSES))
    if rows:
        statuses = {row[0] for row in rows}
        values: dict[str, bool] = {"counts": statuses != {CaseStatus.REJECTED.value}}
        # A purpose holds for the incident only while every one of its reports consents to it.
        for index, purpose in enumerate(CONSENT_PURPOSES, start=1):
            values[purpose] = all(row[index] for row in rows)
        Incident.objects.filter(pk=incident_id).update(**values)


# The consent purposes the incident follows (SPEC §5.1); contact concerns only the case.
CONSENT_PURPOSES = ("consent_statistics", "consent_network", "consent_publication")


# --------------------------------------------------------------------------------------------
# Transfer and shredding


def case_transfer(
    *, actor: Any, case: Case, to_organisation: Organisation, org_private_key: bytes, keep_copy: bool = False
) -> Case:
    """Re-seal both case keys to the receiving organisation; revoke our grant unless kept."""
    if to_organisation.pk == case.organisation_id:
        raise ServiceError("same_organisation", _("The case is already with this organisation."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        from_org = case.organisation
        keys = case_keys_for_organisation(case=case, organisation=from_org, org_private_key=org_private_key)
        # The receiving organisation's lock before its grants (as a rotation takes them); its
        # key is verified before anything changes (KeyUnverified: the transfer is refused).
        organisation_lock(to_organisation)
        sealing_key = organisation_sealing_key(to_organisation)
        CaseGrant.objects.filter(case=case, organisation=to_organisation).delete()
        grant_case_keys(case, to_organisation, keys, key=sealing_key)
        if not keep_copy:
            CaseGrant.objects.filter(case=case, organisation=from_org).delete()
        case.organisation = to_organisation
        case.assignee = None
        case.staff_unread = True
        case.save(update_fields=["organisation", "assignee", "staff_unread", "updated_at"])
        audit_log(
            actor=actor, action=AuditAction.CASE_TRANSFERRED, case_id=case.pk,
            organisation_id=from_org.pk,
            data={"from": from_org.pk, "to": to_organisation.pk, "kept_copy": keep_copy},
        )
        transaction.on_commit(lambda: _notify_transfer(case.pk), robust=True)
    return case


def _notify_transfer(case_id: int) -> None:
    case_received.send(sender=Case, case_id=case_id, transferred=True)


def case_shred(*, actor: Any | None, case: Case, reason: str) -> None:
    """Crypto-shred: every sealed and wrapped key copy, all ciphertext and files are deleted.

    ``reason`` is a ``DeleteReason`` code, or ``"retention"``/``"reporter"`` when the system
    deletes.  What remains is the audit trail (ids and the reason code) and the case's
    incident with any statistics record (no content).
    """
    if reason not in DeleteReason.values and reason not in SYSTEM_DELETE_REASONS:
        raise ServiceError("invalid_reason", str(_("Choose a reason for deleting.")))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        blob_names = [a.blob.name for a in case.attachments.all()]
        case_id, org_id, reference = case.pk, case.organisation_id, case.reference
        held = [Case, CaseGrant]
        for model, rows in ((Message, case.messages), (Note, case.notes), (Attachment, case.attachments)):
            if rows.all().delete()[0]:
                held.append(model)
        case.grants.all().delete()
        if reason == "reporter":
            # What the reporter approved for the chronicle leaves it with the report.
            ChronicleEntry.objects.filter(summary__case=case).delete()
        # Counselling records keep their codes and lose their text (reporting.signals).
        for _receiver, models_emptied in case_shredding.send(sender=Case, case_id=case.pk):
            held.extend(models_emptied if isinstance(models_emptied, list) else [])
        summaries = case.summaries.all()
        if summaries.exists():
            summaries.delete()
            held.append(PublicSummary)
        # The incident stays: its other cases, or its last state, keep the statistics right.
        _incident_refresh(case.incident_id, without=case.pk)
        Case.objects.filter(duplicate_of=case).update(duplicate_of=None)
        case.delete()
        audit_log(
            actor=actor, action=AuditAction.CASE_SHREDDED, case_id=case_id, organisation_id=org_id,
            data={"reason": reason, "reference": reference},
        )

        transaction.on_commit(lambda: remove_blobs(blob_names))
        # The deleted rows' old versions leave the table files (SPEC §3.9).
        vacuum_after_commit(tables_of(*held))


def case_set_status(*, actor: Any, case: Case, status: str) -> Case:
    if status not in CaseStatus.values:
        raise ServiceError("invalid_status", _("Unknown status."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        old = case.status
        if old == status:
            return case
        case.status = status
        update = ["status", "updated_at"]
        if status in CLOSED_STATUSES:
            case.closed_at = timezone.now()
            # The reply-notice address lives only while the case is open (SPEC §3.8).
            case.notify_ciphertext = None
            update += ["closed_at", "notify_ciphertext"]
        else:
            case.closed_at = None
            update.append("closed_at")
        case.save(update_fields=update)
        _incident_refresh(case.incident_id)
        audit_log(
            actor=actor, action=AuditAction.CASE_STATUS_CHANGED, case_id=case.pk,
            organisation_id=case.organisation_id, data={"from": old, "to": status},
        )
    return case


def case_take(*, actor: Any, case: Case) -> Case:
    """The actor takes a case nobody holds and starts work on it: assigned to the actor and,
    while it is new, set in progress (SPEC §5). Raises ServiceError('already_taken') when
    someone else holds it.

    A conditional UPDATE (`WHERE assignee IS NULL`) decides the race in the database itself,
    so of two counsellors taking the same case at once exactly one wins, on SQLite as on
    PostgreSQL. Taking a case one already holds is a no-op. The status change is recorded as
    its own audit entry, as `case_set_status` would record it.
    """
    with transaction.atomic():
        won = Case.objects.filter(pk=case.pk, assignee__isnull=True).update(
            assignee=actor, updated_at=timezone.now()
        )
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not won:
            if case.assignee_id == actor.pk:
                return case
            raise ServiceError("already_taken", _("Someone else has already taken this case."))
        audit_log(
            actor=actor, action=AuditAction.CASE_TAKEN, case_id=case.pk,
            organisation_id=case.organisation_id,
        )
        if case.status == CaseStatus.NEW:
            case.status = CaseStatus.IN_PROGRESS
            case.save(update_fields=["status", "updated_at"])
            audit_log(
                actor=actor, action=AuditAction.CASE_STATUS_CHANGED, case_id=case.pk,
                organisation_id=case.organisation_id,
                data={"from": CaseStatus.NEW.value, "to": CaseStatus.IN_PROGRESS.value},
            )
    return case


def case_mark_duplicate(*, actor: Any, case: Case, original: Case) -> Case:
    """Record that ``case`` reports the same incident as ``original`` (same organisation only):
    the case moves into the original's incident.  When it was the last case of its incident,
    that incident is merged away (``incident_merged``: its statistics record moves over unless
    the original's incident is classified already)."""
    if original.pk == case.pk:
        raise ServiceError("same_case", str(_("A case cannot duplicate itself.")))
    if original.organisation_id != case.organisation_id:
        raise ServiceError(
            "other_organisation", str(_("Only a case of the same organisation can be the original."))
        )
    with transaction.atomic():
        # Lock both in id order, so two marks of the same pair cannot deadlock.
        locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[case.pk, original.pk]).order_by("pk")}
        if len(locked) != 2:
            raise ServiceError("not_found", str(_("That case no longer exists.")))
        case, original = locked[case.pk], locked[original.pk]
        if original.duplicate_of_id == case.pk:
            raise ServiceError("cycle", str(_("That case is already marked as a duplicate of this one.")))
        source_id, target_id = case.incident_id, original.incident_id
        case.duplicate_of = original
        case.incident_id = target_id
        case.save(update_fields=["duplicate_of", "incident", "updated_at"])
        merged = False
        if source_id != target_id:
            if not Case.objects.filter(incident_id=source_id).exists():
                incident_merged.send(sender=Incident, source_id=source_id, target_id=target_id)
                Incident.objects.filter(pk=source_id).delete()
                merged = True
            else:
                _incident_refresh(source_id)
            _incident_refresh(target_id)
        audit_log(
            actor=actor, action=AuditAction.CASE_MARKED_DUPLICATE, case_id=case.pk,
            organisation_id=case.organisation_id,
            data={"original": original.pk, "incident": target_id, "merged_incident": merged},
        )
    return case


def case_unmark_duplicate(*, actor: Any, case: Case) -> Case:
    """The case is not a duplicate after all: it gets an incident of its own, unclassified.
    The original's incident keeps its classification."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.duplicate_of_id is None:
            raise ServiceError("not_duplicate", str(_("This case is not marked as a duplicate.")))
        old_incident = case.incident_id
        incident = Incident.objects.create(
            counts=case.status != CaseStatus.REJECTED,
            **{purpose: getattr(case, purpose) for purpose in CONSENT_PURPOSES},
        )
        case.duplicate_of = None
        case.incident = incident
        case.save(update_fields=["duplicate_of", "incident", "updated_at"])
        _incident_refresh(old_incident)
        audit_log(
            actor=actor, action=AuditAction.CASE_UNMARKED_DUPLICATE, case_id=case.pk,
            organisation_id=case.organisation_id,
            data={"incident": incident.pk, "previous_incident": old_incident},
        )
    return case
