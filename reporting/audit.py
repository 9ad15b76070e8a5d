"""The tamper-evident audit log (SPEC §3.9, §5): a MAC chain an insider cannot rewrite.

Each entry's `entry_hash` is HMAC(AUDIT_CHAIN_KEY, previous entry_hash || the entry), the key
coming from the server's environment, never the database. Whoever can only write the database
can delete, edit or insert entries but cannot recompute the MACs after them, and cannot
re-point the chain head (it carries a MAC too). What such a writer can still do is roll the
whole log, head included, back to an earlier copy; the daily anchor (`audit_anchor_create`),
e-mailed to the coordinators, catches that: `verify_audit_chain --anchor` checks that the
anchored entry still exists with the hash they received.

Entries written before the chain was keyed (chain version 1) carry a plain SHA-256 chain.
Migration `reporting.0008` closes that prefix with one keyed "chain keyed from here" entry
(`AuditAction.CHAIN_KEYED`) whose MAC covers the prefix's last hash, so the prefix cannot be
changed afterwards either; the verifier accepts unkeyed entries only before that entry.

`audit_log` must be called inside the transaction of the state change it records. By default it
locks the chain head and appends there and then, so concurrent writers append one after another
(chain version 2). The reporter's submission, the one path a flood of reports goes through,
calls it with `deferred=True` instead (chain version 3, issue 16): the entry is written with
its own MAC (over a random nonce and its content) and no place on the chain, without touching
the head, and after commit a single chain writer (`audit_chain_pending` in a task of the
cluster, one at a time under the head lock) gives every waiting entry, in id order, the next
position and a link MAC over the previous link, its id, its position and its own MAC.
Verification walks the chain by position and checks every waiting entry's own MAC.

What that changes for an insider who can write the database: an entry can no longer be altered
or forged at any time (its own MAC), nor removed, reordered or re-linked once it is on the chain
(normally well under a second after commit). In the moment between commit and chaining it could
be deleted unnoticed; the writer is a task the submission queues on commit (the task cluster,
not the reporter's request, waits for the head), and every later writer (any audit entry, the
anchor, `verify_audit_chain`) chains whatever waits first.

Audit data holds ids and codes only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reporting import crypto
from reporting.models import AuditAnchor, AuditEntry, AuditHead
from reporting.traces import to_the_hour

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
UNKEYED = AuditEntry.ChainVersion.SHA256
KEYED = AuditEntry.ChainVersion.HMAC_SHA256
OWN_MAC = AuditEntry.ChainVersion.OWN_MAC_CHAINED_AFTER
# How many rounds one chain writer runs after commit before it leaves the rest to a task.
CHAIN_ROUNDS = 4
CHAIN_BATCH = 1000


class AuditAction(StrEnum):
    """Every action the audit log records: the closed vocabulary that writers, the case
    timeline, the digest and the audit pages share. `audit_log` refuses anything else.

    The values are stored; never rename one (old entries keep the old value).
    """

    # Reports and cases (reporting)
    CASE_SUBMITTED = "reporting.case.submitted"
    CASE_MANUAL_ENTRY = "reporting.case.manual_entry"
    CASE_SHREDDED = "reporting.case.shredded"
    # A report sealed in a browser whose key does not open with the organisation's (SPEC §3.10)
    CASE_SEAL_UNOPENABLE = "reporting.case.seal_unopenable"
    ATTACHMENT_ADDED = "reporting.attachment.added"
    # A file sealed in the reporter's browser, cleaned at its first opening (SPEC §3.10).
    ATTACHMENT_CLEANED = "reporting.attachment.cleaned"
    MESSAGE_FROM_REPORTER = "reporting.message.from_reporter"
    # Organisations and keys
    ORGANISATION_CREATED = "reporting.organisation.created"
    ORGANISATION_UPDATED = "reporting.organisation.updated"
    ORGANISATION_KEY_ROTATED = "reporting.organisation.key_rotated"
    ORGANISATION_KEY_ROTATION_DUE = "reporting.organisation.key_rotation_due"
    ORGANISATION_KEY_MISMATCH = "reporting.organisation.key_mismatch"
    ORGANISATION_RECOVERY_KEY_SET = "reporting.organisation.recovery_key_set"
    # The directory of further help on the help page (kept by the coordinator)
    HELP_SERVICE_SAVED = "reporting.help_service.saved"
    HELP_SERVICE_DELETED = "reporting.help_service.deleted"
    # Case work (counselling)
    CASE_VIEWED = "counselling.case.viewed"
    CASE_TAKEN = "counselling.case.taken"
    CASE_ASSIGNED = "counselling.case.assigned"
    CASE_STATUS_CHANGED = "counselling.case.status_changed"
    CASE_TRANSFERRED = "counselling.case.transferred"
    CASE_MARKED_DUPLICATE = "counselling.case.marked_duplicate"
    CASE_UNMARKED_DUPLICATE = "counselling.case.unmarked_duplicate"
    CASE_CLASSIFIED = "counselling.case.classified"
    ATTACHMENT_DOWNLOADED = "counselling.attachment.downloaded"
    # Looked at on the case page (decrypted on the fly, never saved to the staff member's disk).
    ATTACHMENT_VIEWED = "counselling.attachment.viewed"
    MESSAGE_SENT = "counselling.message.sent"
    NOTE_ADDED = "counselling.note.added"
    # Staff accounts
    AUTH_LOGIN = "counselling.auth.login"
    AUTH_LOGIN_FAILED = "counselling.auth.login_failed"
    AUTH_UNLOCKED = "counselling.auth.unlocked"
    AUTH_LOGOUT = "counselling.auth.logout"
    MEMBER_CREATED = "counselling.member.created"
    MEMBER_GRANTED = "counselling.member.granted"
    MEMBER_REVOKED = "counselling.member.revoked"
    MEMBER_PASSWORD_CHANGED = "counselling.member.password_changed"  # noqa: S105 - an action name
    MEMBER_PASSWORD_RESET = "counselling.member.password_reset"  # noqa: S105 - an action name
    # The organisation's reply templates (first answer, referral, closing)
    REPLY_TEMPLATE_SAVED = "counselling.reply_template.saved"
    REPLY_TEMPLATE_DELETED = "counselling.reply_template.deleted"
    # The counselling work (SPEC §5.1)
    CONTACT_ADDED = "counselling.contact.added"
    INTERVENTION_ADDED = "counselling.intervention.added"
    JUSTICE_TRACK_UPDATED = "counselling.justice_track.updated"
    DEADLINE_SET = "counselling.deadline.set"
    DEADLINE_DONE = "counselling.deadline.done"
    DEADLINE_REMINDER_SENT = "counselling.deadline.reminder_sent"
    DEADLINE_REMINDER_FAILED = "counselling.deadline.reminder_failed"
    REFERRAL_ADDED = "counselling.referral.added"
    CASE_CLOSED_WITH_OUTCOME = "counselling.case.closed_with_outcome"
    # No longer written: the directory it named became the one help directory (issue 20),
    # whose changes are HELP_SERVICE_SAVED / _DELETED; old entries keep it.
    DIRECTORY_UPDATED = "counselling.directory.updated"
    # A counsellor recorded the consent by purpose of a person without a receipt code.
    CONSENT_RECORDED = "counselling.consent.recorded"
    SUMMARY_DRAFTED = "counselling.summary.drafted"
    # The reporter's choices (SPEC §5.1): consent by purpose, summaries, the outcome question
    CONSENT_CHANGED = "reporting.consent.changed"
    SUMMARY_ANSWERED = "reporting.summary.answered"
    OUTCOME_QUESTION_ASKED = "reporting.outcome_question.asked"
    OUTCOME_QUESTION_ANSWERED = "reporting.outcome_question.answered"
    # Statistics
    NETWORK_EXPORTED = "stats.network_exported"
    STATS_RECORDS_IMPORTED = "stats.records_imported"
    STATS_PUBLISHED = "stats.published"
    STATS_EXPORTED = "stats.exported"
    # The audit log itself
    CHAIN_KEYED = "reporting.audit.chain_keyed"
    ANCHORED = "reporting.audit.anchored"


_ACTIONS: dict[str, AuditAction] = {action.value: action for action in AuditAction}


def audit_action(value: str) -> AuditAction:
    """The enumeration member for `value`; ValueError for anything outside the vocabulary."""
    try:
        return _ACTIONS[value]
    except (KeyError, TypeError):
        raise ValueError("not an audit action (reporting.audit.AuditAction)") from None


# --------------------------------------------------------------------------------------------
# What is hashed


def _timestamp(moment: datetime) -> str:
    """The hashed form of a time: UTC, because the database hands times back in UTC whatever
    zone they were written in (a local or frozen clock would otherwise break the chain)."""
    return moment.astimezone(UTC).isoformat()


def _canonical(fields: list[Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _entry_digest(
    *, prev_hash: str, created_at: str, actor_id: int | None, actor_label: str, action: str,
    organisation_id: int | None, case_id: int | None, data: dict[str, Any],
) -> str:
    """Chain version 1 (before the chain was keyed): plain SHA-256, kept to verify old entries."""
    payload = _canonical([prev_hash, created_at, actor_id, actor_label, action, organisation_id, case_id, data])
    return hashlib.sha256(payload).hexdigest()


def _entry_mac(
    key: bytes, *, prev_hash: str, created_at: str, actor_id: int | None, actor_label: str, action: str,
    organisation_id: int | None, case_id: int | None, data: dict[str, Any],
) -> str:
    """Chain version 2: the MAC covers the version, so a keyed entry cannot pass as unkeyed."""
    entry = _canonical([int(KEYED), created_at, actor_id, actor_label, action, organisation_id, case_id, data])
    return crypto.audit_chain_mac(key, prev_mac=prev_hash, entry=entry)


def _own_mac(
    key: bytes, *, nonce: str, created_at: str, actor_id: int | None, actor_label: str, action: str,
    organisation_id: int | None, case_id: int | None, data: dict[str, Any],
) -> str:
    """Chain version 3: the entry's own MAC, made before it has a place on the chain."""
    entry = _canonical([int(OWN_MAC), nonce, created_at, actor_id, actor_label, action, organisation_id, case_id, data])
    return crypto.audit_entry_mac(key, entry=entry)


