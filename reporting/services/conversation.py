"""The reporter's access by receipt, the report itself, the anonymous mailbox and notes."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from reporting import crypto, signals
from reporting.audit import AuditAction, audit_log
from reporting.models import (
    Case,
    Message,
    Note,
)
from reporting.services.common import (
    PURPOSE_MESSAGE,
    PURPOSE_NOTE,
    PURPOSE_NOTIFY,
    PURPOSE_REPORT,
    PURPOSE_REPORTER_WRAP,
    ServiceError,
    case_binding,
)
from reporting.traces import MIN_BUCKET, pad, to_the_hour, unpad

logger = logging.getLogger(__name__)


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
        .filter(receipt_lookup__in=[
            crypto.receipt_lookup(settings.RECEIPT_PEPPER, normalised),
            # a report sealed in the browser was stored with the code's look-up token
            crypto.receipt_lookup_from_token(settings.RECEIPT_PEPPER, crypto.receipt_lookup_token(normalised)),
        ])
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
    token_lookup = crypto.receipt_lookup_from_token(settings.RECEIPT_PEPPER, crypto.receipt_lookup_token(normalised))
    if case.receipt_lookup != token_lookup:
        # A case stored before the follow-up could open in the browser was found by the code's
        # own HMAC: now that the code is here, it is found by its look-up token too (SPEC §3.10).
        Case.objects.filter(pk=case.pk).update(receipt_lookup=token_lookup)
        case.receipt_lookup = token_lookup
    return ReporterAccess(case=case, case_key=case_key)


def reporter_find(*, lookup_token: bytes) -> Case | None:
    """The case a receipt code's look-up token finds (the follow-up in the browser, SPEC §3.10),
    or None. The server gets no key: only the browser, which holds the code, opens the
    reporter wrap."""
    if not isinstance(lookup_token, bytes) or len(lookup_token) != crypto.RECEIPT_TOKEN_BYTES:
        return None
    return (
        Case.objects.select_related("organisation")
        .filter(receipt_lookup=crypto.receipt_lookup_from_token(settings.RECEIPT_PEPPER, lookup_token),
                reporter_wrapped_key__isnull=False)
        .first()
    )


def report_decrypt(*, case: Case, case_key: bytes) -> dict[str, Any]:
    return json.loads(unpad(
        crypto.decrypt(case_key, bytes(case.report_ciphertext), case_id=case_binding(case), purpose=PURPOSE_REPORT)
    ))


# --------------------------------------------------------------------------------------------
# Messages and notes


def touch_reporter_activity(case: Case, *, by_reporter: bool) -> None:
    if by_reporter:
        now = to_the_hour()
        Case.objects.filter(pk=case.pk).update(last_reporter_activity_at=now, staff_unread=True)
        case.last_reporter_activity_at = now
        case.staff_unread = True


def message_purpose(message: Message) -> str:
    """What a message's body is bound to besides its case: its id, or the random id a reply
    encrypted in the reporter's browser was bound to before it had one."""
    return f"{PURPOSE_MESSAGE}:{message.seal_id or message.pk}"


def message_post(*, case: Case, case_key: bytes, body: str, actor: Any | None) -> Message:
    """A message in the anonymous mailbox. `actor=None` means the reporter wrote it."""
    by_reporter = actor is None
    with transaction.atomic():
        message = Message(
            case=case,
            direction=Message.Direction.FROM_REPORTER if by_reporter else Message.Direction.TO_REPORTER,
            author=actor,
            created_at=to_the_hour() if by_reporter else timezone.now(),
        )
        message.body_ciphertext = b""
        message.save()
        message.body_ciphertext = crypto.encrypt(
            case_key, pad(body.encode()), case_id=case_binding(case), purpose=message_purpose(message)
        )
        message.save(update_fields=["body_ciphertext"])
        if by_reporter:
            _reporter_wrote(case, message)
        else:
            updates: dict[str, Any] = {"reporter_unread": True}
            if case.first_reply_at is None:
                updates["first_reply_at"] = timezone.now()
            Case.objects.filter(pk=case.pk).update(**updates)
            for name, value in updates.items():
                setattr(case, name, value)
            audit_log(
                actor=actor, action=AuditAction.MESSAGE_SENT,
                case_id=case.pk, organisation_id=case.organisation_id, data={"message": message.pk},
            )
            if case.notify_ciphertext:
                transaction.on_commit(lambda: _notify_reporter(case.pk), robust=True)
    return message


