"""Content-free notices, queued through django-q2 after commit (SPEC §5 notifications).

A notice says that something happened and where to look, nothing else: no district, motive,
reference or content. Tasks get ids, load, and send.
"""

from __future__ import annotations

from django_q.tasks import async_task


def queue_new_case_notice(case_id: int, *, transferred: bool = False) -> None:
    async_task("reporting.tasks.send_new_case_notice", case_id, transferred)


def queue_new_message_notice(case_id: int) -> None:
    async_task("reporting.tasks.send_new_message_notice", case_id)


def queue_reporter_reply_notice(case_id: int) -> None:
    async_task("reporting.tasks.send_reporter_reply_notice", case_id)
