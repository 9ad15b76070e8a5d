"""Canary over HTTP (SPEC §9): reports through the page and through the API, each with a unique
marker in every free-text field, in a file name, a reply and the client's address and user
agent. Afterwards no marker, no address and no receipt code is in the database, media, cache,
outbox or logs."""

from __future__ import annotations

import logging
import random
import re
import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from reporting.models import Case
from tests.canary import scan_cache, scan_database, scan_mail, scan_media, scan_text
from tests.helpers import make_jpeg, make_pdf

pytestmark = pytest.mark.django_db


def _markers(prefix: str) -> dict[str, str]:
    tag = uuid.uuid4().hex[:10].upper()
    names = ("description", "place", "email", "notify", "filename", "pdfname", "author", "reply", "agent")
    marked = {name: f"CANARY{prefix}{name.upper()}{tag}" for name in names}
    marked["phone"] = "0511 " + "".join(random.choice("0123456789") for _ in range(9))
    octet = random.randint(10, 250)
    marked["address"] = f"198.51.100.{octet}"
    marked["forwarded"] = f"203.0.113.{octet}"
    return marked


def _client_headers(marked: dict[str, str]) -> dict[str, str]:
    return {
        "REMOTE_ADDR": marked["address"],
        "HTTP_X_FORWARDED_FOR": marked["forwarded"],
        "HTTP_USER_AGENT": marked["agent"],
    }


def _assert_nowhere(markers: list[str], caplog: Any) -> None:
    assert scan_database(markers) == []
    assert scan_media(markers) == []
    assert scan_cache(markers) == []
    assert scan_mail(markers) == []
    assert scan_text(caplog.text, markers) == []


def test_report_through_the_page_leaves_no_trace(
    client: Any, fallback_org: Any, make_member: Any, form_data: Any, caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    make_member(fallback_org, username="counsellor")
    marked = _markers("PAGE")
    headers = _client_headers(marked)
    files = [
        SimpleUploadedFile(f"{marked['filename']}.jpg", make_jpeg(gps=True), "image/jpeg"),
        SimpleUploadedFile(f"{marked['pdfname']}.pdf", make_pdf(author=marked["author"]), "application/pdf"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/de/report/", **headers)
        response = client.post("/de/report/", form_data(
            description=f"Es geschah: {marked['description']}",
            place_details=marked["place"],
            contact="email", contact_email=f"{marked['email']}@example.org",
            notify_email=f"{marked['notify']}@example.org",
            files=files,
        ), **headers)
        assert response.status_code == 200
        code = re.search(rb'data-code="([0-9A-Z-]+)"', response.content).group(1).decode()
        reply = client.post("/de/followup/reply/", {"receipt": code, "body": marked["reply"]}, follow=True, **headers)
        assert reply.redirect_chain[0][1] == 303 and reply.status_code == 200
    assert Case.objects.get().attachments.count() == 2
    assert len(mail.outbox) == 2  # new case, new message: both content-free
    _assert_nowhere([*marked.values(), code, code.replace("-", "")], caplog)


def test_report_through_the_api_leaves_no_trace(
    client: Any, fallback_org: Any, make_member: Any, caplog: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    make_member(fallback_org, username="counsellor")
    marked = _markers("API")
    headers = _client_headers(marked)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/reports/", {
            "description": marked["description"], "place_details": marked["place"],
            "contact": "phone", "contact_phone": marked["phone"],
            "notify_email": f"{marked['notify']}@example.org", "consent": "true", "district": "online",
            "files": [SimpleUploadedFile(f"{marked['filename']}.png", make_pdf(), "application/pdf")],
        }, **headers)
        assert response.status_code == 201, response.content
        code = response.json()["receipt"]
        reply = client.post("/api/v1/followup/messages/", {"receipt": code, "body": marked["reply"]},
                            content_type="application/json", **headers)
        assert reply.status_code == 201
        # a wrong code is counted in the cache: by hashed address only
        client.post("/api/v1/followup/", {"receipt": "AAAA-BBBB-CCCC-DDDD"}, content_type="application/json",
                    **headers)
    _assert_nowhere([*marked.values(), code, code.replace("-", "")], caplog)
