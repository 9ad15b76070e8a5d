"""The report form over HTTP (SPEC §4.1, §4.3): success, every refusal, file metadata."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from reporting.models import Case
from reporting.services import (
    attachment_meta,
    attachment_open,
    case_keys_for_organisation,
    report_decrypt,
    reporter_open,
)
from tests.helpers import REPORT_FORM_URL as URL
from tests.helpers import make_jpeg, make_pdf, nothing_stored, receipt_of

pytestmark = pytest.mark.django_db

def test_form_page_has_every_field_and_the_guards(client: Any, fallback_org: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("incident_type", "description", "date_known", "occurred_on", "occurred_month_month",
                 "occurred_month_year", "district", "area_of_life", "place_details", "motives", "role",
                 "people_affected", "wants_counselling", "contact", "contact_email", "contact_phone",
                 "notify_email", "partner", "consent", "keep_metadata", "files", "form_ts", "challenge",
                 "nonce", "homepage"):
        assert f'name="{name}"' in html, name
    assert 'tabindex="-1" autocomplete="off"' in html  # the honeypot
    assert "<legend" in html and 'aria-describedby="hint-description"' in html
    assert "Choose for me" in html and "Landesstelle" in html
    assert response["Cache-Control"] == "no-store"
    # Under "no-referrer" browsers post with `Origin: null`, which the CSRF check refuses.
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in html


def test_report_through_the_form_shows_receipt_and_stores_encrypted(
    client: Any, fallback_org: Any, form_data: Any
) -> None:
    response = client.post("/de/report/", form_data(place_details="Bahnhof", notify_email="a@example.org"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    code = receipt_of(response)
    case = Case.objects.get()
    assert case.language == "de"
    assert case.district == "03241"
    assert case.motives == ["racism", "xenophobia"]
    assert case.organisation == fallback_org.organisation
    access = reporter_open(receipt=code)
    assert access is not None
    content = report_decrypt(case=case, case_key=access.case_key)
    assert content["description"] == "Someone shouted at us at the bus stop."
    assert content["occurred_month"] == "2025-03"
    assert content["place_details"] == "Bahnhof"
    assert "I have saved my code" in response.content.decode() or "saved-confirm" in response.content.decode()


def test_reporter_may_choose_an_organisation(client: Any, fallback_org: Any, make_org: Any, form_data: Any) -> None:
    chosen = make_org("beratung-hannover", statewide=False, districts=["03241"])
    client.post(URL, form_data(partner="beratung-hannover"))
    assert Case.objects.get().organisation == chosen.organisation


def test_day_known_is_kept_and_month_ignored(client: Any, fallback_org: Any, form_data: Any) -> None:
    response = client.post(URL, form_data(date_known="day", occurred_on="2025-02-01"))
    access = reporter_open(receipt=receipt_of(response))
    content = report_decrypt(case=access.case, case_key=access.case_key)
    assert content["occurred_on"] == "2025-02-01" and content["occurred_month"] == ""


@pytest.mark.parametrize(("overrides", "message"), [
    ({"description": "  "}, "Please tell us in your own words what happened."),
    ({"description": "x" * 20_001}, "Please shorten your description"),
    ({"consent": None}, "Please confirm that you agree"),
    ({"date_known": "day", "occurred_on": "31.02.2025"}, "Please enter the day as a date"),
    ({"date_known": "day", "occurred_on": ""}, "Please enter the day, or choose"),
    ({"date_known": "month", "occurred_month_year": ""}, "Please choose both the month and the year."),
    ({"district": "99999"}, "Please choose a district from the list"),
    ({"motives": ["racism", "nonsense"]}, "Please choose from the list."),
    ({"contact": "email"}, "Please enter your e-mail address, or choose the anonymous mailbox."),
    ({"notify_email": "not-an-address"}, "Please enter an e-mail address like name@example.org."),
])
def test_wrong_answers_are_shown_at_the_top_and_at_the_field_and_nothing_is_stored(
    client: Any, fallback_org: Any, form_data: Any, overrides: dict[str, Any], message: str
) -> None:
    response = client.post(URL, form_data(place_details="kept text 4711", **overrides))
    html = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert response.status_code == 400
    assert 'class="error-summary"' in html
    assert html.count(message) >= 2  # in the summary and next to the field
    assert 'class="kern-error"' in html
    assert 'value="kept text 4711"' in html  # what they typed is kept
    assert nothing_stored()


def test_future_date_is_refused(client: Any, fallback_org: Any, form_data: Any) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(URL, form_data(date_known="day", occurred_on=tomorrow))
    assert response.status_code == 400
    assert "This day is in the future" in response.content.decode()
    assert nothing_stored()


def test_future_month_is_refused(client: Any, fallback_org: Any, form_data: Any) -> None:
    next_year = str(timezone.localdate().year + 1)
    response = client.post(URL, form_data(occurred_month_year=next_year))
    assert response.status_code == 400
    assert nothing_stored()


def test_errors_are_shown_in_the_reporters_language_with_rtl(client: Any, fallback_org: Any, form_data: Any) -> None:
    response = client.post("/ar/report/", form_data(description=""))
    assert response.status_code == 400
    assert 'dir="rtl"' in response.content.decode()
    assert nothing_stored()


def test_too_many_files_are_refused_with_413(client: Any, fallback_org: Any, form_data: Any, settings: Any) -> None:
    settings.REPORT_MAX_FILES = 2
    files = [SimpleUploadedFile(f"p{i}.jpg", make_jpeg(), "image/jpeg") for i in range(3)]
    response = client.post(URL, form_data(files=files))
    assert response.status_code == 413
    html = response.content.decode()
    assert "Please choose at most 2 files." in html
    assert "Please choose these files again before sending:" in html  # which ones, by name
    assert nothing_stored()


def test_too_large_file_is_refused_with_413(client: Any, fallback_org: Any, form_data: Any, settings: Any) -> None:
    settings.REPORT_MAX_FILE_BYTES = 1000
    big = SimpleUploadedFile("big.jpg", make_jpeg(size=(400, 400)), "image/jpeg")
    response = client.post(URL, form_data(files=[big]))
    assert response.status_code == 413
    assert "A file is larger than" in response.content.decode()
    assert nothing_stored()


def test_other_file_types_are_refused_with_415(client: Any, fallback_org: Any, form_data: Any) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", "image/jpeg")
    response = client.post(URL, form_data(files=[fake]))
    assert response.status_code == 415
    assert "This file type is not accepted" in response.content.decode()
    assert nothing_stored()


def test_several_files_larger_in_total_than_one_upload_limit_all_arrive(
    client: Any, fallback_org: Any, form_data: Any, settings: Any
) -> None:
    # Django's memory handler drops every file once the request exceeds its limit; ours must not.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    files = [SimpleUploadedFile(f"p{i}.jpg", make_jpeg(size=(64, 64)), "image/jpeg") for i in range(3)]
    response = client.post(URL, form_data(files=files))
    assert response.status_code == 200
    assert Case.objects.get().attachments.count() == 3


# --------------------------------------------------------------------------------------------
# Metadata (SPEC §4.3)


def _decrypted_files(org: Any) -> list[tuple[dict[str, Any], bytes]]:
    case = Case.objects.get()
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=org.private_key)
    return [
        (attachment_meta(attachment=a, case_key=keys.case_key),
         b"".join(attachment_open(attachment=a, case_key=keys.case_key)))
        for a in case.attachments.all()
    ]


def _has_gps(jpeg: bytes) -> bool:
    with Image.open(io.BytesIO(jpeg)) as image:
        return bool(image.getexif().get_ifd(0x8825))


def _pdf_author(pdf: bytes) -> str | None:
    meta = PdfReader(io.BytesIO(pdf)).metadata
    return meta.get("/Author") if meta else None


def test_uploaded_photo_and_pdf_lose_their_metadata(client: Any, fallback_org: Any, form_data: Any) -> None:
    assert _has_gps(make_jpeg(gps=True)) and _pdf_author(make_pdf(author="Erika Muster")) == "Erika Muster"
    files = [SimpleUploadedFile("../IMG 1.jpeg", make_jpeg(gps=True), "image/jpeg"),
             SimpleUploadedFile("brief.pdf", make_pdf(author="Erika Muster"), "application/pdf")]
    assert client.post(URL, form_data(files=files)).status_code == 200
    (jpeg_meta, jpeg), (pdf_meta, pdf) = _decrypted_files(fallback_org)
    assert jpeg_meta["name"] == "IMG 1.jpg" and jpeg_meta["content_type"] == "image/jpeg"
    assert not _has_gps(jpeg) and b"MARKERARTIST" not in jpeg
    assert _pdf_author(pdf) is None and b"Erika Muster" not in pdf


def test_keep_original_metadata_keeps_it(client: Any, fallback_org: Any, form_data: Any) -> None:
    files = [SimpleUploadedFile("a.jpg", make_jpeg(gps=True), "image/jpeg"),
             SimpleUploadedFile("b.pdf", make_pdf(author="Erika Muster"), "application/pdf")]
    assert client.post(URL, form_data(files=files, keep_metadata="on")).status_code == 200
    (_, jpeg), (_, pdf) = _decrypted_files(fallback_org)
    assert _has_gps(jpeg)
    assert _pdf_author(pdf) == "Erika Muster"