def _link_mac(key: bytes, *, prev_hash: str, entry_id: int, position: int, entry_mac: str) -> str:
    """Chain version 3: the link, made by the chain writer: previous link, id, position, own MAC."""
    return crypto.audit_chain_mac(key, prev_mac=prev_hash, entry=_canonical([int(OWN_MAC), entry_id, position, entry_mac]))


def _expected_own_mac(entry: Any, key: bytes) -> str:
    return _own_mac(
        key, nonce=entry.nonce, created_at=_timestamp(entry.created_at), actor_id=entry.actor_id,
        actor_label=entry.actor_label, action=entry.action, organisation_id=entry.organisation_id,
        case_id=entry.case_id, data=entry.data,
    )


def _expected_hash(entry: Any, key: bytes) -> str:
    if entry.chain_version == OWN_MAC:
        return _link_mac(key, prev_hash=entry.prev_hash, entry_id=entry.id, position=entry.chain_position or 0,
                         entry_mac=entry.entry_mac)
    fields: dict[str, Any] = {
        "prev_hash": entry.prev_hash, "created_at": _timestamp(entry.created_at), "actor_id": entry.actor_id,
        "actor_label": entry.actor_label, "action": entry.action, "organisation_id": entry.organisation_id,
        "case_id": entry.case_id, "data": entry.data,
    }
    if entry.chain_version == UNKEYED:
        return _entry_digest(**fields)
    return _entry_mac(key, **fields)


