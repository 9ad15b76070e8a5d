"""The reporter's pages as issue 14 left them: controls drawn as what they are, each field's
own hint, every refused file named in one answer, the follow-up page after sending opening
once, the neutral site per language and the device-safety note."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reporting.forms import ReportForm
from reporting.views import followup_resume_store
from tests.helpers import make_jpeg

pytestmark = pytest.mark.django_db
URL = "/en/report/"


def test_motives_are_checkboxes_and_single_choices_radios(fallback_org: Any) -> None:
    form = ReportForm()
    assert form.fields["motives"].widget.attrs["class"] == "kern-form-check__checkbox"
    assert form.fields["role"].widget.attrs["class"] == "kern-form-check__radio"
    html = str(form["motives"])
    assert 'type="checkbox"' in html and "kern-form-check__radio" not in html


def test_each_hint_belongs_to_its_field(client: Any, fallback_org: Any) -> None:
    html = client.get(URL).content.decode()
    assert "{#" not in html and "#}" not in html  # no template comment leaks onto the page
    hints = dict(re.findall(r'<div class="kern-hint" id="hint-([a-z_]+)">(.*?)</div>', html, re.S))
    assert "evidence" not in hints["wants_counselling"]
    assert "without giving any contact details" in hints["contact"]
    assert "without giving any contact details" not in hints["contact_email"]
    assert hints["contact_phone"].startswith("Only if you chose “By phone”.")
    assert hints["occurred_on"].startswith("Only if you chose “I know the day”.")
    assert len(set(hints.values())) == len(hints)  # no hint repeated under another field
    for name in hints:
        assert f'aria-describedby="hint-{name}' in html


def test_every_refused_file_is_named_in_one_answer(client: Any, fallback_org: Any, form_data: Any, settings: Any) -> None:
    settings.REPORT_MAX_FILE_BYTES = 20_000
    files = [
        SimpleUploadedFile("huge.jpg", make_jpeg() + b"\0" * 30_000, "image/jpeg"),
        SimpleUploadedFile("notes.docx", b"PK\x03\x04 a document", "application/octet-stream"),
        SimpleUploadedFile("fake.jpg", b"MZ\x90\x00 a program", "image/jpeg"),
        SimpleUploadedFile("photo.jpg", make_jpeg(), "image/jpeg"),
    ]
    response = client.post(URL, form_data(files=files))
    assert response.status_code == 413
    html = response.content.decode()
    summary = html[html.index('id="error-summary"'):html.index("</div>", html.index('id="error-summary"'))]
    for name in ("huge.jpg", "notes.docx", "fake.jpg"):
        assert name in summary
    again = re.search(r"data-files-again>(.*?)</ul>", html, re.S)
    assert again and "photo.jpg" in again.group(1) and "huge.jpg" not in again.group(1)


def test_a_file_that_only_decoding_refuses_is_named_with_the_others(
    client: Any, fallback_org: Any, form_data: Any
) -> None:
    broken = make_jpeg()[:200]  # starts like a JPEG, cannot be decoded
    files = [SimpleUploadedFile("broken.jpg", broken, "image/jpeg"),
             SimpleUploadedFile("also-broken.jpg", broken, "image/jpeg"),
             SimpleUploadedFile("photo.jpg", make_jpeg(), "image/jpeg")]
    response = client.post(URL, form_data(files=files))
    assert response.status_code == 415
    html = response.content.decode()
    assert "broken.jpg" in html and "also-broken.jpg" in html


def test_the_page_after_sending_opens_once(client: Any, fallback_org: Any, submit: Any) -> None:
    receipt = submit(description="MARKER-ONCE").receipt_code
    address = followup_resume_store(receipt, "reply")
    assert receipt not in address and receipt.replace("-", "") not in address
    first = client.get(address)
    assert first.status_code == 200 and "MARKER-ONCE" in first.content.decode()
    assert first["Cache-Control"] == "no-store"
    again = client.get(address)
    assert again.status_code == 200 and "MARKER-ONCE" not in again.content.decode()
    assert 'name="receipt"' in again.content.decode()  # asks for the code
    token = address.split("resume=", 1)[1].split(".", 1)[0]
    forged = client.get(f"/en/followup/?resume={token}.AAAA&done=reply")
    assert forged.status_code == 200 and "MARKER-ONCE" not in forged.content.decode()


@pytest.mark.parametrize(("language", "expected"), [("ar", "https://ar.wikipedia.org/"), ("de", "https://www.wetter.com/")])
def test_leave_quickly_goes_to_a_neutral_site_in_the_pages_language(client: Any, language: str, expected: str) -> None:
    html = client.get(f"/{language}/").content.decode()
    assert f'data-leave-url="{expected}"' in html


@pytest.mark.parametrize("page", ["", "report/", "followup/", "help/", "privacy/", "safety/"])
def test_every_reporter_page_links_the_device_safety_note(client: Any, fallback_org: Any, page: str) -> None:
    assert 'href="/en/safety/"' in client.get(f"/en/{page}").content.decode()


def test_start_page_and_privacy_notice_say_what_the_service_is_not(client: Any) -> None:
    for page in ("", "privacy/"):
        html = client.get(f"/en/{page}").content.decode()
        assert "not an authority" in html and "not the police" in html
