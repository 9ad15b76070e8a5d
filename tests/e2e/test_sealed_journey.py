"""Encryption in the reporter's browser (SPEC §3.10, issue 17) in real Chromium: the report is
sealed by bundle/seal.js, no request the browser sends carries what the person wrote, and a
counsellor reads it; with a file chosen the form takes the server path (files stay there in
this slice)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from counselling.services import member_unlock
from reporting.models import Case
from reporting.services import case_keys_for_organisation, organisation_create, report_decrypt
from tests.helpers import PASSWORD, logged_in

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


def test_with_a_file_the_form_takes_the_server_path(
    live_server: Any, page: Any, fallback: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    page.goto(live_server.url + "/de/report/")
    _fill(page)
    page.set_input_files("#id_files", str(photo))
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    case = Case.objects.get()
    assert case.seal_binding is None and case.attachments.count() == 1


def test_an_answer_the_server_must_explain_takes_the_form_post(live_server: Any, page: Any, fallback: Any) -> None:
    """Without consent the browser does not seal: the ordinary post shows the server's message,
    and the answers are still there."""
    page.goto(live_server.url + "/de/report/")
    page.fill("#id_description", "Etwas ist passiert.")
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#id_consent")).to_be_visible()
    assert page.locator("#id_description").input_value() == "Etwas ist passiert."
    assert Case.objects.count() == 0
