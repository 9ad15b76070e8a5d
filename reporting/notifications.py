"""Content-free notices, queued through django-q2 after commit (SPEC §5 notifications).

A notice says that something happened and where to look, nothing else: no district, motive,
reference or content. Tasks get ids, load, and send.

Each queued notice carries a random `notice_id`. The broker may run a task again (a cluster
stopped mid-task, a lost acknowledgement); the task records each delivery under that id, so a
re-run sends what is missing and nothing twice (reporting.tasks).
"""

from __future__ import annotations

import uuid

from django_q.tasks import async_task


def _notice_id() -> str:
    return uuid.uuid4().hex


def queue_new_case_notice(case_id: int, *, transferred: bool = False) -> None:
    async_task("reporting.tasks.send_new_case_notice", case_id, transferred, notice_id=_notice_id())


def queue_new_message_notice(case_id: int) -> None:
    async_task("reporting.tasks.send_new_message_notice", case_id, notice_id=_notice_id())


def queue_reporter_reply_notice(case_id: int) -> None:
    async_task("reporting.tasks.send_reporter_reply_notice", case_id, notice_id=_notice_id())
