"""Writes of the case core: organisations and keys, submission, grants, transfer, shredding.

Each service is one transaction, takes `actor=` where a person acts, and writes its audit
entry itself. Keys arrive as arguments (the caller unlocked them); nothing here keeps them.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from reporting import crypto
from reporting.audit import audit_log
from reporting.models import (
    Attachment,
    Case,
    CaseGrant,
    CaseSequence,
    Message,
    Note,
    Organisation,
    OrganisationKey,
)
from reporting.routing import Coverage, route_report
from reporting.taxonomy import CaseStatus, Channel

logger = logging.getLogger(__name__)

PURPOSE_REPORT = "report"
PURPOSE_MESSAGE = "message"
PURPOSE_NOTE = "note"
PURPOSE_ATTACHMENT_META = "attachment-meta"
PURPOSE_NOTIFY = "notify-address"
PURPOSE_CASE_KEY = "case-key"
PURPOSE_INTERNAL_KEY = "internal-key"
PURPOSE_REPORTER_WRAP = "reporter-wrap"
PURPOSE_RECOVERY_WRAP = "recovery-wrap"


class ServiceError(Exception):
    """A request that cannot be carried out; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def case_binding(case: Case) -> str:
    """What every ciphertext of a case is bound to (associated data): its reference."""
    return case.reference


@dataclass(frozen=True)
class CaseKeys:
    case_key: bytes
    internal_key: bytes | None  # None for the reporter, who never holds it


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
        audit_log(actor=actor, action="reporting.organisation.created", organisation_id=org.pk)
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
            actor=actor, action="reporting.organisation.updated", organisation_id=organisation.pk,
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
            actor=actor, action="reporting.organisation.key_rotated", organisation_id=org.pk,
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


def _grant(case: Case, organisation: Organisation, keys: CaseKeys) -> CaseGrant:
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


# --------------------------------------------------------------------------------------------
# Case numbering


def _next_reference(year: int) -> str:
    """Allocate NI-<year>-<number> under a row lock: concurrent submissions never collide."""
    CaseSequence.objects.bulk_create([CaseSequence(year=year, last_number=0)], ignore_conflicts=True)
    seq = CaseSequence.objects.select_for_update().get(year=year)
    seq.last_number += 1
    seq.save(update_fields=["last_number"])
    return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{seq.last_number:05d}"


# --------------------------------------------------------------------------------------------
# Submission


@dataclass
class ReportInput:
    """What a reporter (or a counsellor recording a manual entry) tells us."""

    description: str
    incident_type: str = ""
    occurred_on: date | None = None
    occurred_month: str = ""  # "YYYY-MM" when the day is not known
    district: str = "unknown"
    area_of_life: str = ""
    place_details: str = ""
    motives: list[str] = field(default_factory=list)
    role: str = ""
    people_affected: int | None = None
    wants_counselling: bool = False
    contact_method: str = "mailbox"  # mailbox | email | phone
    contact_email: str = ""
    contact_phone: str = ""
    notify_email: str = ""
    partner: str = ""  # slug chosen by the reporter, or empty for "choose for me"
    language: str = "de"
    channel: str = Channel.ONLINE_FORM

    def content(self) -> dict[str, Any]:
        """The encrypted part of the report."""
        return {
            "description": self.description,
            "incident_type": self.incident_type,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else "",
            "occurred_month": self.occurred_month,
            "district": self.district,
            "area_of_life": self.area_of_life,
            "place_details": self.place_details,
            "motives": list(self.motives),
            "role": self.role,
            "people_affected": self.people_affected,
            "wants_counselling": self.wants_counselling,
            "contact_method": self.contact_method,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
            "channel": self.channel,
        }


@dataclass(frozen=True)
class FileInput:
    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Submitted:
    case: Case
    receipt_code: str | None


def coverage_table() -> list[Coverage]:
    return [
        Coverage(
            organisation_id=org.pk,
            statewide=org.statewide,
            districts=frozenset(org.districts),
            all_motives=org.all_motives,
            motives=frozenset(org.motives),
            languages=frozenset(org.languages),
            active=org.active,
            is_fallback=org.is_fallback,
            last_received_at=org.last_received_at,
        )
        for org in Organisation.objects.all()
    ]


