"""Reporter journeys in a real browser: in German with JavaScript, in Arabic without, with a
photo, then the follow-up page opened with the receipt read from the page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from reporting.models import Case
from reporting.services import organisation_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fallback(db: None) -> Any:
    return organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)


def test_report_in_german_with_javascript(live_server: Any, page: Any, fallback: Any) -> None:
    page.goto(live_server.url + "/de/report/")
    assert page.locator("html").get_attribute("lang") == "de"
    # enhance.js hides the day and month parts until the person says what they know
    expect(page.locator("#id_occurred_on")).to_be_hidden()
    page.locator("#id_date_known_0").check()
    expect(page.locator("#id_occurred_on")).to_be_visible()
    page.fill("#id_occurred_on", "2025-03-14")
    page.fill("#id_description", "Im Bus wurde ich beleidigt.")
    page.locator("#id_motives_0").check()
    page.fill("#district-filter", "Hannover")
    page.select_option("#id_district", "03241")
    page.locator("#id_consent").check()
    page.locator("#report-form button[type=submit]").click()
    code = page.locator("#receipt-code").inner_text().strip()
    assert len(code) == 19
    expect(page.locator("[data-copy-target]")).to_be_visible()  # receipt.js shows the copy button
    case = Case.objects.get()
    assert case.language == "de" and case.district == "03241"

    page.goto(live_server.url + "/de/followup/")
    page.fill("#id_receipt", code.lower())
    page.locator("form button[type=submit]").first.click()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "new"


def test_report_in_arabic_without_javascript_with_a_photo(
    live_server: Any, nojs_page: Any, fallback: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    page = nojs_page
    page.goto(live_server.url + "/ar/report/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # without JavaScript every part is there and usable
    expect(page.locator("#id_occurred_on")).to_be_visible()
    page.fill("#id_description", "شخص صرخ في وجهي في الحافلة")
    page.locator("#id_consent").check()
    page.set_input_files("#id_files", str(photo))
    page.locator("#report-form button[type=submit]").click()
    code = page.locator("#receipt-code").inner_text().strip()
    assert page.locator("html").get_attribute("dir") == "rtl"
    case = Case.objects.get()
    assert case.language == "ar" and case.attachments.count() == 1

    page.goto(live_server.url + "/ar/followup/")
    page.fill("#id_receipt", code)
    page.locator("form button[type=submit]").first.click()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "new"
    assert page.locator("html").get_attribute("dir") == "rtl"
