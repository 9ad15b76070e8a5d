"""Encryption in the reporter's browser (SPEC §3.10, issue 17) in real Chromium: the report and
its files are sealed by bundle/seal.js, no request the browser sends (and no server log line)
carries what the person wrote or uploaded (the file's name, a photo's EXIF), and a counsellor
reads it all; a browser without what it needs takes the ordinary form post."""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from counselling.services import member_unlock
from reporting.audit import AuditAction
from reporting.models import AuditEntry, Case
from reporting.services import case_keys_for_organisation, organisation_create, report_decrypt
from tests.helpers import PASSWORD, jpeg_with_exif, logged_in, make_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MARKER = "SEALMARK-4b1d9e"


@pytest.fixture
def fallback(db: None) -> Any:
    # The districts come from the data file (reporting.places): nothing to load.
    return organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)


@pytest.fixture(autouse=True)
def _bundle_built() -> None:
    if not settings.SEAL_BUNDLE.is_file():
        pytest.fail("static_build/bundle/seal.js is missing: `make install` builds it")


def _fill(page: Any) -> None:
    page.fill("#id_description", f"Im Bus wurde ich beleidigt. {MARKER}-description")
    page.locator("#id_date_known_0").check()
    page.fill("#id_occurred_on", "2025-03-14")
    page.locator("#id_motives_0").check()
    page.fill("#district-filter", "Hannover")
    page.select_option("#id_district", "03241")
    page.fill("#id_place_details", f"Linie 100 {MARKER}-place")
    page.locator("#id_consent").check()


def test_a_report_sealed_in_chromium_is_read_by_the_counsellor_and_never_sent_in_plain(
    live_server: Any, page: Any, fallback: Any, make_member: Any
) -> None:
    member = make_member(fallback, username="berater")
    sent: list[tuple[str, str, bytes]] = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data_buffer or b"")))
    problems: list[str] = []  # a script the strict CSP blocked, or one that failed
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(live_server.url + "/de/report/")
    _fill(page)
    page.locator("#report-form button[type=submit]").click()
    code_element = page.locator("#receipt-code")
    expect(code_element).to_be_visible()
    code = code_element.inner_text().strip()
    assert len(code) == 19
    expect(page.locator("[data-copy-target]")).to_be_visible()  # receipt.js set up the shown receipt
    assert problems == []

    posts = [(url, body) for method, url, body in sent if method == "POST"]
    assert [url.removeprefix(live_server.url) for url, _ in posts] == [
        "/api/v1/reports/bind/", "/api/v1/reports/sealed/",
    ]
    for _url, body in posts:
        assert MARKER.encode() not in body
        assert code.encode() not in body and code.replace("-", "").encode() not in body
    case = Case.objects.get()
    reference = page.locator(".case-reference__number").first.inner_text()
    assert reference == case.reference and case.seal_binding
    assert case.district == "03241" and case.language == "de" and case.motives

    # the counsellor reads it like any case: the services, and the case page
    private_key = member_unlock(membership=member.membership, password=PASSWORD)
    keys = case_keys_for_organisation(case=case, organisation=fallback.organisation, org_private_key=private_key)
    report = report_decrypt(case=case, case_key=keys.case_key)
    assert report["description"].endswith(f"{MARKER}-description")
    assert report["place_details"] == f"Linie 100 {MARKER}-place" and report["occurred_on"] == "2025-03-14"
    staff_page = logged_in(member).get(f"/staff/cases/{case.pk}/")
    assert f"{MARKER}-description".encode() in staff_page.content

    # the code opens the follow-up page (in the browser: tests/e2e/test_sealed_followup_journey.py)
    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", code.lower())
    page.locator("form button[type=submit]").first.click()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "new"


