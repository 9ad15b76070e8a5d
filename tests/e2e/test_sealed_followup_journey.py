"""The follow-up in the reporter's browser (SPEC §3.10, issue 17) in real Chromium: with
JavaScript bundle/followup.js opens the report with the receipt code, which never leaves the
browser, shows the counsellor's reply and encrypts the reporter's; without JavaScript, or when
the browser path fails, the follow-up pages work as they always did."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from reporting.audit import AuditAction
from reporting.models import Attachment, AuditEntry, Case, Message
from reporting.services import (
    ReportInput,
    case_keys_for_organisation,
    message_post,
    message_text,
    organisation_create,
    report_submit,
)
from tests.helpers import files_in, jpeg_with_exif, logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_MARKER = "STAFFMARK-71c2e0"
REPLY_MARKER = "REPLYMARK-5d08aa"
FILE_MARKER = "FILEMARK-b39e4c"


@pytest.fixture(autouse=True)
def _bundle_built() -> None:
    if not settings.FOLLOWUP_BUNDLE.is_file():
        pytest.fail("static_build/bundle/followup.js is missing: `make install` builds it")


@pytest.fixture
def world(db: None, make_member: Any) -> dict[str, Any]:
    """A report sent without JavaScript, and a counsellor's reply to it."""
    org = organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    submitted = report_submit(report=ReportInput(description="Im Bus beleidigt.\nZweite Zeile."), files=())
    case = submitted.case
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=org.private_key)
    message_post(case=case, case_key=keys.case_key, body=f"Wir haben Ihre Meldung gelesen. {STAFF_MARKER}",
                 actor=member.membership.user)
    return {"member": member, "case": case, "case_key": keys.case_key, "code": submitted.receipt_code}


def _watch(page: Any) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    sent: list[tuple[str, str, bytes]] = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data_buffer or b"")))
    problems: list[str] = []  # a script the strict CSP blocked, or one that failed
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return sent, problems


def _carries(body: bytes, code: str) -> bool:
    variants = {code, code.replace("-", ""), code.lower(), code.lower().replace("-", "")}
    return any(variant.encode() in body for variant in variants)


def test_the_reply_is_decrypted_in_chromium_and_the_answer_encrypted_without_the_code_leaving(
    live_server: Any, page: Any, world: dict[str, Any]
) -> None:
    code = world["code"]
    sent, problems = _watch(page)
    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", code.lower())
    page.locator("#followup-enter button[type=submit]").click()

    thread = page.locator(".message-thread .message__body")
    expect(thread.first).to_contain_text(STAFF_MARKER)
    expect(page.locator("[data-slot=new]").first).to_be_visible()  # the reply was new
    assert page.locator("[data-status]").first.get_attribute("data-status") == "new"
    description = page.locator("#sec-report ~ p, [data-slot=description]").first
    expect(description).to_contain_text("Zweite Zeile.")
    assert description.locator("br").count() == 1  # line breaks as on the server's page
    assert world["case"].reference in page.locator("#sec-status ~ p").nth(1).inner_text()

    page.fill("#id_body", f"Danke für die Antwort. {REPLY_MARKER}")
    page.locator("form[data-slot=reply] button[type=submit]").click()
    expect(page.locator("#notice")).to_be_visible()
    expect(thread.last).to_contain_text(REPLY_MARKER)
    assert page.locator("#id_body").input_value() == ""
    assert problems == []

    posts = [(url.removeprefix(live_server.url), body) for method, url, body in sent if method == "POST"]
    assert [url for url, _ in posts] == ["/api/v1/followup/sealed/", "/api/v1/followup/sealed/messages/"]
    for _url, body in posts:
        assert REPLY_MARKER.encode() not in body
        assert not _carries(body, code)
    for _method, url, _body in sent:
        assert not _carries(url.encode(), code)

    # stored like any reply of the reporter, and the counsellor reads it
    message = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert message.seal_id and REPLY_MARKER.encode() not in bytes(message.body_ciphertext)
    assert message_text(message=message, case_key=world["case_key"]) == f"Danke für die Antwort. {REPLY_MARKER}"
    case = Case.objects.get()
    assert case.staff_unread is True and case.reporter_unread is False
    staff_page = logged_in(world["member"]).get(f"/staff/cases/{case.pk}/")
    assert REPLY_MARKER.encode() in staff_page.content


def test_without_javascript_the_follow_up_works_as_before(
    live_server: Any, nojs_page: Any, world: dict[str, Any]
) -> None:
    page = nojs_page
    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", world["code"])
    page.locator("form button[type=submit]").first.click()
    expect(page.locator(".message__body").first).to_contain_text(STAFF_MARKER)
    page.fill("#id_body", f"Ohne JavaScript. {REPLY_MARKER}")
    page.locator("form:has(#id_body) button[type=submit]").click()
    expect(page.locator(".message__body").last).to_contain_text(REPLY_MARKER)
    message = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert message.seal_id == ""
    assert message_text(message=message, case_key=world["case_key"]) == f"Ohne JavaScript. {REPLY_MARKER}"