def report_submit(
    *, report: ReportInput, files: Sequence[FileInput] = (), actor: Any | None = None,
    organisation: Organisation | None = None,
) -> Submitted:
    """Store a new case, encrypted, routed to one organisation, with a receipt for the reporter.

    `organisation` is given for manual entries (the recording counsellor's); otherwise the
    report is routed (SPEC §4.5). Manual entries get no receipt.
    """
    case_key = crypto.new_key()
    internal_key = crypto.new_key()
    keys = CaseKeys(case_key=case_key, internal_key=internal_key)
    manual = organisation is not None
    receipt = None if manual else crypto.new_receipt_code()
    now = timezone.now()
    stored: list[Attachment] = []
    try:
        case = _report_store(report, files, actor, organisation, keys, receipt, now, stored)
    except BaseException:
        # Nothing of a failed submission may stay behind: remove ciphertext files written so far.
        _remove_blobs([a.blob.name for a in stored])
        raise
    return Submitted(case=case, receipt_code=receipt)


def _report_store(
    report: ReportInput, files: Sequence[FileInput], actor: Any | None,
    organisation: Organisation | None, keys: CaseKeys, receipt: str | None,
    now: Any, stored: list[Attachment],
) -> Case:
    case_key = keys.case_key
    manual = receipt is None
    with transaction.atomic():
        if organisation is None:
            organisation = _route(report)
        reference = _next_reference(timezone.localdate(now).year)
        case = Case(
            reference=reference,
            organisation=organisation,
            channel=report.channel,
            received_on=timezone.localdate(now),
            district=report.district or "unknown",
            incident_type=report.incident_type,
            motives=sorted(set(report.motives)),
            language=report.language,
            wants_counselling=report.wants_counselling,
            staff_unread=not manual,
            last_reporter_activity_at=None if manual else now,
        )
        binding = case_binding(case)
        case.report_ciphertext = crypto.encrypt(
            case_key, json.dumps(report.content()).encode(), case_id=binding, purpose=PURPOSE_REPORT
        )
        if receipt is not None:
            normalised = crypto.normalise_receipt(receipt)
            assert normalised is not None
            case.receipt_lookup = crypto.receipt_lookup(settings.RECEIPT_PEPPER, normalised)
            case.reporter_wrapped_key = crypto.wrap_key(
                crypto.receipt_kek(normalised, case_id=binding), case_key,
                owner=binding, purpose=PURPOSE_REPORTER_WRAP,
            )
        if report.notify_email:
            case.notify_ciphertext = crypto.encrypt(
                settings.NOTIFICATION_KEY, report.notify_email.encode(), case_id=binding, purpose=PURPOSE_NOTIFY
            )
        case.save()
        _grant(case, organisation, keys)
        for item in files:
            stored.append(_attachment_store(case, case_key, item, from_reporter=not manual))
        Organisation.objects.filter(pk=organisation.pk).update(last_received_at=now)
        audit_log(
            actor=actor,
            action="reporting.case.manual_entry" if manual else "reporting.case.submitted",
            case_id=case.pk, organisation_id=organisation.pk,
            data={"channel": report.channel, "files": len(files)},
        )
        if not manual:
            # robust: the case is committed; a queue that cannot take the notice is logged and
            # must not turn the reporter's receipt into an error page (issue 6).
            transaction.on_commit(lambda: _notify_new_case(case.pk), robust=True)
    return case


def _route(report: ReportInput) -> Organisation:
    chosen = None
    if report.partner:
        chosen_org = Organisation.objects.filter(slug=report.partner).first()
        chosen = chosen_org.pk if chosen_org else None
    # Lock the coverage rows so the least-recently-served tie-break holds under concurrency.
    list(Organisation.objects.select_for_update().values_list("pk", flat=True))
    org_id = route_report(
        district=report.district, motives=frozenset(report.motives), language=report.language,
        chosen=chosen, coverage=coverage_table(),
    )
    if org_id is None:
        raise ServiceError("no_organisation", "No organisation can receive reports at the moment.")
    return Organisation.objects.get(pk=org_id)


