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
import random
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_q.models import Task

from reporting import abuse
from reporting.models import Attachment, Case, CaseGrant, Message, Note
from stats.models import StatisticsRecord
from tests.canary import scan_cache, scan_database, scan_mail, scan_media, scan_text
from tests.conftest import PASSWORD
from tests.counselling.conftest import totp_code
from tests.reporting.conftest import make_jpeg, make_pdf

pytestmark = pytest.mark.django_db

# Loggers that do not propagate to the root logger (settings.LOGGING): listened to directly.
QUIET_LOGGERS = ("django.request", "django.server", "django.security.DisallowedHost", "django_q")

CLASSIFICATION = {
    "incident_type": "threat", "motives": ["racism"], "antisemitism_forms": [],
    "area_of_life": "transport", "district": "online", "year": 2025, "month": 3,
    "channel": "online_form", "people_affected": 2,
}


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


def _markers() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10].upper()
    names = (
        "description", "place", "email", "phone", "notify", "filename", "pdfname", "author", "agent",
        "message", "reply", "note", "staffagent",
    )
    marked = {name: f"CANARYJOURNEY{name.upper()}{tag}" for name in names}
    marked["phone"] = "0511 " + "".join(random.choice("0123456789") for _ in range(9))
    octet = random.randint(10, 250)
    marked["address"] = f"198.51.100.{octet}"
    marked["forwarded"] = f"203.0.113.{octet}"
    marked["staffaddress"] = f"192.0.2.{octet}"
    marked["day"] = "2019-07-13"  # the day of the incident (only the classified month may stay)
    return marked


def _report_form(**fields: Any) -> dict[str, Any]:
    """A complete, valid submission of the report page (as tests/reporting/conftest.form_data)."""
    return {
        "form_ts": abuse.form_timestamp(time.time() - 60), "challenge": "", "nonce": "", "homepage": "",
        "incident_type": "offensive_behaviour", "district": "03241", "area_of_life": "transport",
        "motives": ["racism", "xenophobia"], "role": "affected", "consent": "on", **fields,
    }


def _staff_login(member: Any, marked: dict[str, str]) -> Client:
    """Log in through the staff API with password and TOTP; CSRF enforced as in a browser."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en",
                    REMOTE_ADDR=marked["staffaddress"], HTTP_USER_AGENT=marked["staffagent"])
    user = member.membership.user
    response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                   "otp": totp_code(user)}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["key_access"] is True
    client.defaults["HTTP_X_CSRFTOKEN"] = response.json()["csrf_token"]
    return client


def _post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def _decoded_sessions() -> str:
    """The session store decoded: its rows are signed, compressed base64 a plain scan cannot read."""
    assert "django_session" in connection.introspection.table_names()
    sessions = list(Session.objects.all())
    return "\n".join(repr(session.get_decoded()) for session in sessions)


def _decoded_tasks() -> str:
    """django-q's task records: arguments and results are pickled, so decode them."""
    return "\n".join(
        f"{task.func} {task.args!r} {task.kwargs!r} {task.result!r}" for task in Task.objects.all()
    )


