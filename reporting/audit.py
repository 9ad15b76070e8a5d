"""The tamper-evident audit log: each entry carries the hash of the one before it.

`audit_log` must be called inside the transaction of the state change it records; it locks the
chain head so concurrent writers append one after another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from reporting.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _timestamp(moment: datetime) -> str:
    """The hashed form of a time: UTC, because the database hands times back in UTC whatever
    zone they were written in (a local or frozen clock would otherwise break the chain)."""
    return moment.astimezone(UTC).isoformat()


def _entry_digest(
    *, prev_hash: str, created_at: str, actor_id: int | None, actor_label: str, action: str,
    organisation_id: int | None, case_id: int | None, data: dict[str, Any],
) -> str:
    payload = json.dumps(
        [prev_hash, created_at, actor_id, actor_label, action, organisation_id, case_id, data],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def audit_log(
    *,
    actor: Any | None,
    action: str,
    case_id: int | None = None,
    organisation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. `data` holds ids and codes only, never content."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_log must run inside the state change's transaction")
    head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "username", "") if actor is not None else "system"
    # Hash what the database will hand back: JSON turns tuples into lists and keys into strings.
    clean = json.loads(json.dumps(data or {}))
    digest = _entry_digest(
        prev_hash=head.last_hash, created_at=_timestamp(now), actor_id=actor_id,
        actor_label=actor_label, action=action, organisation_id=organisation_id,
        case_id=case_id, data=clean,
    )
    entry = AuditEntry.objects.create(
        created_at=now, actor_id=actor_id, actor_label=actor_label, action=action,
        organisation_id=organisation_id, case_id=case_id, data=clean,
        prev_hash=head.last_hash, entry_hash=digest,
    )
    head.last_hash = digest
    head.save(update_fields=["last_hash"])
    return entry


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int | None
    reason: str


def audit_verify_chain() -> ChainProblem | None:
    """Walk the chain; return the first problem, or None when it is intact.

    The head is read before the walk: entries appended meanwhile extend the chain past it,
    so verifying while others write gives no false alarm; the head's entry must be on it.
    """
    head = AuditHead.objects.filter(id=1).first()
    head_hash = head.last_hash if head is not None else GENESIS
    head_seen = head_hash == GENESIS
    prev = GENESIS
    last_id: int | None = None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return ChainProblem(entry.id, "does not follow the entry before it (removed or reordered)")
        digest = _entry_digest(
            prev_hash=entry.prev_hash, created_at=_timestamp(entry.created_at),
            actor_id=entry.actor_id, actor_label=entry.actor_label, action=entry.action,
            organisation_id=entry.organisation_id, case_id=entry.case_id, data=entry.data,
        )
        if digest != entry.entry_hash:
            return ChainProblem(entry.id, "was altered")
        prev = entry.entry_hash
        last_id = entry.id
        head_seen = head_seen or prev == head_hash
    # The very first writer creates the head in the same transaction as its entry; a head that
    # exists now was created concurrently, not removed.
    if head is None and last_id is not None and not AuditHead.objects.filter(id=1).exists():
        return ChainProblem(last_id, "has no chain head after it (the head was removed)")
    if not head_seen:
        if last_id is None:
            return ChainProblem(None, "every entry was removed")
        return ChainProblem(last_id, "entries after this one were removed")
    return None
