"""A new case: numbering, routing, encryption, the reporter's receipt, and attachments."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meldestelle.db import GuardFailed, execute_unflushed, insert_together, next_ids_sql
from reporting import crypto, signals, snapshot
from reporting.audit import AuditAction, audit_entry_committed, audit_entry_waiting, audit_log
from reporting.blobs import StorageUnavailable, blob_delete, blob_read, blob_write
from reporting.models import (
    Attachment,
    Case,
    CaseGrant,
    CaseSequence,
    Incident,
    Organisation,
    OrganisationKey,
    attachment_path,
)
from reporting.routing import Coverage, decided_by_turn, route_report
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
from reporting.services.keys import (
    organisation_key_guard,
    organisation_key_hold,
    seal_case_keys_to,
)
from reporting.taxonomy import Channel
from reporting.traces import pad, to_the_hour, unpad

UNREADABLE_ATTACHMENT = _("A file that cannot be opened: it was not encrypted for this report")

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Case numbering

def _next_number(year: int, *, with_ids: bool = False) -> tuple[int, int | None, int | None]:
    """The next case number of `year`: one upsert with RETURNING (both databases); with
    `with_ids`, on PostgreSQL, also the ids of the new case and its incident, drawn from their
    sequences in the same statement (for `insert_together`), else None.

    Called before the submission's transaction (issue 16), so in autocommit it is a statement of
    its own and the year's counter row is locked only for that statement, not until the
    submission commits: numbers are unique and increasing, and submissions do not queue behind
    each other for them. Its commit does not wait for the disk (`execute_unflushed`): a case
    that stores the number is committed durably later, and that flushes the counter with it.
    The price is a documented gap: a submission that fails after being numbered (a key that
    fails its check, an unreachable attachment store, a crash) leaves its number unused.
    (Inside an outer transaction, as in a test, it rolls back with it.)
    """
    table = connection.ops.quote_name(CaseSequence._meta.db_table)
    sql = (
        f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "  # noqa: S608 (our own table name)
        f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
        "RETURNING last_number"
    )
    ids = with_ids and connection.vendor == "postgresql"
    if ids:
        sql = f"WITH n AS ({sql}) SELECT last_number, {next_ids_sql(Case, Incident)} FROM n"  # noqa: S608
    with connection.cursor() as cursor:
        execute_unflushed(cursor, sql, [year])
        row = cursor.fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if ids else (int(row[0]), None, None)


def _reference(year: int, number: int) -> str:
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
        last_serial=org.last_received_serial,
    )


def report_submit(
    *, report: ReportInput, files: Sequence[FileInput] = (), actor: Any | None = None,
    organisation: Organisation | None = None,
) -> Submitted:
    """Store a new case, encrypted, routed to one organisation, with a receipt for the reporter.

    `organisation` is given for manual entries (the recording counsellor's); otherwise the
    report is routed (SPEC §4.5). Manual entries get no receipt.

    No global critical section (issue 16): the number comes from a one-statement counter, the
    routing turn from a conditional UPDATE, and everything slow (HPKE seals, encryption, the
    attachments' upload) happens before the rows are written. They are then inserted with the
    audit entry (written without the chain head, chained after commit, reporting.audit) under
    a shared hold on the organisation's key epoch: on PostgreSQL, for a report without files,
    in one statement (`store_at_once`), otherwise in a transaction.
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
    received_on = timezone.localdate(now)
    number, case_id, incident_id = _next_number(received_on.year, with_ids=True)
    if organisation is None:
        organisation = _route(report, received_at=received_at)
    else:
        _claim_turn(organisation, received_at=received_at, contested=False)
    # Before anything is written: a key whose MAC fails refuses the whole submission
    # (KeyUnverified, a ServiceError: the reporter gets a calm "try again later"). Verified once
    # per snapshot of the organisations (reporting.snapshot); the epoch is checked again below.
    sealing_key = snapshot.sealing_key(organisation)
    case = Case(
        pk=case_id,
        created_at=received_at,
        reference=_reference(received_on.year, number),
        organisation=organisation,
        channel=report.channel,
        received_on=received_on,
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
        updated_at=received_at,
        notice_pending=not manual and notice_after_commit(),
    )
    binding = case_binding(case)
    case.report_ciphertext = crypto.encrypt(
        case_key, pad(json.dumps(report.content()).encode()), case_id=binding, purpose=PURPOSE_REPORT
    )
    if receipt is not None:
        normalised = crypto.normalise_receipt(receipt)
        assert normalised is not None
        # Found by the code's look-up token, as a case sealed in the browser is: the follow-up
        # opens in the browser without the code reaching the server (SPEC §3.10).
        case.receipt_lookup = crypto.receipt_lookup_from_token(
            settings.RECEIPT_PEPPER, crypto.receipt_lookup_token(normalised)
        )
        case.reporter_wrapped_key = crypto.wrap_key(
            crypto.receipt_kek(normalised, case_id=binding), case_key,
            owner=binding, purpose=PURPOSE_REPORTER_WRAP,
        )
    if report.notify_email:
        case.notify_ciphertext = crypto.encrypt(
            settings.NOTIFICATION_KEY, report.notify_email.encode(), case_id=binding, purpose=PURPOSE_NOTIFY
        )
    grant = seal_case_keys_to(case, organisation, sealing_key, keys)
    for item in files:
        stored.append(_attachment_upload(case, case_key, item, from_reporter=not manual))
    if not manual and not stored and at_once_applies(case):
        try:
            store_at_once(_case_rows(case, grant, report, incident_id), case, sealing_key, actor=actor,
                          data={"channel": report.channel, "files": 0})
            return case
        except GuardFailed:
            pass  # paused or rotated since the snapshot: the transaction decides, as below
    with transaction.atomic():
        hold = organisation_key_hold(organisation)
        while not manual and organisation.active and not hold.active:
            # Paused since the snapshot this was routed on: route again on a fresh read.
            snapshot.clear()
            organisation = _route(report, received_at=received_at)
            case.organisation = organisation
            hold = organisation_key_hold(organisation)
        if hold.key_id != sealing_key.pk or grant.organisation_id != organisation.pk:
            # A rotation retired the epoch since it was read (or the report was routed again):
            # seal again, now under the hold, to the epoch read fresh and verified.
            if grant.organisation_id == organisation.pk:
                snapshot.clear()
            sealing_key = snapshot.sealing_key(organisation)
            grant = seal_case_keys_to(case, organisation, sealing_key, keys)
        rows = _case_rows(case, grant, report, incident_id)
        if case.pk is None:
            # The ids come from the inserts (SQLite): the audit entry needs the case's.
            insert_together(rows)
            rows = []
        for attachment in stored:  # one by one: their ids keep the order they were sent in
            attachment.case = case
            attachment.save()
        audit_log(
            actor=actor, action=AuditAction.CASE_MANUAL_ENTRY if manual else AuditAction.CASE_SUBMITTED,
            case_id=case.pk, organisation_id=organisation.pk, data={"channel": report.channel, "files": len(files)},
            deferred=True, insert_with=rows,
        )
        # PostgreSQL: the incident, the case, its grant and the audit entry are one
        # statement (meldestelle.db), not a round trip each.
        insert_together(rows)
        if not manual:
            new_case_notice(case)
    return case


def _case_rows(case: Case, grant: CaseGrant, report: ReportInput, incident_id: int | None) -> list[Any]:
    """The new case's incident, the case and its grant, unsaved, in the order of their insert."""
    case.incident = Incident(
        pk=incident_id, created_at=case.created_at, consent_statistics=report.consent_statistics,
        consent_network=report.consent_network, consent_publication=report.consent_publication,
    )
    grant.case = case
    grant.created_at = case.created_at  # the hour, as the case's own times
    return [case.incident, case, grant]


def at_once_applies(case: Case) -> bool:
    """Whether a new case's rows can be stored at once (`store_at_once`): on PostgreSQL, with
    its ids drawn beforehand, outside a transaction (a request's autocommit), and where audit
    entries are chained after commit."""
    return (
        case.pk is not None and notice_after_commit() and connection.vendor == "postgresql"
        and connection.get_autocommit() and not connection.in_atomic_block
    )


def store_at_once(
    rows: list[Any], case: Case, sealing_key: OrganisationKey, *, actor: Any | None, data: dict[str, Any],
) -> None:
    """Store a new case's `rows` (its incident, the case, its grant) with its audit entry in one
    statement, which also holds the organisation's key epoch (`organisation_key_guard`) and is
    committed on its own: one round trip instead of four (`BEGIN`, the hold, the rows,
    `COMMIT`). Only where `at_once_applies`, for a case without files.

    GuardFailed, with nothing stored, when the organisation was paused or `sealing_key` is no
    longer its epoch (the caller routes or seals again, or refuses).
    """
    rows = [*rows, audit_entry_waiting(
        actor=actor, action=AuditAction.CASE_SUBMITTED, case_id=case.pk, organisation_id=case.organisation_id,
        data=data,
    )]
    insert_together(rows, guard=organisation_key_guard(case.organisation, sealing_key))
    # Both go to the writer (reporting.writer): the entry onto the chain, the staff notice.
    audit_entry_committed()


# How often a report routed on a tie re-reads the table when a concurrent one took the turn.
ROUTING_ATTEMPTS = 25


def _route(report: ReportInput, *, received_at: Any) -> Organisation:
    """Route on an unlocked read of the coverage table and claim the turn (issue 16).

    Before, every submission locked every organisation row until commit so the
    least-recently-served tie-break held under concurrency; now the winner's row is claimed
    with one conditional UPDATE in its own statement. When the winner won only on the
    tie-break, the UPDATE applies only if its last-received mark is still the one just read:
    of two concurrent reports that both picked it, one gets the turn and the other reads again
    and goes to the next in line, as the lock made them do. Otherwise (the only candidate, the
    reporter's choice, the fallback) the mark just moves forward.
    """
    # The process's snapshot of the coverage table (reporting.snapshot) says whether the
    # tie-break decides; when it does, it decides on the last-received marks read fresh.
    organisations, fresh = snapshot.organisations(), False
    for _attempt in range(ROUTING_ATTEMPTS):
        winner = _route_on(report, organisations)
        contested = decided_by_turn(
            district=report.district, motives=frozenset(report.motives), language=report.language,
            chosen=_chosen(report, organisations), coverage=[_coverage(org) for org in organisations],
            winner=winner.pk,
        )
        if contested and not fresh:
            organisations, fresh = list(Organisation.objects.all()), True
            continue
        if _claim_turn(winner, received_at=received_at, contested=contested):
            return winner
        organisations, fresh = list(Organisation.objects.all()), True
    # Very many reports on one tie at once: route as before, under the row locks.
    with transaction.atomic():
        organisations = list(Organisation.objects.select_for_update())
        winner = _route_on(report, organisations)
        _claim_turn(winner, received_at=received_at, contested=False)
    return winner


def _chosen(report: ReportInput, organisations: list[Organisation]) -> int | None:
    if not report.partner:
        return None
    return next((org.pk for org in organisations if org.slug == report.partner), None)


def _route_on(report: ReportInput, organisations: list[Organisation]) -> Organisation:
    return route_among(
        organisations, district=report.district, motives=report.motives, language=report.language,
        partner=report.partner,
    )


def route_among(
    organisations: Sequence[Organisation], *, district: str, motives: Sequence[str], language: str, partner: str,
) -> Organisation:
    """The organisation `route_report` picks among these rows; ServiceError if none can."""
    chosen = next((org.pk for org in organisations if org.slug == partner), None) if partner else None
    org_id = route_report(
        district=district, motives=frozenset(motives), language=language,
        chosen=chosen, coverage=[_coverage(org) for org in organisations],
    )
    if org_id is None:
        raise ServiceError("no_organisation", _("No organisation can receive reports at the moment."))
    return next(org for org in organisations if org.pk == org_id)


def _claim_turn(organisation: Organisation, *, received_at: Any, contested: bool) -> bool:
    """Mark `organisation` as the last to receive a case; see `_route`. One statement.

    The mark is one above the highest of all organisations (read in the same statement), so it
    orders turns in the order they were claimed: a report numbered earlier but routed later
    does not make its organisation look less recently served. Two claims on different organisations in the same instant can get the same
    mark; the organisation id breaks that tie, as it breaks every other.
    """
    # Raw SQL: the ORM spent longer compiling this UPDATE with its subquery than the database
    # spent running it, once per report.
    table = connection.ops.quote_name(Organisation._meta.db_table)
    sql = (
        f"UPDATE {table} SET last_received_at = %s, "  # noqa: S608 (our own table name)
        f"last_received_serial = COALESCE((SELECT MAX(last_received_serial) FROM {table}), 0) + 1 WHERE id = %s"
    )
    params: list[Any] = [connection.ops.adapt_datetimefield_value(received_at), organisation.pk]
    if contested:
        for column, value in (("last_received_at", connection.ops.adapt_datetimefield_value(
                organisation.last_received_at)), ("last_received_serial", organisation.last_received_serial)):
            if value is None:
                sql += f" AND {column} IS NULL"
            else:
                sql += f" AND {column} = %s"
                params.append(value)
    with connection.cursor() as cursor:
        # Its commit need not wait for the disk (meldestelle.db): the case that claimed the
        # turn commits durably after it, and a turn lost in a crash only reorders the next.
        execute_unflushed(cursor, sql, params)
        return bool(cursor.rowcount) or not contested


def notice_after_commit() -> bool:
    """Whether the staff notice of a new case is left to the task cluster's writer
    (reporting.writer), which runs after commit where audit entries are chained after commit."""
    return bool(settings.AUDIT_CHAIN_AFTER_COMMIT)


def new_case_notice(case: Case) -> None:
    """In a submission's transaction: see that the staff notice of `case` goes out after commit,
    by the writer (the case was stored with `notice_pending`) or queued on commit."""
    if case.notice_pending:
        return  # the writer, poked on commit with the audit entry, queues it
    # robust: the case is committed; a queue that cannot take the notice is logged and
    # must not turn the reporter's receipt into an error page (issue 6).
    transaction.on_commit(
        lambda: signals.case_received.send(sender=Case, case_id=case.pk, transferred=False), robust=True
    )


# --------------------------------------------------------------------------------------------
# Attachments


def _attachment_upload(case: Case, case_key: bytes, item: FileInput, *, from_reporter: bool) -> Attachment:
    """Encrypt a file into the attachment store; the Attachment row is not saved yet."""
    attachment = Attachment(
        case=case, from_reporter=from_reporter, created_at=to_the_hour() if from_reporter else timezone.now()
    )
    binding = case_binding(case)
    attachment.meta_ciphertext = crypto.encrypt(
        case_key,
        json.dumps({"name": item.name, "content_type": item.content_type, "size": len(item.content)}).encode(),
        case_id=binding, purpose=f"{PURPOSE_ATTACHMENT_META}:{attachment.uuid.hex}",
    )
    attachment.blob.name = attachment_path(attachment, "")
    # The plaintext is in memory already (size-limited upload); the ciphertext goes segment by
    # segment into the store (a file, or an S3 multipart upload): never whole, never plain.
    try:
        with blob_write(attachment.blob.name) as sink:
            crypto.encrypt_stream(
                case_key, _chunks(item.content), sink, case_id=binding, attachment_id=attachment.uuid.hex
            )
    except StorageUnavailable as exc:
        logger.error("Attachment not stored: %s", exc)
        raise ServiceError("storage_unavailable", str(_(
            "Files cannot be stored at the moment. Nothing was stored; please try again later."
        ))) from exc
    return attachment


def _attachment_store(case: Case, case_key: bytes, item: FileInput, *, from_reporter: bool) -> Attachment:
    attachment = _attachment_upload(case, case_key, item, from_reporter=from_reporter)
    try:
        attachment.save()
    except BaseException:
        remove_blobs([attachment.blob.name])
        raise
    return attachment


def remove_blobs(names: Sequence[str | None]) -> None:
    """Delete stored ciphertext files. A store that fails is logged, not raised: what is left
    is ciphertext (its keys are gone or were never committed), and it must not turn a committed
    change or the reporter's answer into an error."""
    try:
        blob_delete(names)
    except StorageUnavailable as exc:
        logger.error("Attachment files not removed (%s): %s", len([n for n in names if n]), exc)


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
    # Padded when sealed in the reporter's browser (reporting.services.sealed_files).
    try:
        meta = json.loads(unpad(
            crypto.decrypt(
                case_key, bytes(attachment.meta_ciphertext), case_id=case_binding(attachment.case),
                purpose=f"{PURPOSE_ATTACHMENT_META}:{attachment.uuid.hex}",
            )
        ))
    except (crypto.CryptoError, ValueError):
        if not attachment.from_reporter:
            raise
        meta = None
    if isinstance(meta, dict) and isinstance(meta.get("name", ""), str) and isinstance(meta.get("size", 0), int):
        return meta
    if not attachment.from_reporter:
        raise ValueError("attachment metadata of the wrong shape")
    # Sealed in a browser, which the server cannot check: a file that does not open under this
    # case's key (a faulty or hostile client) is listed as such, never as an error page, and
    # never offered for download (`unreadable`).
    return {"name": str(UNREADABLE_ATTACHMENT), "content_type": "", "size": 0, "unreadable": True}


def attachment_open(*, attachment: Attachment, case_key: bytes) -> Any:
    """Yield the decrypted file segment by segment (bounded memory)."""
    with blob_read(attachment.blob.name or "") as source:
        yield from crypto.decrypt_stream(
            case_key, source, case_id=case_binding(attachment.case), attachment_id=attachment.uuid.hex
        )