def test_the_whole_journey_leaves_no_trace(
    make_org: Any, make_member: Any, every_log: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False, districts=["03403"])
    counsellor = make_member(home, username="counsellor")
    receiver = make_member(other, username="receiver")
    marked = _markers()
    reporter = Client(HTTP_ACCEPT_LANGUAGE="de", REMOTE_ADDR=marked["address"],
                      HTTP_X_FORWARDED_FOR=marked["forwarded"], HTTP_USER_AGENT=marked["agent"])
    jpeg = make_jpeg(gps=True)

    # 1. The report, through the HTML page.
    with django_capture_on_commit_callbacks(execute=True):
        assert reporter.get("/de/report/").status_code == 200
        response = reporter.post("/de/report/", _report_form(
            description=f"Es geschah: {marked['description']}",
            date_known="day", occurred_on=marked["day"],
            place_details=marked["place"],
            contact="email", contact_email=f"{marked['email']}@example.org",
            contact_phone=marked["phone"],  # dropped with contact=email; must not stay either
            notify_email=f"{marked['notify']}@example.org",
            people_affected="3",
            files=[
                SimpleUploadedFile(f"{marked['filename']}.jpg", jpeg, "image/jpeg"),
                SimpleUploadedFile(f"{marked['pdfname']}.pdf", make_pdf(author=marked["author"]),
                                   "application/pdf"),
            ],
        ))
    assert response.status_code == 200, response.content[:2000]
    code = re.search(rb'data-code="([0-9A-Z-]+)"', response.content).group(1).decode()
    case = Case.objects.get()
    assert case.organisation == home.organisation
    assert case.attachments.count() == 2

    # 2. The reporter writes through the follow-up API.
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(reporter, "/api/v1/followup/messages/", {"receipt": code, "body": marked["message"]})
    assert response.status_code == 201, response.content

    # 3. A counsellor logs in (password + TOTP), reads, replies, notes, downloads, transfers.
    staff = _staff_login(counsellor, marked)
    listing = staff.get("/api/v1/cases/")
    assert listing.status_code == 200
    detail = staff.get(f"/api/v1/cases/{case.pk}/")
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert marked["description"] in body["report"]["description"]
    assert body["report"]["place_details"] == marked["place"]
    assert [m["text"] for m in body["messages"]] == [marked["message"]]
    names = {a["name"]: a["uuid"] for a in body["attachments"]}
    assert set(names) == {f"{marked['filename']}.jpg", f"{marked['pdfname']}.pdf"}
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(staff, f"/api/v1/cases/{case.pk}/messages/", {"body": marked["reply"]}).status_code == 201
        assert _post(staff, f"/api/v1/cases/{case.pk}/notes/", {"body": marked["note"]}).status_code == 201
    download = staff.get(f"/staff/cases/{case.pk}/files/{names[marked['pdfname'] + '.pdf']}/")
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF") and marked["author"].encode() not in pdf  # metadata removed
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(staff, f"/api/v1/cases/{case.pk}/transfer/", {"organisation": "other"})
    assert response.status_code == 200, response.content
    assert list(CaseGrant.objects.values_list("organisation__slug", flat=True)) == ["other"]
    assert staff.get(f"/api/v1/cases/{case.pk}/").status_code == 404

    # 4. The receiving organisation's counsellor reads and classifies the case.
    staff2 = _staff_login(receiver, marked)
    body = staff2.get(f"/api/v1/cases/{case.pk}/").json()
    assert [n["text"] for n in body["notes"]] == [marked["note"]]
    assert [m["text"] for m in body["messages"]] == [marked["message"], marked["reply"]]
    response = _post(staff2, f"/api/v1/cases/{case.pk}/classification/", CLASSIFICATION)
    assert response.status_code == 201, response.content

    # 5. The reporter reads the reply and deletes the report.
    response = _post(reporter, "/api/v1/followup/", {"receipt": code})
    assert [m["body"] for m in response.json()["messages"]] == [marked["message"], marked["reply"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = reporter.post("/de/followup/delete/", {"receipt": code, "confirm": "yes"})
    assert response.status_code == 200
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert not Message.objects.exists() and not Note.objects.exists() and not CaseGrant.objects.exists()
    assert StatisticsRecord.objects.count() == 1  # the classified record, without content, stays

    # The notices went out: new case, new message, reply notice to the reporter, transfer.
    recipients = sorted(address for message in mail.outbox for address in message.to)
    notify_address = f"{marked['notify']}@example.org"
    assert recipients == sorted([
        "counsellor@example.org", "counsellor@example.org", notify_address, "receiver@example.org",
    ])
    # Four notices and the vacuum after the deletion (reporting.vacuum).
    assert Task.objects.filter(success=True).count() == 5 and not Task.objects.filter(success=False).exists()
    assert Task.objects.filter(func="reporting.tasks.vacuum_tables").count() == 1

    # Nothing anywhere.
    everything = [*marked.values(), code, code.replace("-", ""), code.lower()]
    assert Session.objects.exists()  # the counsellors' sessions are still there to be scanned
    assert scan_database(everything) == []
    assert scan_text(_decoded_sessions(), everything) == []
    assert scan_text(_decoded_tasks(), everything) == []
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
    assert scan_database([case.reference]) != []