# --------------------------------------------------------------------------------------------
# Writing


def _append(
    *, entry_model: Any, head: Any, key: bytes, action: AuditAction, actor_id: int | None, actor_label: str,
    organisation_id: int | None, case_id: int | None, data: dict[str, Any], at: datetime | None = None,
) -> Any:
    """Append one keyed entry after the locked `head` and move the head. Works on the real
    models and on a migration's historical ones."""
    now = timezone.now() if at is None else at
    # MAC what the database will hand back: JSON turns tuples into lists and keys into strings.
    clean = json.loads(json.dumps(data))
    digest = _entry_mac(
        key, prev_hash=head.last_hash, created_at=_timestamp(now), actor_id=actor_id, actor_label=actor_label,
        action=action.value, organisation_id=organisation_id, case_id=case_id, data=clean,
    )
    positioned = hasattr(head, "last_position")  # a migration's historical models before 0012 are not
    extra: dict[str, Any] = {"chain_position": head.last_position + 1} if positioned else {}
    entry = entry_model.objects.create(
        created_at=now, actor_id=actor_id, actor_label=actor_label, action=action.value,
        organisation_id=organisation_id, case_id=case_id, data=clean,
        prev_hash=head.last_hash, entry_hash=digest, chain_version=int(KEYED), **extra,
    )
    head.last_hash = digest
    head.head_mac = crypto.audit_head_mac(key, last_mac=digest)
    fields = ["last_hash", "head_mac"]
    if positioned:
        head.last_position += 1
        fields.append("last_position")
    head.save(update_fields=fields)
    return entry


