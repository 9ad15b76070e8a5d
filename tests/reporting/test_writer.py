"""The submissions' writer (reporting.writer, issue 16): what a report leaves for after commit
(its audit entry on the chain, the staff notice) is done by one task of the cluster, poked at
most once per interval per process and lingering longer than that interval."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django_q.conf import Conf
from django_q.models import Schedule

from counselling import notifications
from reporting import writer
from reporting.audit import audit_verify_chain
from reporting.models import AuditEntry, Case


@pytest.fixture
def after_commit(settings: Any) -> None:
    """The writer's way, as on PostgreSQL, whatever the database."""
    settings.AUDIT_CHAIN_AFTER_COMMIT = True


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(notifications, "async_task", lambda name, *args, **kwargs: queued.append((name, args)))
    return queued


def test_a_submission_leaves_its_notice_and_entry_to_the_writer_which_does_each_once(
    after_commit: None, fallback_org: Any, submit: Any, notices: list[Any], django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pokes: list[int] = []
    monkeypatch.setattr(writer, "queue", lambda: pokes.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        case = submit().case
    assert pokes  # the commit poked the writer, and queued nothing else
    assert notices == []
    assert Case.objects.get(pk=case.pk).notice_pending
    entry = AuditEntry.objects.get(case_id=case.pk, action="reporting.case.submitted")
    assert entry.chain_position is None

    assert writer.run(linger=0) == 2  # one entry chained, one notice queued
    assert notices == [("counselling.tasks.send_new_case_notice", (case.pk, False))]
    assert not Case.objects.get(pk=case.pk).notice_pending
    entry.refresh_from_db()
    assert entry.chain_position is not None and audit_verify_chain() is None
    assert writer.run(linger=0) == 0  # nothing twice
    assert len(notices) == 1


def test_a_notice_the_queue_refuses_stays_pending_for_the_next_run(
    after_commit: None, fallback_org: Any, submit: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = submit().case

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(notifications, "async_task", broker_down)
    with pytest.raises(ConnectionError):
        writer.notices_pending()
    assert Case.objects.get(pk=case.pk).notice_pending  # rolled back with the failed queueing
    queued: list[Any] = []
    monkeypatch.setattr(notifications, "async_task", lambda *args, **kwargs: queued.append(args))
    assert writer.notices_pending() == 1 and len(queued) == 1


@pytest.fixture
def pokes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pokes as in production (a queue that does not run tasks at once), on a clock of our own."""
    queued: list[int] = []
    monkeypatch.setattr(writer, "queue", lambda: queued.append(1))
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(writer, "_last_poke", float("-inf"))
    cache.delete(writer.QUEUED_MARK)
    return queued


def test_pokes_within_the_interval_queue_one_writer(pokes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(writer.time, "monotonic", lambda: clock[0])
    writer.poke()
    clock[0] += writer.POKE_SECONDS / 2
    writer.poke()
    assert pokes == [1]
    assert writer.LINGER_SECONDS > writer.POKE_SECONDS  # what makes a swallowed poke safe


def test_a_flood_queues_no_second_writer_before_the_first_starts(
    pokes: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each writer lingers a second; were every process to queue one per interval, a flood would
    grow the queue for as long as it lasts. Other processes are other `_last_poke`s."""
    for _process in range(20):
        monkeypatch.setattr(writer, "_last_poke", float("-inf"))
        writer.poke()
    assert pokes == [1]
    monkeypatch.setattr(writer, "run_once", lambda: 0)
    writer.run(linger=0)  # the writer starts: the next poke may queue the next one
    monkeypatch.setattr(writer, "_last_poke", float("-inf"))
    writer.poke()
    assert pokes == [1, 1]


def test_a_case_stored_while_the_writer_lingers_gets_its_notice_from_that_writer(
    after_commit: None, fallback_org: Any, submit: Any, notices: list[Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The case whose poke the interval swallowed: the writer queued before it is still looking.
    The case arrives while the writer waits between two rounds of its linger."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(writer, "queue", lambda: None)
    arrived: list[Case] = []
    sleep = time.sleep

    def a_report_arrives(seconds: float) -> None:
        if not arrived:
            arrived.append(submit().case)
        sleep(seconds)

    monkeypatch.setattr(writer.time, "sleep", a_report_arrives)
    assert writer.run(linger=0.3) == 2  # its entry and its notice
    assert notices == [("counselling.tasks.send_new_case_notice", (arrived[0].pk, False))]


def test_the_writer_also_runs_every_minute(db: None) -> None:
    schedule = Schedule.objects.get(name="submissions-writer")
    assert schedule.func == "reporting.tasks.submissions_writer"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1 and schedule.repeats == -1


def test_without_the_writer_the_notice_is_queued_on_commit_as_before(
    settings: Any, fallback_org: Any, submit: Any, notices: list[Any], django_capture_on_commit_callbacks: Any,
) -> None:
    settings.AUDIT_CHAIN_AFTER_COMMIT = False  # SQLite's default: one writer at a time anyway
    with django_capture_on_commit_callbacks(execute=True):
        case = submit().case
    assert not Case.objects.get(pk=case.pk).notice_pending
    assert notices == [("counselling.tasks.send_new_case_notice", (case.pk, False))]
