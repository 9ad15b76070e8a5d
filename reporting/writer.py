"""What a submission leaves for after commit, done by one task of the cluster (issue 16).

A report's request stores the case and answers; two things follow it: its audit entry, written
with its own MAC, goes on the chain (reporting.audit), and the organisation's members get the
staff notice (counselling.notifications, through `signals.case_received`). Queueing a task for
each in every request cost two queue inserts per report. Instead:

- the case is stored with `notice_pending`, and on commit the request *pokes* the writer:
  each process pokes at most once per POKE_SECONDS, and a poke queues a writer only if none is
  queued and not yet started (a mark in the shared cache, removed when the writer starts);
- the writer chains what waits and queues the notices of pending cases, then keeps looking
  until nothing came for LINGER_SECONDS (> POKE_SECONDS). So a submission whose poke queued
  nothing is seen by a writer queued before it: one that had not started when the poke (or
  the swallowed poke's predecessor, less than POKE_SECONDS earlier) found the mark, and that
  cannot stop before LINGER_SECONDS after it starts (a writer that hits its time limit while
  work still comes queues the next one);
- a schedule runs the writer every minute as well, for a process that died between commit and
  poke; every audited action, the daily anchor and `verify_audit_chain` chain what waits too.

With AUDIT_CHAIN_AFTER_COMMIT off (SQLite, one writer at a time) none of this applies: the
entry is chained in its transaction and the notice queued on commit, as before.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache
from django.db import transaction

from reporting import signals

POKE_SECONDS = 0.25
LINGER_SECONDS = 1.0
POLL_SECONDS = 0.05
# Below the cluster's task timeout (60 s): then the next writer takes over.
MAX_SECONDS = 40.0
# Set in the cache while a writer is queued and not started; it expires, should that writer
# never start (a lost task), so that pokes queue again.
QUEUED_MARK = "reporting:submissions-writer:queued"
QUEUED_MARK_SECONDS = 30

_lock = threading.Lock()
_last_poke = float("-inf")


def poke() -> None:
    """Queue the writer unless this process poked less than POKE_SECONDS ago, or a writer is
    queued and has not started yet (any process's: the mark is in the shared cache)."""
    global _last_poke
    if _runs_inline():
        queue()  # the queue runs tasks at once (tests): nothing to spare, every poke runs it
        return
    now = time.monotonic()
    with _lock:
        if now - _last_poke < POKE_SECONDS:
            return
        _last_poke = now
    # Without the mark a flood would queue writers faster than the cluster runs them (each
    # lingers a second): the queue would grow for as long as the flood lasts.
    if cache.add(QUEUED_MARK, 1, timeout=QUEUED_MARK_SECONDS):
        queue()


def _runs_inline() -> bool:
    from django_q.conf import Conf

    return bool(Conf.SYNC)


def queue() -> None:
    from django_q.tasks import async_task

    async_task("reporting.tasks.submissions_writer")


def notices_pending() -> int:
    """Queue the staff notice of every case that waits for it; each is queued once."""
    from reporting.models import Case

    queued = 0
    for case_id in Case.objects.filter(notice_pending=True).order_by("id").values_list("id", flat=True)[:500]:
        with transaction.atomic():
            # Taken by one writer only, and queued in the same transaction (the ORM broker's
            # row commits with the flag): a queue that fails leaves the notice pending for the
            # next run. The notice task itself is sent once per recipient.
            if not Case.objects.filter(pk=case_id, notice_pending=True).update(notice_pending=False):
                continue
            signals.case_received.send(sender=Case, case_id=case_id, transferred=False)
        queued += 1
    return queued


def run_once() -> int:
    """One round: chain what waits, queue the notices that wait; how many things it did."""
    from reporting.audit import audit_chain_pending

    return audit_chain_pending(wait=True) + notices_pending()


def run(*, linger: float = LINGER_SECONDS, max_seconds: float = MAX_SECONDS) -> int:
    """The writer task: rounds until nothing came for `linger` seconds; how many things it did."""
    if _runs_inline():
        linger = 0.0
    else:
        cache.delete(QUEUED_MARK)  # started: a poke from now on may queue the next writer
    started = last_work = time.monotonic()
    done = 0
    while True:
        work = run_once()
        done += work
        now = time.monotonic()
        if work:
            last_work = now
        if now - last_work >= linger:
            return done
        if now - started >= max_seconds:
            queue()  # still busy: the next writer goes on
            return done
        time.sleep(POLL_SECONDS)