QUIET_LOGGERS = ("django.request", "django.server", "django.security.DisallowedHost", "django_q")


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG on the root logger and on the loggers that do not propagate (the live
    server's thread logs into the same handlers)."""
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


def test_a_report_with_a_photo_and_a_pdf_is_sealed_in_chromium_and_no_request_or_log_carries_the_marker(
    live_server: Any, page: Any, fallback: Any, make_member: Any, tmp_path: Path,
    every_log: pytest.LogCaptureFixture,
) -> None:
    member = make_member(fallback, username="berater")
    photo = tmp_path / f"{MARKER}-foto.jpg"
    photo.write_bytes(jpeg_with_exif(MARKER, width=640, height=480))
    document = tmp_path / "brief.pdf"
    document.write_bytes(make_pdf(author=MARKER))
    noise = tmp_path / "rauschen.png"  # several segments of the attachment stream
    Image.frombytes("RGB", (260, 260), random.Random(7).randbytes(260 * 260 * 3)).save(noise, format="PNG")
    assert noise.stat().st_size > 2 * 64 * 1024
    every_log.clear()  # making the photo here logged its EXIF (Pillow, DEBUG): the server's lines count
    sent: list[tuple[str, str, bytes]] = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data_buffer or b"")))
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(live_server.url + "/de/report/")
    _fill(page)
    page.locator('input[name="contact"][value="email"]').check()
    page.fill("#id_contact_email", f"{MARKER}@example.org")
    page.set_input_files("#id_files", [str(photo), str(document), str(noise)])
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    assert problems == []

    posts = [url.removeprefix(live_server.url) for method, url, _body in sent if method == "POST"]
    assert posts == ["/api/v1/reports/bind/", "/api/v1/reports/sealed/"]
    for _method, url, body in sent:
        assert MARKER not in url and MARKER.encode() not in body
    assert max(len(body) for _method, _url, body in sent) > 2000  # the files went, sealed
    case = Case.objects.get()
    assert case.seal_binding and case.attachments.count() == 3
    assert every_log.records, "the log capture must have seen the requests"
    assert MARKER not in every_log.text
    assert all(MARKER not in record.getMessage() for record in every_log.records)

    # the counsellor reads the text and the file names, and gets the photo without its EXIF
    private_key = member_unlock(membership=member.membership, password=PASSWORD)
    keys = case_keys_for_organisation(case=case, organisation=fallback.organisation, org_private_key=private_key)
    report = report_decrypt(case=case, case_key=keys.case_key)
    assert report["contact_email"] == f"{MARKER}@example.org"
    staff = logged_in(member)
    case_page = staff.get(f"/staff/cases/{case.pk}/")
    assert f"{MARKER}-description".encode() in case_page.content
    assert f"{MARKER}-foto.jpg".encode() in case_page.content and b"brief.pdf" in case_page.content
    photo_row, pdf_row, noise_row = case.attachments.order_by("id")
    download = staff.get(f"/staff/cases/{case.pk}/files/{photo_row.uuid.hex}/")
    assert download.status_code == 200, download
    picture_bytes = b"".join(download.streaming_content)
    assert MARKER.encode() not in picture_bytes
    with Image.open(io.BytesIO(picture_bytes)) as picture:
        assert picture.format == "JPEG" and picture.size == (640, 480) and not picture.getexif()
    shown = staff.get(f"/staff/cases/{case.pk}/files/{photo_row.uuid.hex}/view/")
    assert shown.status_code == 200 and MARKER.encode() not in shown.content
    # the PDF is cleaned at this first opening
    pdf_bytes = b"".join(staff.get(f"/staff/cases/{case.pk}/files/{pdf_row.uuid.hex}/").streaming_content)
    assert pdf_bytes.startswith(b"%PDF-") and MARKER.encode() not in pdf_bytes
    assert AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_CLEANED, case_id=case.pk).count() == 1
    noise_bytes = b"".join(staff.get(f"/staff/cases/{case.pk}/files/{noise_row.uuid.hex}/").streaming_content)
    with Image.open(io.BytesIO(noise_bytes)) as picture:
        assert picture.format == "PNG" and picture.convert("RGB").tobytes() == Image.open(noise).convert("RGB").tobytes()


def test_a_file_over_the_limit_is_refused_in_the_browser_and_nothing_is_sent(
    live_server: Any, page: Any, fallback: Any, tmp_path: Path, settings: Any
) -> None:
    settings.REPORT_MAX_FILE_BYTES = 2000
    photo = tmp_path / "gross.jpg"
    photo.write_bytes(jpeg_with_exif(MARKER, width=400, height=300) + bytes(3000))
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    page.goto(live_server.url + "/de/report/")
    _fill(page)
    page.set_input_files("#id_files", str(photo))
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator(".file-list__blocked")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value(f"Im Bus wurde ich beleidigt. {MARKER}-description")
    assert sent == [] and Case.objects.count() == 0


def test_a_browser_that_cannot_re_encode_photos_takes_the_server_path(
    live_server: Any, page: Any, fallback: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    page.add_init_script(
        "Object.defineProperty(window, 'createImageBitmap', {value: undefined, configurable: true});"
    )
    page.goto(live_server.url + "/de/report/")
    _fill(page)
    page.set_input_files("#id_files", str(photo))
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    case = Case.objects.get()
    assert case.seal_binding is None and case.attachments.count() == 1
    assert page.locator("#id_description").count() == 0  # the receipt page: nothing was lost on the way


def test_an_answer_the_server_must_explain_takes_the_form_post(live_server: Any, page: Any, fallback: Any) -> None:
    """Without consent the browser does not seal: the ordinary post shows the server's message,
    and the answers are still there."""
    page.goto(live_server.url + "/de/report/")
    page.fill("#id_description", "Etwas ist passiert.")
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#id_consent")).to_be_visible()
    assert page.locator("#id_description").input_value() == "Etwas ist passiert."
    assert Case.objects.count() == 0