def _head_for_update(*, skip_locked: bool) -> AuditHead | None:
    """The chain head, locked until commit; None when another writer holds it (`skip_locked`)."""
    head = AuditHead.objects.select_for_update(skip_locked=skip_locked).filter(id=1).first()
    if head is not None:
        return head
    if skip_locked and AuditHead.objects.filter(id=1).exists():
        return None
    head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
    return head


def _chain_waiting(head: AuditHead, key: bytes) -> int:
    """Give the entries that wait (version 3, no position) their places after the locked head,
    in id order. Returns how many."""
    waiting = list(
        AuditEntry.objects.filter(chain_position__isnull=True, chain_version=int(OWN_MAC))
        .order_by("id").only("id", "entry_mac")[:CHAIN_BATCH]
    )
    if not waiting:
        return 0
    position, prev = head.last_position, head.last_hash
    for entry in waiting:
        position += 1
        entry.chain_position = position
        entry.prev_hash = prev
        entry.entry_hash = _link_mac(key, prev_hash=prev, entry_id=entry.id, position=position,
                                     entry_mac=entry.entry_mac)
        prev = entry.entry_hash
    AuditEntry.objects.bulk_update(waiting, ["chain_position", "prev_hash", "entry_hash"])
    head.last_hash = prev
    head.head_mac = crypto.audit_head_mac(key, last_mac=prev)
    head.last_position = position
    head.save(update_fields=["last_hash", "head_mac", "last_position"])
    return len(waiting)


def _waiting_exists() -> bool:
    return AuditEntry.objects.filter(chain_position__isnull=True, chain_version=int(OWN_MAC)).exists()


def audit_chain_pending(*, wait: bool = False) -> int:
    """The chain writer: chain every entry that waits; returns how many it chained.

    Without `wait` it never queues behind another writer: when the head is locked it returns,
    because the holder looks again after it lets go (it checks for waiting entries after each
    round, outside the lock, so an entry committed while it worked is not left behind). After
    CHAIN_ROUNDS busy rounds it leaves the rest to a task and returns, so no request keeps
    chaining for others for long. With `wait` (the task, the anchor, `verify_audit_chain`) it
    waits for the lock and goes on until nothing waits.
    """
    key = settings.AUDIT_CHAIN_KEY
    chained = 0
    rounds = 0
    while _waiting_exists():
        if not wait and rounds >= CHAIN_ROUNDS:
            _queue_chain_task()
            break
        rounds += 1
        with transaction.atomic():
            head = _head_for_update(skip_locked=not wait)
            if head is None:
                break
            chained += _chain_waiting(head, key)
    return chained


def audit_chain_after_commit() -> None:
    """The on-commit job every audit write registers (`transaction.on_commit`)."""
    audit_chain_pending(wait=False)


def _queue_chain_task() -> None:
    from reporting import writer

    writer.queue()