def _notify_new_case(case_id: int) -> None:
    from reporting.notifications import queue_new_case_notice

    queue_new_case_notice(case_id)


# --------------------------------------------------------------------------------------------
# Attachments


def _attachment_store(case: Case, case_key: bytes, item: FileInput, *, from_reporter: bool) -> Attachment:
    attachment = Attachment(case=case, from_reporter=from_reporter)
    binding = case_binding(case)
    buffer = io.BytesIO()
    # The plaintext is in memory already (size-limited upload); only ciphertext reaches storage.
    crypto.encrypt_stream(
        case_key, _chunks(item.content), buffer, case_id=binding, attachment_id=attachment.uuid.hex
    )
    attachment.meta_ciphertext = crypto.encrypt(
        case_key,
        json.dumps({"name": item.name, "content_type": item.content_type, "size": len(item.content)}).encode(),
        case_id=binding, purpose=f"{PURPOSE_ATTACHMENT_META}:{attachment.uuid.hex}",
    )
    attachment.blob.save("x", ContentFile(buffer.getvalue()), save=False)
    try:
        attachment.save()
    except BaseException:
        _remove_blobs([attachment.blob.name])
        raise
    return attachment


def _remove_blobs(names: Sequence[str]) -> None:
    for name in names:
        if name and default_storage.exists(name):
            default_storage.delete(name)


def _chunks(data: bytes, size: int = crypto.SEGMENT_BYTES) -> Any:
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


def attachment_add(*, case: Case, case_key: bytes, item: FileInput, actor: Any | None) -> Attachment:
    """Add a file to a case; `actor=None` means the reporter added it."""
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            attachment = _attachment_store(case, case_key, item, from_reporter=actor is None)
            stored.append(attachment)
            _touch_reporter_activity(case, by_reporter=actor is None)
            audit_log(
                actor=actor, action="reporting.attachment.added", case_id=case.pk,
                organisation_id=case.organisation_id, data={"attachment": attachment.uuid.hex},
            )
    except BaseException:
        _remove_blobs([a.blob.name for a in stored])
        raise
    return attachment


def attachment_meta(*, attachment: Attachment, case_key: bytes) -> dict[str, Any]:
    return json.loads(
        crypto.decrypt(
            case_key, bytes(attachment.meta_ciphertext), case_id=case_binding(attachment.case),
            purpose=f"{PURPOSE_ATTACHMENT_META}:{attachment.uuid.hex}",
        )
    )


def attachment_open(*, attachment: Attachment, case_key: bytes) -> Any:
    """Yield the decrypted file segment by segment (bounded memory)."""
    with attachment.blob.open("rb") as source:
        yield from crypto.decrypt_stream(
            case_key, source, case_id=case_binding(attachment.case), attachment_id=attachment.uuid.hex
        )


# --------------------------------------------------------------------------------------------
# Reporter access


@dataclass(frozen=True)
class ReporterAccess:
    case: Case
    case_key: bytes


def reporter_open(*, receipt: str) -> ReporterAccess | None:
    """The case for a receipt code, with its key; None for any code that does not open one."""
    normalised = crypto.normalise_receipt(receipt)
    if normalised is None:
        return None
    case = (
        Case.objects.select_related("organisation")
        .filter(receipt_lookup=crypto.receipt_lookup(settings.RECEIPT_PEPPER, normalised))
        .first()
    )
    if case is None or case.reporter_wrapped_key is None:
        return None
    binding = case_binding(case)
    try:
        case_key = crypto.unwrap_key(
            crypto.receipt_kek(normalised, case_id=binding), bytes(case.reporter_wrapped_key),
            owner=binding, purpose=PURPOSE_REPORTER_WRAP,
        )
    except crypto.CryptoError:
        return None
    return ReporterAccess(case=case, case_key=case_key)


def report_decrypt(*, case: Case, case_key: bytes) -> dict[str, Any]:
    return json.loads(
        crypto.decrypt(case_key, bytes(case.report_ciphertext), case_id=case_binding(case), purpose=PURPOSE_REPORT)
    )


# --------------------------------------------------------------------------------------------
# Messages and notes


