"""Canary everywhere (SPEC §3, §9; issue 6): the whole life of a report over HTTP.

A report goes in through the HTML page with a unique marker in every free-text field, in file
names and PDF metadata, sent from a marked client address and user agent. The reporter writes
through the follow-up API; a counsellor logs in with TOTP, reads the case, replies, writes an
internal note, downloads the file and transfers the case; the receiving organisation's
counsellor reads and classifies it; the reporter deletes the report. Notices are sent (the task
queue runs synchronously under pytest) and every log record is kept at DEBUG.

Afterwards no marker, no client address, no user agent and no receipt code is anywhere at rest:
any column of any table (the session store included, also decoded), django-q's pickled task
records (decoded), media storage, the cache, the log records and the mail outbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django_q.models import Task

from tests.canary import (
    decoded_sessions,
    decoded_tasks,
    journey_deletion,
    journey_until_deletion,
    scan_cache,
    scan_database,
    scan_mail,
    scan_media,
    scan_text,
)

pytestmark = pytest.mark.django_db

# Loggers that do not propagate to the root logger (settings.LOGGING): listened to directly.
QUIET_LOGGERS = ("django.request", "django.server", "django.security.DisallowedHost", "django_q")


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG on the root logger and on the loggers that do not propagate."""
    caplog.set_level(logging.DEBUG)
    saved = []
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        for logger, level in saved:
            logger.removeHandler(caplog.handler)
            logger.setLevel(level)


def test_the_whole_journey_leaves_no_trace(
    make_org: Any, make_member: Any, every_log: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    journey = journey_until_deletion(make_org, make_member, django_capture_on_commit_callbacks)
    journey_deletion(journey, django_capture_on_commit_callbacks)
    marked = journey.marked

    # The notices went out: new case, new message, reply notice to the reporter, transfer.
    recipients = sorted(address for message in mail.outbox for address in message.to)
    notify_address = f"{marked['notify']}@example.org"
    assert recipients == sorted([
        "counsellor@example.org", "counsellor@example.org", notify_address, "receiver@example.org",
    ])
    # Four notices and the vacuum after the deletion (reporting.vacuum); on PostgreSQL also the
    # submissions' writer the submission poked (reporting.writer), which is no notice.
    notices = Task.objects.exclude(func="reporting.tasks.submissions_writer")
    assert notices.filter(success=True).count() == 5 and not Task.objects.filter(success=False).exists()
    assert Task.objects.filter(func="reporting.tasks.vacuum_tables").count() == 1

    # Nothing anywhere.
    everything = journey.markers
    assert Session.objects.exists()  # the counsellors' sessions are still there to be scanned
    assert scan_database(everything) == []
    assert scan_text(decoded_sessions(), everything) == []
    assert scan_text(decoded_tasks(), everything) == []
    assert scan_media(everything) == []
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []
    assert scan_cache(everything) == []
    # The reply notice must be addressed to the reporter's notice address; nothing else of it.
    assert scan_mail([m for m in everything if m != marked["notify"]]) == []
    for message in mail.outbox:
        assert marked["notify"] not in message.subject + message.body
    assert every_log.records, "the log capture must have seen the journey"
    assert scan_text(every_log.text, everything) == []
    assert scan_text(json.dumps([r.getMessage() for r in every_log.records]), everything) == []

    # The scanners are not blind: they see plaintext where it is.
    assert scan_database([journey.reference]) != []
