"""A new case: numbering, routing, encryption, the reporter's receipt, and attachments."""

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
from django.db import connection, transaction
from django.utils import timezone

from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.models import (
    Attachment,
    Case,
    CaseGrant,
    CaseSequence,
    Incident,
    Organisation,
)
from reporting.routing import Coverage, route_report
from reporting.services.common import (
    PURPOSE_ATTACHMENT_META,
    PURPOSE_NOTIFY,
    PURPOSE_REPORT,
    PURPOSE_REPORTER_WRAP,
    CaseKeys,
    ServiceError,
    case_binding,
)
from reporting.services.conversation import touch_reporter_activity
from reporting.services.keys import grant_case_keys, organisation_lock, organisation_sealing_key
from reporting.taxonomy import Channel
from reporting.traces import pad, to_the_hour

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Case numbering


def next_reference(year: int) -> str:
    """Allocate NI-<year>-<number> under a row lock: concurrent submissions never collide.

    One upsert (issue 7; it was insert-if-missing, SELECT … FOR UPDATE, UPDATE): the
    `ON CONFLICT … DO UPDATE` increments atomically and keeps the row locked (PostgreSQL) or
    the database write-locked (SQLite) until commit, so numbers stay unique and gap-free: a
    rolled-back submission rolls its increment back too. Both databases support RETURNING
    (SQLite 3.35+).
    """
    table = connection.ops.quote_name(CaseSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "  # noqa: S608 (our own table name)
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        number = int(cursor.fetchone()[0])
    return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{number:05d}"


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
    # Consent by purpose (SPEC §5.1): codes on the case, not part of the encrypted report.
    consent_contact: bool = True
    consent_statistics: bool = True
    consent_network: bool = False
    consent_publication: bool = False

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


def _coverage(org: Organisation) -> Coverage:
    return Coverage(
        organisation_id=org.pk,
        statewide=org.statewide,
        districts=frozenset(org.districts),
        all_motives=org.all_motives,
        motives=frozenset(org.motives),
        languages=frozenset(org.languages),
        active=org.active,
        is_fallback=org.is_fallback,
        last_received_at=org.last_received_at,
        last_case_id=org.last_received_case_id,
    )


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
        remove_blobs([a.blob.name for a in stored])
        raise
    return Submitted(case=case, receipt_code=receipt)


def _report_store(
    report: ReportInput, files: Sequence[FileInput], actor: Any | None,
    organisation: Organisation | None, keys: CaseKeys, receipt: str | None,
    now: Any, stored: list[Attachment],
) -> Case:
    case_key = keys.case_key
    manual = receipt is None
    # Stored times say only the hour (reporting.traces); the day received stays exact.
    received_at = to_the_hour(now)
    with transaction.atomic():
        if organisation is None:
            organisation = _route(report)
        else:
            organisation_lock(organisation)
        # Before anything is written: a key whose MAC fails refuses the whole submission
        # (KeyUnverified, a ServiceError: the reporter gets a calm "try again later").
        sealing_key = organisation_sealing_key(organisation)
        reference = next_reference(timezone.localdate(now).year)
        case = Case(
            incident=Incident.objects.create(
                created_at=received_at, consent_statistics=report.consent_statistics,
                consent_network=report.consent_network, consent_publication=report.consent_publication,
            ),
            created_at=received_at,
            reference=reference,
            organisation=organisation,
            channel=report.channel,
            received_on=timezone.localdate(now),
            district=report.district or "unknown",
            incident_type=report.incident_type,
            motives=sorted(set(report.motives)),
            language=report.language,
            wants_counselling=report.wants_counselling,
            consent_contact=report.consent_contact,
            consent_statistics=report.consent_statistics,
            consent_network=report.consent_network,
            consent_publication=report.consent_publication,
            staff_unread=not manual,
            last_reporter_activity_at=None if manual else received_at,
        )
        binding = case_binding(case)
        case.report_ciphertext = crypto.encrypt(
            case_key, pad(json.dumps(report.content()).encode()), case_id=binding, purpose=PURPOSE_REPORT
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
        grant_case_keys(case, organisation, keys, key=sealing_key)
        # auto_now and the grant's auto_now_add stamp the exact time; they keep the hour.
        Case.objects.filter(pk=case.pk).update(updated_at=received_at)
        CaseGrant.objects.filter(case=case).update(created_at=received_at)
        for item in files:
            stored.append(_attachment_store(case, case_key, item, from_reporter=not manual))
        Organisation.objects.filter(pk=organisation.pk).update(
            last_received_at=received_at, last_received_case_id=case.pk
        )
        audit_log(
            actor=actor,
            action=AuditAction.CASE_MANUAL_ENTRY if manual else AuditAction.CASE_SUBMITTED,
            case_id=case.pk, organisation_id=organisation.pk,
            data={"channel": report.channel, "files": len(files)},
        )
        if not manual:
            # robust: the case is committed; a queue that cannot take the notice is logged and
            # must not turn the reporter's receipt into an error page (issue 6).
            transaction.on_commit(lambda: _notify_new_case(case.pk), robust=True)
    return case


def _route(report: ReportInput) -> Organisation:
    # Lock the coverage rows so the least-recently-served tie-break holds under concurrency,
    # and route on exactly the rows just locked: one query (issue 7) instead of the lock, a
    # second read for the coverage table, one for the reporter's choice and one for the
    # winner. The lock order (the model's default ordering) is unchanged.
    organisations = list(Organisation.objects.select_for_update())
    return route_among(
        organisations, district=report.district, motives=report.motives, language=report.language,
        partner=report.partner,
    )


def route_among(
    organisations: Sequence[Organisation], *, district: str, motives: Sequence[str], language: str, partner: str,
) -> Organisation:
    """The organisation `route_report` picks among these rows; ServiceError if none can."""
    by_pk = {org.pk: org for org in organisations}
    chosen = None
    if partner:
        chosen = next((org.pk for org in organisations if org.slug == partner), None)
    org_id = route_report(
        district=district, motives=frozenset(motives), language=language,
        chosen=chosen, coverage=[_coverage(org) for org in organisations],
    )
    if org_id is None:
        raise ServiceError("no_organisation", "No organisation can receive reports at the moment.")
    return by_pk[org_id]


def _notify_new_case(case_id: int) -> None:
    from reporting.notifications import queue_new_case_notice

    queue_new_case_notice(case_id)


# --------------------------------------------------------------------------------------------
# Attachments


def _attachment_store(case: Case, case_key: bytes, item: FileInput, *, from_reporter: bool) -> Attachment:
    attachment = Attachment(
        case=case, from_reporter=from_reporter, created_at=to_the_hour() if from_reporter else timezone.now()
    )
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
        remove_blobs([attachment.blob.name])
        raise
    return attachment


def remove_blobs(names: Sequence[str | None]) -> None:
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
            touch_reporter_activity(case, by_reporter=actor is None)
            audit_log(
                actor=actor, action=AuditAction.ATTACHMENT_ADDED, case_id=case.pk,
                organisation_id=case.organisation_id, data={"attachment": attachment.uuid.hex},
            )
    except BaseException:
        remove_blobs([a.blob.name for a in stored])
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