def _poke_writer() -> None:
    from reporting import writer

    writer.poke()


def audit_log(
    *,
    actor: Any | None,
    action: AuditAction,
    case_id: int | None = None,
    organisation_id: int | None = None,
    data: dict[str, Any] | None = None,
    deferred: bool = False,
    insert_with: list[Any] | None = None,
) -> AuditEntry:
    """Append one entry. `action` is an `AuditAction`; `data` holds ids and codes only.

    `deferred`: write the entry with its own MAC and chain it after commit (no lock in the
    transaction; the submission path). Otherwise it is chained now, under the head lock.
    `insert_with`: a deferred entry is appended to this list unsaved, for the caller to insert
    with its other rows in this transaction (meldestelle.db.insert_together).

    Entries no staff member caused (`actor=None`: the reporter's submission, messages, files
    and deletion, and the system's own) carry only the hour (reporting.traces); the chain keeps
    their order.
    """
    member = audit_action(action)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_log must run inside the state change's transaction")
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "username", "") if actor is not None else "system"
    at = to_the_hour() if actor is None else None
    if settings.AUDIT_CHAIN_AFTER_COMMIT:
        # After commit, what waits is chained by a single writer. A deferred entry (the
        # submission path) hands that to the task cluster (reporting.writer), so a flood of reports never waits
        # for the chain head; any other writer chains what waits itself, entries whose own
        # writer found the head taken by this transaction included.
        transaction.on_commit(_poke_writer if deferred else audit_chain_after_commit, robust=True)
    else:
        # SQLite writes one transaction at a time: a second write after commit would only queue
        # again behind the others, so the entry is chained here, as every entry was before.
        deferred = False
    if deferred:
        waiting = audit_entry_waiting(actor=actor, action=member, case_id=case_id, organisation_id=organisation_id,
                                      data=data)
        if insert_with is None:
            waiting.save(force_insert=True)
        else:
            insert_with.append(waiting)
        return waiting
    head = _head_for_update(skip_locked=False)
    assert head is not None
    key = settings.AUDIT_CHAIN_KEY
    # Whatever waits goes on the chain before this entry (committed before it, so it is older).
    _chain_waiting(head, key)
    entry: AuditEntry = _append(
        entry_model=AuditEntry, head=head, key=key, action=member, actor_id=actor_id, actor_label=actor_label,
        organisation_id=organisation_id, case_id=case_id, data=data or {}, at=at,
    )
    return entry


def audit_entry_waiting(
    *, actor: Any | None, action: AuditAction, case_id: int | None = None, organisation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """The entry `audit_log(..., deferred=True)` writes, unsaved: version 3, with its own MAC
    and no place on the chain yet (no lock taken).

    Also for a state change whose rows and this entry are inserted in one statement outside a
    transaction (meldestelle.db.insert_together; the statement makes them one change): after
    that statement, `audit_entry_committed()`. Only with AUDIT_CHAIN_AFTER_COMMIT on.
    """
    member = audit_action(action)
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "username", "") if actor is not None else "system"
    now = to_the_hour() if actor is None else timezone.now()
    clean = json.loads(json.dumps(data or {}))
    nonce = secrets.token_hex(16)
    entry_mac = _own_mac(
        settings.AUDIT_CHAIN_KEY, nonce=nonce, created_at=_timestamp(now), actor_id=actor_id,
        actor_label=actor_label, action=member.value, organisation_id=organisation_id, case_id=case_id, data=clean,
    )
    return AuditEntry(
        created_at=now, actor_id=actor_id, actor_label=actor_label, action=member.value,
        organisation_id=organisation_id, case_id=case_id, data=clean, prev_hash="", entry_hash=None,
        chain_version=int(OWN_MAC), chain_position=None, entry_mac=entry_mac, nonce=nonce,
    )


def audit_entry_committed() -> None:
    """A waiting entry was committed outside `audit_log`: see that the writer chains it.

    As a robust on-commit hook: the change is committed, so a queue that cannot take the poke
    is logged, not raised (the writer's minutely schedule chains what waits)."""
    try:
        _poke_writer()
    except Exception as exc:  # noqa: BLE001 - committed already; never turn it into an error
        logger.error("Audit writer not poked: %s", type(exc).__name__)


