"""Failures (issue 6): a database error in the middle of a submission leaves nothing behind and
the reporter sees a calm page with the answers kept; a notice task that fails because the mail
server is down is recorded for the operator, retried by the broker, and sends exactly once when
the mail server is back. The reporter never sees a 500.
"""

from __future__ import annotations

import smtplib
import time
from multiprocessing import Queue, Value
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Failure, OrmQ, Task
from django_q.monitor import monitor
from django_q.signing import SignedPackage
from django_q.worker import worker

from counselling import tasks
from reporting import abuse
from reporting.models import Attachment, Case, CaseGrant, Message, NoticeSent
from reporting.services import FileInput, ReportInput, report_submit
from tests.helpers import make_jpeg, make_pdf

pytestmark = pytest.mark.django_db

MARKER = "FAILURE-MARKER-7d1e2c"


def _files_in(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def _form(**fields: Any) -> dict[str, Any]:
    """A complete, valid submission of the report page (as tests/reporting/conftest.form_data)."""
    return {
        "form_ts": abuse.form_timestamp(time.time() - 60), "challenge": "", "nonce": "", "homepage": "",
        "incident_type": "offensive_behaviour", "district": "03241", "area_of_life": "transport",
        "motives": ["racism", "xenophobia"], "role": "affected", "contact": "mailbox", "consent": "on",
        **fields,
    }


def _broken_audit(*args: Any, **kwargs: Any) -> None:
    raise DatabaseError("the database went away")


def _files() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile("photo.jpg", make_jpeg(), "image/jpeg"),
        SimpleUploadedFile("letter.pdf", make_pdf(), "application/pdf"),
    ]


def _assert_nothing_stored() -> None:
    assert Case.objects.count() == 0
    assert CaseGrant.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert _files_in(settings.MEDIA_ROOT) == []
    assert mail.outbox == []


# --------------------------------------------------------------------------------------------
# A database error in the middle of a submission


def test_service_leaves_nothing_after_a_database_error_once_files_are_written(fallback_org: Any) -> None:
    written: list[str] = []
    real_save = Attachment.save

    def save(self: Attachment, *args: Any, **kwargs: Any) -> None:
        real_save(self, *args, **kwargs)
        written.append(self.blob.name)

    files = (FileInput(name="a.png", content=b"x" * 1000, content_type="image/png"),
             FileInput(name="b.pdf", content=b"y" * 1000, content_type="application/pdf"))
    with mock.patch.object(Attachment, "save", save), \
            mock.patch("reporting.services.submission.audit_log", _broken_audit), \
            pytest.raises(DatabaseError):
        report_submit(report=ReportInput(description=MARKER), files=files)
    assert len(written) == 2  # both attachments were written before the failure
    _assert_nothing_stored()


def test_grant_failure_leaves_nothing(fallback_org: Any) -> None:
    # The grant is sealed before the transaction and inserted inside it, with the case, its
    # incident and (PostgreSQL) the audit entry in one statement (issue 16).
    with mock.patch("reporting.services.submission.insert_together", side_effect=DatabaseError("disk full")), \
            pytest.raises(DatabaseError):
        report_submit(report=ReportInput(description=MARKER))
    _assert_nothing_stored()


