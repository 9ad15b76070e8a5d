"""Signals the case core declares for the apps built on it (CONVENTIONS: sent by a service,
inside its transaction; never ``post_save``, which ``QuerySet.update()`` skips).

``incident_merged(source_id, target_id)``
    Sent by ``case_mark_duplicate`` when the marked case was the last case of its incident:
    the now empty incident ``source_id`` is deleted right after the signal, and whatever
    hangs off it must move to ``target_id`` or go.  ``stats`` moves the incident's statistics
    record (the target keeps its own if it has one).  A receiver that raises aborts the mark.

``case_received(case_id, transferred)``
    Sent after commit when a case arrived at an organisation: a new report
    (``report_submit``, ``transferred=False``) or a transfer (``case_transfer``, ``True``).
    ``counselling`` queues the staff notices (counselling.notifications). Sent from a robust
    on-commit hook: a receiver that raises is logged and changes nothing stored.

``reporter_wrote(case_id)``
    Sent after commit when the reporter wrote a message (``message_post`` without an actor).
    ``counselling`` queues the staff notices, as for ``case_received``.

``case_shredding(case_id)``
    Sent by ``case_shred`` inside its transaction, before the case row goes: whatever another
    app keeps about the case must lose its ciphertext now.  ``counselling`` empties the
    encrypted part of its counselling records (their codes stay for the funder statistics)
    and returns the models it changed, whose tables are vacuumed with the case's.
"""

from __future__ import annotations

from django.dispatch import Signal

incident_merged = Signal()
case_received = Signal()
reporter_wrote = Signal()
case_shredding = Signal()