def audit_chain_key_existing(*, entry_model: Any, head_model: Any, key: bytes) -> Any | None:
    """Close an unkeyed chain with the "chain keyed from here" entry (migration 0008).

    Its MAC covers the last unkeyed hash and the number of unkeyed entries, so from now on the
    unkeyed prefix cannot change unnoticed either. Nothing to do on an empty or keyed chain.
    """
    last = entry_model.objects.order_by("-id").only("id", "chain_version").first()
    if last is None or last.chain_version != int(UNKEYED):
        return None
    head, _created = head_model.objects.select_for_update().get_or_create(id=1)
    unkeyed = entry_model.objects.filter(chain_version=int(UNKEYED)).count()
    return _append(
        entry_model=entry_model, head=head, key=key, action=AuditAction.CHAIN_KEYED, actor_id=None,
        actor_label="system", organisation_id=None, case_id=None, data={"unkeyed_entries": unkeyed},
    )


# --------------------------------------------------------------------------------------------
# Verifying


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        # Ids and a fixed reason only, never content: this goes to logs and to the terminal.
        if self.entry_id is None:
            return f"Audit chain broken: {self.reason}."
        return f"Audit chain broken at entry {self.entry_id}: it {self.reason}."


def audit_verify_chain(*, key: bytes | None = None) -> ChainProblem | None:
    """Walk the chain; return the first problem, or None when it is intact.

    The head is read before the walk: entries appended meanwhile extend the chain past it,
    so verifying while others write gives no false alarm; the head's entry must be on it.
    """
    key = settings.AUDIT_CHAIN_KEY if key is None else key
    head = AuditHead.objects.filter(id=1).first()
    head_hash = head.last_hash if head is not None else GENESIS
    head_seen = head is None
    prev = GENESIS
    last_id: int | None = None
    unkeyed = 0
    keyed = False
    for entry in AuditEntry.objects.filter(chain_position__isnull=False).order_by("chain_position").iterator(
        chunk_size=2000
    ):
        if entry.chain_version == OWN_MAC and not crypto.constant_time_equal(
            entry.entry_mac.encode(), _expected_own_mac(entry, key).encode()
        ):
            return ChainProblem(entry.id, "was altered or written without the chain key")
        if entry.prev_hash != prev:
            return ChainProblem(entry.id, "does not follow the entry before it (removed or reordered)")
        if entry.chain_version == UNKEYED:
            if keyed:
                return ChainProblem(entry.id, "lacks the chain key's MAC after the chain was keyed")
            unkeyed += 1
        elif entry.chain_version in (KEYED, OWN_MAC):
            if not keyed and unkeyed and (
                entry.action != AuditAction.CHAIN_KEYED or entry.data != {"unkeyed_entries": unkeyed}
            ):
                return ChainProblem(entry.id, "follows entries without the chain key but does not key the chain")
            keyed = True
        else:
            return ChainProblem(entry.id, "has an unknown chain version")
        if not crypto.constant_time_equal((entry.entry_hash or "").encode(), _expected_hash(entry, key).encode()):
            return ChainProblem(entry.id, "was altered or written without the chain key")
        prev = entry.entry_hash or ""
        last_id = entry.id
        head_seen = head_seen or prev == head_hash
    if unkeyed and not keyed:
        return ChainProblem(last_id, "is followed by no entry with the chain key (the chain was never keyed)")
    # Entries not on the chain: only version 3 may wait (for the chain writer), sealed by their
    # own MAC; an entry of another version without a place was put there by someone else.
    for entry in AuditEntry.objects.filter(chain_position__isnull=True).order_by("id").iterator(chunk_size=2000):
        if entry.chain_version != OWN_MAC:
            return ChainProblem(entry.id, "has no place on the chain")
        if not crypto.constant_time_equal(entry.entry_mac.encode(), _expected_own_mac(entry, key).encode()):
            return ChainProblem(entry.id, "was altered or written without the chain key")
    # The very first writer creates the head in the same transaction as its entry; a head that
    # exists now was created concurrently, not removed.
    if head is None and last_id is not None and not AuditHead.objects.filter(id=1).exists():
        return ChainProblem(last_id, "has no chain head after it (the head was removed)")
    if not head_seen:
        if last_id is None:
            return ChainProblem(None, "every entry was removed")
        return ChainProblem(last_id, "is the last one left: entries after it were removed")
    if head is not None and not crypto.constant_time_equal(
        head.head_mac.encode(), crypto.audit_head_mac(key, last_mac=head_hash).encode()
    ):
        # A head the chain key did not write: re-pointed after entries were cut off the end.
        at = AuditEntry.objects.filter(entry_hash=head_hash).values_list("id", flat=True).first()
        if at is None:
            return ChainProblem(None, "the chain head was not written with the chain key")
        return ChainProblem(at, "is named by a chain head not written with the chain key (entries after it removed?)")
    return None