def _reporter_wrote(case: Case, message: Message) -> None:
    """What follows a reporter's message, however it was encrypted: activity, audit, notice."""
    touch_reporter_activity(case, by_reporter=True)
    audit_log(
        actor=None, action=AuditAction.MESSAGE_FROM_REPORTER,
        case_id=case.pk, organisation_id=case.organisation_id, data={"message": message.pk},
    )
    transaction.on_commit(lambda: _notify_new_message(case.pk), robust=True)


# A reply encrypted in the reporter's browser (SPEC §3.10): the random id it is bound to, and the
# largest size bucket a message of at most 20,000 characters (4 bytes each at worst) pads to.
SEAL_ID = re.compile(r"[0-9a-f]{32}")
UNREADABLE_MESSAGE = gettext_lazy("This message cannot be read: it was not encrypted for this report.")
MESSAGE_MAX_BUCKET = 128 * 1024


def sealed_message_post(*, case: Case, seal_id: str, body_ciphertext: bytes) -> Message:
    """Store a reply the reporter's browser encrypted under the case key, bound to the case and
    to "message:<seal_id>", exactly as `message_post` encrypts one (padded to a size bucket).

    The server cannot read it; it checks the format by length and shape, and stores it like any
    reply from the reporter (activity, audit, the organisation's notice). ServiceError and
    nothing stored for a malformed reply or a `seal_id` this case has already used.
    """
    if not (
        isinstance(seal_id, str) and SEAL_ID.fullmatch(seal_id)
        and crypto.padded_ciphertext_ok(body_ciphertext, min_bucket=MIN_BUCKET, max_bucket=MESSAGE_MAX_BUCKET)
    ):
        raise ServiceError("malformed", "The encrypted message does not have the expected format.")
    try:
        with transaction.atomic():
            message = Message.objects.create(
                case=case, direction=Message.Direction.FROM_REPORTER, author=None,
                created_at=to_the_hour(), seal_id=seal_id, body_ciphertext=body_ciphertext,
            )
            _reporter_wrote(case, message)
    except IntegrityError as exc:
        raise ServiceError("reply_used", "This encrypted message was sent before.", http_status=409) from exc
    return message


def _notify_new_message(case_id: int) -> None:
    signals.reporter_wrote.send(sender=Case, case_id=case_id)


def _notify_reporter(case_id: int) -> None:
    from reporting.notifications import queue_reporter_reply_notice

    queue_reporter_reply_notice(case_id)


def message_text(*, message: Message, case_key: bytes) -> str:
    try:
        return unpad(crypto.decrypt(
            case_key, bytes(message.body_ciphertext), case_id=case_binding(message.case),
            purpose=message_purpose(message),
        )).decode()
    except (crypto.CryptoError, ValueError):
        if not message.seal_id:
            raise
        # Encrypted in a browser, which the server cannot check: one that does not open under
        # this case's key (a faulty or hostile client) is shown as such, never as an error page.
        return str(UNREADABLE_MESSAGE)


def messages_mark_read(*, case: Case, by_reporter: bool) -> None:
    """The reporter read the staff's messages, or the staff read the reporter's."""
    direction = Message.Direction.TO_REPORTER if by_reporter else Message.Direction.FROM_REPORTER
    with transaction.atomic():
        # When the reporter read a reply is the reporter's trace: to the hour.
        read_at = to_the_hour() if by_reporter else timezone.now()
        Message.objects.filter(case=case, direction=direction, read_at__isnull=True).update(read_at=read_at)
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
            actor=actor, action=AuditAction.NOTE_ADDED, case_id=case.pk,
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