def test_when_the_browser_path_fails_the_typed_reply_takes_the_ordinary_post(
    live_server: Any, page: Any, world: dict[str, Any]
) -> None:
    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", world["code"])
    page.locator("#followup-enter button[type=submit]").click()
    expect(page.locator(".message-thread .message__body").first).to_contain_text(STAFF_MARKER)
    page.route("**/api/v1/followup/sealed/messages/", lambda route: route.fulfill(status=503, body="{}"))
    page.fill("#id_body", f"Trotzdem angekommen. {REPLY_MARKER}")
    page.locator("form[data-slot=reply] button[type=submit]").click()
    # the server's page after post/redirect/get: the reply is there, nothing was lost
    expect(page.locator(".message__body").last).to_contain_text(REPLY_MARKER)
    message = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert message_text(message=message, case_key=world["case_key"]) == f"Trotzdem angekommen. {REPLY_MARKER}"


def test_a_wrong_code_gets_the_servers_answer(live_server: Any, page: Any, world: dict[str, Any]) -> None:
    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", "AAAA-BBBB-CCCC-DDDD")
    page.locator("#followup-enter button[type=submit]").click()
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#id_receipt")).to_be_visible()
    assert Message.objects.filter(direction=Message.Direction.FROM_REPORTER).count() == 0


def test_with_a_puzzle_to_solve_the_browser_path_brings_the_solution(
    live_server: Any, page: Any, world: dict[str, Any], settings: Any
) -> None:
    """After wrong codes from here the entry page carries a puzzle (pow.js solves it): the
    look-up token goes with the solution, through the same gate."""
    settings.FOLLOWUP_MAX_FAILURES = 0  # every try needs the puzzle
    settings.FOLLOWUP_POW_DIFFICULTY = 8
    sent, problems = _watch(page)
    page.goto(live_server.url + "/de/followup/")
    assert page.locator("input[name=challenge]").count() == 1
    page.fill("#id_receipt", world["code"])
    page.locator("#followup-enter button[type=submit]").click()
    expect(page.locator(".message-thread .message__body").first).to_contain_text(STAFF_MARKER)
    posts = [body for method, url, body in sent if method == "POST"]
    assert len(posts) == 1 and b'"challenge"' in posts[0] and b'"nonce":""' not in posts[0]
    assert not _carries(posts[0], world["code"])
    assert problems == []


def _open_in_browser(page: Any, live_server: Any, code: str) -> None:
    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", code)
    page.locator("#followup-enter button[type=submit]").click()
    expect(page.locator(".message-thread .message__body").first).to_contain_text(STAFF_MARKER)


def test_a_photo_added_in_the_follow_up_is_sealed_in_chromium_and_no_request_carries_the_marker_or_the_code(
    live_server: Any, page: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    code = world["code"]
    photo = tmp_path / f"{FILE_MARKER}-foto.jpg"
    photo.write_bytes(jpeg_with_exif(FILE_MARKER, width=640, height=480))
    sent, problems = _watch(page)
    _open_in_browser(page, live_server, code)
    page.set_input_files("#id_files", str(photo))
    page.locator("form[data-slot=add-files] button[type=submit]").click()
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("[data-slot=files] li").last).to_have_text(f"{FILE_MARKER}-foto.jpg")
    assert problems == []

    posts = [url.removeprefix(live_server.url) for method, url, _body in sent if method == "POST"]
    assert posts == ["/api/v1/followup/sealed/", "/api/v1/followup/sealed/files/"]
    for _method, url, body in sent:
        assert FILE_MARKER not in url and FILE_MARKER.encode() not in body
        assert not _carries(url.encode(), code) and not _carries(body, code)
    assert max(len(body) for _method, _url, body in sent) > 2000  # the photo went, sealed

    case = Case.objects.get()
    attachment = Attachment.objects.get(case=case)
    assert attachment.from_reporter
    stored = b"".join(path.read_bytes() for path in files_in(settings.MEDIA_ROOT))
    assert stored.startswith(b"MSA1") and FILE_MARKER.encode() not in stored
    assert AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_ADDED, case_id=case.pk).count() == 1
    case.refresh_from_db()
    assert case.staff_unread is True

    # the counsellor sees the name and downloads the photo without its EXIF
    staff = logged_in(world["member"])
    case_page = staff.get(f"/staff/cases/{case.pk}/")
    assert f"{FILE_MARKER}-foto.jpg".encode() in case_page.content
    download = staff.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/")
    assert download.status_code == 200
    picture_bytes = b"".join(download.streaming_content)
    assert FILE_MARKER.encode() not in picture_bytes
    with Image.open(io.BytesIO(picture_bytes)) as picture:
        assert picture.format == "JPEG" and picture.size == (640, 480) and not picture.getexif()


def test_when_sealing_files_fails_the_chosen_files_take_the_ordinary_post(
    live_server: Any, page: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(jpeg_with_exif(FILE_MARKER, width=64, height=48))
    _open_in_browser(page, live_server, world["code"])
    page.route("**/api/v1/followup/sealed/files/", lambda route: route.fulfill(status=503, body="{}"))
    page.set_input_files("#id_files", str(photo))
    page.locator("form[data-slot=add-files] button[type=submit]").click()
    # the server's page after post/redirect/get: the file is there, cleaned on the server
    expect(page.locator("#notice")).to_be_visible()
    expect(page.get_by_text("foto.jpg").first).to_be_visible()
    attachment = Attachment.objects.get()
    assert attachment.from_reporter