def _touch_reporter_activity(case: Case, *, by_reporter: bool) -> None:
    if by_reporter:
        now = timezone.now()
        Case.objects.filter(pk=case.pk).update(last_reporter_activity_at=now, staff_unread=True)
        case.last_reporter_activity_at = now
        case.staff_unread = True


def message_post(*, case: Case, case_key: bytes, body: str, actor: Any | None) -> Message:
    """A message in the anonymous mailbox. `actor=None` means the reporter wrote it."""
    by_reporter = actor is None
    with transaction.atomic():
        message = Message(
            case=case,
            direction=Message.Direction.FROM_REPORTER if by_reporter else Message.Direction.TO_REPORTER,
            author=actor,
        )
        message.body_ciphertext = b""
        message.save()
        message.body_ciphertext = crypto.encrypt(
            case_key, body.encode(), case_id=case_binding(case), purpose=f"{PURPOSE_MESSAGE}:{message.pk}"
        )
        message.save(update_fields=["body_ciphertext"])
        if by_reporter:
            _touch_reporter_activity(case, by_reporter=True)
        else:
            updates: dict[str, Any] = {"reporter_unread": True}
            if case.first_reply_at is None:
                updates["first_reply_at"] = timezone.now()
            Case.objects.filter(pk=case.pk).update(**updates)
            for name, value in updates.items():
                setattr(case, name, value)
        audit_log(
            actor=actor,
            action="reporting.message.from_reporter" if by_reporter else "counselling.message.sent",
            case_id=case.pk, organisation_id=case.organisation_id, data={"message": message.pk},
        )
        if by_reporter:
            transaction.on_commit(lambda: _notify_new_message(case.pk), robust=True)
        elif case.notify_ciphertext:
            transaction.on_commit(lambda: _notify_reporter(case.pk), robust=True)
    return message


def _notify_new_message(case_id: int) -> None:
    from reporting.notifications import queue_new_message_notice

    queue_new_message_notice(case_id)


def _notify_reporter(case_id: int) -> None:
    from reporting.notifications import queue_reporter_reply_notice

    queue_reporter_reply_notice(case_id)


def message_text(*, message: Message, case_key: bytes) -> str:
    return crypto.decrypt(
        case_key, bytes(message.body_ciphertext), case_id=case_binding(message.case),
        purpose=f"{PURPOSE_MESSAGE}:{message.pk}",
    ).decode()


def messages_mark_read(*, case: Case, by_reporter: bool) -> None:
    """The reporter read the staff's messages, or the staff read the reporter's."""
    direction = Message.Direction.TO_REPORTER if by_reporter else Message.Direction.FROM_REPORTER
    with transaction.atomic():
        Message.objects.filter(case=case, direction=direction, read_at__isnull=True).update(read_at=timezone.now())
        field_name = "reporter_unread" if by_reporter else "staff_unread"
        Case.objects.filter(pk=case.pk).update(**{field_name: False})
        setattr(case, field_name, False)


def note_add(*, case: Case, internal_key: bytes, body: str, actor: Any) -> Note:
    with transaction.atomic():
        note = Note.objects.create(case=case, author=actor, body_ciphertext=b"")
        note.body_ciphertext = crypto.encrypt(
            internal_key, body.encode(), case_id=case_binding(case), purpose=f"{PURPOSE_NOTE}:{note.pk}"
        )
        note.save(update_fields=["body_ciphertext"])
        audit_log(
            actor=actor, action="counselling.note.added", case_id=case.pk,
            organisation_id=case.organisation_id, data={"note": note.pk},
        )
    return note


def note_text(*, note: Note, internal_key: bytes) -> str:
    return crypto.decrypt(
        internal_key, bytes(note.body_ciphertext), case_id=case_binding(note.case),
        purpose=f"{PURPOSE_NOTE}:{note.pk}",
    ).decode()


def notify_address(*, case: Case) -> str | None:
    if not case.notify_ciphertext:
        return None
    return crypto.decrypt(
        settings.NOTIFICATION_KEY, bytes(case.notify_ciphertext), case_id=case_binding(case), purpose=PURPOSE_NOTIFY
    ).decode()


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
        _grant(case, to_organisation, keys)
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

        transaction.on_commit(lambda: _remove_blobs(blob_names))


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