# --------------------------------------------------------------------------------------------
# Anchors outside the database


ANCHOR_FORMAT = re.compile(r"(?P<entry_id>[0-9]{1,18}):(?P<entry_hash>[0-9a-f]{64})")


@dataclass(frozen=True)
class AnchorValue:
    entry_id: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.entry_hash}"


def parse_anchor(text: str) -> AnchorValue | None:
    """`<entry id>:<entry hash>`, as the coordinators receive it; None for anything else."""
    match = ANCHOR_FORMAT.fullmatch(text.strip().lower())
    if match is None:
        return None
    return AnchorValue(int(match["entry_id"]), match["entry_hash"])


def audit_verify_anchor(anchor: AnchorValue) -> ChainProblem | None:
    """The anchored entry must still be there with the anchored hash. (That the chain up to it
    is intact is `audit_verify_chain`'s part.)"""
    entry = AuditEntry.objects.filter(pk=anchor.entry_id).only("entry_hash").first()
    if entry is None:
        return ChainProblem(anchor.entry_id, "was anchored but is gone (the log was cut back)")
    if not crypto.constant_time_equal((entry.entry_hash or "").encode(), anchor.entry_hash.encode()):
        return ChainProblem(anchor.entry_id, "no longer has the anchored hash (the log was rewritten)")
    return None


def audit_verify_stored_anchors() -> ChainProblem | None:
    """Every anchor row must still match the chain (a cheap check of the kept history; the
    e-mailed copies are the ones a database writer cannot change)."""
    anchors = list(AuditAnchor.objects.order_by("id").values_list("last_entry_id", "head_hash"))
    hashes = dict(
        AuditEntry.objects.filter(pk__in={entry_id for entry_id, _hash in anchors}).values_list("id", "entry_hash")
    )
    for entry_id, head_hash in anchors:
        if entry_id not in hashes:
            return ChainProblem(entry_id, "was anchored but is gone (the log was cut back)")
        if not crypto.constant_time_equal((hashes[entry_id] or "").encode(), head_hash.encode()):
            return ChainProblem(entry_id, "no longer has the anchored hash (the log was rewritten)")
    return None


def audit_anchor_create(*, verdict: ChainProblem | None) -> AuditAnchor | None:
    """Record the current head as today's anchor, and the anchoring itself in the log.

    `verdict` is the chain verification just run (outside the head lock: it reads the whole
    log). None when the log is empty or the head names no entry (the verdict says why).
    """
    audit_chain_pending(wait=True)
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(id=1).first()
        if head is None or head.last_hash == GENESIS:
            return None
        last_id = AuditEntry.objects.filter(entry_hash=head.last_hash).values_list("id", flat=True).first()
        if last_id is None:
            logger.error("Audit anchor not taken: the chain head names no entry.")
            return None
        anchor = AuditAnchor.objects.create(
            last_entry_id=last_id, head_hash=head.last_hash, chain_intact=verdict is None,
            broken_at_entry=verdict.entry_id if verdict is not None else None,
        )
        audit_log(actor=None, action=AuditAction.ANCHORED, data={"anchor": anchor.pk, "entry": last_id})
    return anchor
