"""The reporter's content-free reply notice, queued through django-q2 after commit (SPEC §5).

It says that there is a reply and where to look, nothing else. The task gets the case id, loads
and sends. Each queued notice carries a random `notice_id`: the broker may run a task again (a
cluster stopped mid-task, a lost acknowledgement), and the task records each delivery under that
id, so a re-run sends nothing twice (reporting.tasks.deliver_once).

Staff notices (new cases, reporter messages, the daily digest) are counselling's
(counselling.notifications), which hears of events through reporting.signals.
"""

from __future__ import annotations

import uuid

from django_q.tasks import async_task


def _notice_id() -> str:
    return uuid.uuid4().hex


def queue_reporter_reply_notice(case_id: int) -> None:
    async_task("reporting.tasks.send_reporter_reply_notice", case_id, notice_id=_notice_id())