def test_page_shows_a_calm_503_and_keeps_the_answers(
    client: Any, fallback_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    make_member(fallback_org)
    with mock.patch("reporting.services.submission.audit_log", _broken_audit), \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/en/report/", _form(description=MARKER, files=_files()))
    assert response.status_code == 503
    page = response.content.decode()
    assert "Nothing you entered has been stored. Please try again in a few minutes." in page
    assert MARKER in page  # the answers are still in the form
    assert 'name="form_ts"' in page and "Traceback" not in page and "DatabaseError" not in page
    assert response["Cache-Control"] == "no-store"
    assert callbacks == []  # no notice for a case that does not exist
    _assert_nothing_stored()


def test_page_error_is_translated(client: Any, fallback_org: Any) -> None:
    with mock.patch("reporting.services.submission.audit_log", _broken_audit):
        response = client.post("/de/report/", _form(description=MARKER))
    assert response.status_code == 503
    assert "Von Ihren Eingaben wurde nichts gespeichert." in response.content.decode()


def test_api_answers_503_unavailable(client: Any, fallback_org: Any) -> None:
    with mock.patch("reporting.services.submission.audit_log", _broken_audit):
        response = client.post("/api/v1/reports/", {
            "description": MARKER, "consent": "true", "district": "online",
            "files": _files(),
        })
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert error["message"] == "Nothing you entered has been stored. Please try again in a few minutes."
    assert MARKER not in response.content.decode()
    _assert_nothing_stored()


def test_database_error_is_logged_without_request_data(
    client: Any, fallback_org: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    with mock.patch("reporting.services.submission.audit_log", _broken_audit):
        client.post("/en/report/", _form(description=MARKER, place_details=MARKER))
    assert "Report not stored: DatabaseError" in caplog.text
    assert MARKER not in caplog.text and "went away" not in caplog.text


# --------------------------------------------------------------------------------------------
# The mail server is down


def _smtp_down(*args: Any, **kwargs: Any) -> None:
    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_retry_configuration() -> None:
    q = settings.Q_CLUSTER
    assert q["max_attempts"] == 5
    # Failures stay on the broker to be handed out again; the re-delivery waits longer than a run may take.
    assert q["ack_failures"] is False
    assert q["retry"] > q["timeout"]
    assert Conf.MAX_ATTEMPTS == 5 and Conf.ACK_FAILURES is False


def test_mail_server_down_reporter_still_gets_the_receipt(
    client: Any, fallback_org: Any, make_member: Any,
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """Under pytest the queue runs synchronously, and django-q2's sync mode re-raises a task's
    exception at the caller without recording the run (the cluster records it: see below). The
    notice is queued in a robust on-commit hook, so the stored case still gets its receipt page
    and the error goes to the operator's log."""
    make_member(fallback_org)
    with mock.patch("counselling.notifications.send_mail", _smtp_down), \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/report/", _form(description=MARKER))
    assert response.status_code == 200  # the receipt: the report is stored, the notice is not sent
    assert b"data-code=" in response.content
    case = Case.objects.get()
    assert mail.outbox == [] and not NoticeSent.objects.exists()
    logged = [r for r in caplog.records if r.levelname == "ERROR" and "on_commit" in r.getMessage()]
    assert logged and "SMTPServerDisconnected" in caplog.text
    assert MARKER not in caplog.text
    # The mail server is back: running the notice again sends it once, and once only.
    assert tasks.send_new_case_notice(case.pk, notice_id="n1") == 1
    assert tasks.send_new_case_notice(case.pk, notice_id="n1") == 0
    assert len(mail.outbox) == 1


def test_queue_down_reporter_still_gets_the_receipt(
    client: Any, fallback_org: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    with mock.patch("counselling.notifications.async_task", side_effect=ConnectionError("broker down")), \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/report/", _form(description=MARKER))
    assert response.status_code == 200 and b"data-code=" in response.content
    assert Case.objects.count() == 1


def test_reporter_reply_with_mail_server_down_is_no_500(
    client: Any, fallback_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    make_member(fallback_org)
    receipt = submit(description=MARKER).receipt_code
    with mock.patch("counselling.notifications.send_mail", _smtp_down), \
            django_capture_on_commit_callbacks(execute=True):
        page = client.post("/en/followup/reply/", {"receipt": receipt, "body": MARKER})
        api = client.post("/api/v1/followup/messages/", {"receipt": receipt, "body": MARKER},
                          content_type="application/json")
    assert page.status_code == 303 and api.status_code == 201
    assert Message.objects.count() == 2


# ---- the cluster's own path: the ORM broker hands out a failed task again


def _run_cluster_once() -> int:
    """One round of what `qcluster` does: take due packages off the ORM broker, run them in a
    worker, and let the monitor record (and acknowledge) the results. Returns packages run."""
    broker = get_broker()
    packages = broker.dequeue() or []
    task_queue: Queue = Queue()
    result_queue: Queue = Queue()
    for ack_id, payload in packages:
        task = SignedPackage.loads(payload)
        task["ack_id"] = ack_id
        task_queue.put(task)
    task_queue.put("STOP")
    worker(task_queue, result_queue, Value("f", -1), timeout=-1)
    result_queue.put("STOP")
    monitor(result_queue, broker)
    for q in (task_queue, result_queue):
        q.close()
        q.join_thread()
    return len(packages)


def _retry_due() -> None:
    """As if `retry` seconds had passed: every handed-out package is due again."""
    OrmQ.objects.update(lock=timezone.now() - timezone.timedelta(seconds=1))


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Queue through the ORM broker instead of running tasks synchronously at enqueue time.

    The submission's audit entry is chained in its transaction here (as on SQLite), so the
    only package on the broker is the notice these tests follow; the chain writer's own task
    is tested in tests/reporting/test_audit.py and tests/concurrency/."""
    monkeypatch.setattr(Conf, "SYNC", False)
    settings.AUDIT_CHAIN_AFTER_COMMIT = False


def _enqueue_new_case_notice(fallback_org: Any, make_member: Any, submit: Any, capture: Any) -> Case:
    make_member(fallback_org)
    with capture(execute=True):
        case = submit(description=MARKER).case
    Conf.SYNC = True  # restored by monkeypatch; lets worker and monitor keep the test's connection
    assert OrmQ.objects.count() == 1
    return case


def test_broker_retries_a_failed_notice_and_sends_it_once(
    queued: None, fallback_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    _enqueue_new_case_notice(fallback_org, make_member, submit, django_capture_on_commit_callbacks)
    with mock.patch("counselling.notifications.send_mail", _smtp_down):
        assert _run_cluster_once() == 1
    task = Task.objects.get()
    assert task.success is False and task.attempt_count == 1
    assert OrmQ.objects.count() == 1  # not acknowledged: it will be handed out again
    assert mail.outbox == []
    assert _run_cluster_once() == 0  # not before `retry` seconds have passed

    _retry_due()
    assert _run_cluster_once() == 1  # the mail server is back
    task.refresh_from_db()
    assert task.success is True and task.attempt_count == 2
    assert OrmQ.objects.count() == 0
    assert len(mail.outbox) == 1

    # A lost acknowledgement hands the same package out again: nothing is sent twice.
    assert tasks.send_new_case_notice(*task.args, **task.kwargs) == 0
    assert len(mail.outbox) == 1


def test_broker_gives_up_after_max_attempts_and_keeps_the_failure(
    queued: None, fallback_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    _enqueue_new_case_notice(fallback_org, make_member, submit, django_capture_on_commit_callbacks)
    with mock.patch("counselling.notifications.send_mail", _smtp_down):
        for attempt in range(1, settings.Q_CLUSTER["max_attempts"] + 1):
            _retry_due()
            assert _run_cluster_once() == 1
            assert Failure.objects.get().attempt_count == attempt
    assert OrmQ.objects.count() == 0  # acknowledged after the last attempt
    failure = Failure.objects.get()
    assert failure.attempt_count == 5 and MARKER not in str(failure.result)
    assert mail.outbox == [] and not Message.objects.exists()


def test_failed_notice_is_visible_in_the_operator_admin(
    queued: None, client: Any, fallback_org: Any, make_member: Any, submit: Any, django_user_model: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _enqueue_new_case_notice(fallback_org, make_member, submit, django_capture_on_commit_callbacks)
    with mock.patch("counselling.notifications.send_mail", _smtp_down):
        assert _run_cluster_once() == 1
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = django_user_model.objects.create_superuser("operator", "op@example.org", "x" * 20)
    device = TOTPDevice.objects.create(user=operator, name="operator", confirmed=True)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # the operator area demands a second factor
    session.save()
    page = client.get("/operator/django_q/failure/")
    assert page.status_code == 200, page.status_code
    assert "send_new_case_notice" in page.content.decode()
    assert MARKER not in page.content.decode()
