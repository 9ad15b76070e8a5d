"""The counsellor's day (issue 19): take, reply templates, inline files, timeline in words,
one date format, staff navigation only, and API twins of the new actions."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from PIL import Image

from counselling import previews
from counselling.models import Membership, ReplyTemplate
from counselling.replies import reply_template_save
from counselling.selectors import EVENT_LABELS, event_label
from reporting.audit import AuditAction
from reporting.models import AuditEntry, Case
from reporting.services import FileInput, ServiceError, case_take
from tests.helpers import files_in, jpeg_with_exif, logged_in, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

EXIF_MARKER = "ExifCanary-Cam-77"


@pytest.fixture
def home(make_org: Any) -> Any:
    return make_org("home", is_fallback=True, languages=["de", "ar"])


@pytest.fixture
def owner(home: Any, make_member: Any) -> Any:
    return make_member(home, username="owner")


def _tree(root: Path | str) -> set[tuple[str, int]]:
    return {(str(p), p.stat().st_size) for p in files_in(root)}


# ------------------------------------------------------------------------------ take


def test_take_assigns_to_me_and_sets_in_progress(home: Any, owner: Any, make_member: Any, submit: Any) -> None:
    case = submit().case
    assert case.status == "new"
    client = logged_in(owner)
    assert client.post(f"/staff/cases/{case.pk}/take/").status_code == 302
    case.refresh_from_db()
    assert (case.assignee_id, case.status) == (owner.membership.user.pk, "in_progress")
    actions = list(AuditEntry.objects.filter(case_id=case.pk).values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.CASE_TAKEN, AuditAction.CASE_STATUS_CHANGED]
    colleague = make_member(home, username="colleague").membership.user
    with pytest.raises(ServiceError):
        case_take(actor=colleague, case=case)


def test_take_leaves_a_closed_case_closed(owner: Any, submit: Any) -> None:
    from reporting.services import case_set_status

    case = submit().case
    case_set_status(actor=None, case=case, status="closed")
    taken = case_take(actor=owner.membership.user, case=case)
    assert (taken.assignee_id, taken.status) == (owner.membership.user.pk, "closed")


# ------------------------------------------------------------------------------ inline files


def test_inline_photo_is_sandboxed_without_exif_and_never_on_disk(
    owner: Any, submit: Any, tmp_path: Path, monkeypatch: Any,
) -> None:
    # This process's temporary files land in a directory of this test's own.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    photo = jpeg_with_exif(EXIF_MARKER)
    assert EXIF_MARKER.encode() in photo
    case = submit(files=(FileInput("tatort.jpg", photo, "image/jpeg"),)).case
    attachment = case.attachments.get()
    client = logged_in(owner)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    url = f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/view/"
    assert f'src="{url}"' in page  # shown on the page, in a <details> the counsellor opens

    temp_before, media_before = _tree(tempfile.gettempdir()), _tree(settings.MEDIA_ROOT)
    response = client.get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp
    assert response["Content-Disposition"] == "inline"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    body = response.content
    assert EXIF_MARKER.encode() not in body and b"Exif" not in body
    picture = Image.open(BytesIO(body))
    assert picture.size == (64, 48) and not picture.getexif()
    # Nothing was written: not to the temporary directory, not to the media storage.
    assert _tree(tempfile.gettempdir()) == temp_before
    assert _tree(settings.MEDIA_ROOT) == media_before
    assert AuditEntry.objects.filter(case_id=case.pk, action=AuditAction.ATTACHMENT_VIEWED).count() == 1


def test_inline_view_opens_no_temporary_file(owner: Any, submit: Any, monkeypatch: Any) -> None:
    case = submit(files=(FileInput("brief.pdf", pdf_bytes(2), "application/pdf"),
                         FileInput("foto.jpg", jpeg_with_exif(EXIF_MARKER), "image/jpeg"))).case
    client = logged_in(owner)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a temporary file was opened")

    for name in ("mkstemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    for attachment in case.attachments.all():
        assert client.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/view/").status_code == 200


def test_inline_pdf_shows_its_first_three_pages(owner: Any, submit: Any) -> None:
    case = submit(files=(FileInput("brief.pdf", pdf_bytes(5), "application/pdf"),)).case
    attachment = case.attachments.get()
    response = logged_in(owner).get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/view/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"].startswith("sandbox")
    picture = Image.open(BytesIO(response.content))
    # Pages of 200 × 300 points at scale 3, three of them one below the other, 16 px apart.
    assert picture.size == (600, 3 * 900 + 2 * 16)


def test_inline_view_of_a_damaged_file_or_a_stranger_is_a_plain_404(
    home: Any, owner: Any, make_org: Any, make_member: Any, submit: Any,
) -> None:
    case = submit(files=(FileInput("kaputt.png", b"\x89PNG\r\n\x1a\nnot really", "image/png"),)).case
    url = f"/staff/cases/{case.pk}/files/{case.attachments.get().uuid.hex}/view/"
    response = logged_in(owner).get(url)
    assert response.status_code == 404 and b"staff-nav" in response.content
    stranger = make_member(make_org("other", statewide=False), username="stranger")
    response = logged_in(stranger).get(url)
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_VIEWED).exists()


def test_previews_refuse_what_is_not_a_picture() -> None:
    with pytest.raises(previews.NoPreview):
        previews.preview(b"%PDF-1.7 nonsense", "application/pdf")
    with pytest.raises(previews.NoPreview):
        previews.preview(png_bytes(), "text/html")


# ------------------------------------------------------------------------------ reply templates


def test_partner_admin_keeps_templates_and_bad_input_changes_nothing(home: Any, make_member: Any) -> None:
    admin = logged_in(make_member(home, username="admin", role=Membership.Role.PARTNER_ADMIN))
    response = admin.post("/staff/admin/replies/", {"kind": "first_answer", "language": "ar",
                                                     "body": "شكرا لبلاغك {reference}"})
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    assert (template.kind, template.language) == ("first_answer", "ar")
    # The same kind and language again replaces the text.
    admin.post("/staff/admin/replies/", {"kind": "first_answer", "language": "ar", "body": "نص جديد"})
    assert list(ReplyTemplate.objects.values_list("body", flat=True)) == ["نص جديد"]
    for bad in ({"kind": "poem", "language": "de", "body": "x"}, {"kind": "closing", "language": "xx", "body": "x"},
                {"kind": "closing", "language": "de", "body": ""}, {"kind": "closing", "language": "de",
                                                                    "body": "x" * 5001}):
        response = admin.post("/staff/admin/replies/", bad)
        assert response.status_code == 400
        assert b"kern-error" in response.content
    assert ReplyTemplate.objects.count() == 1
    assert admin.post(f"/staff/admin/replies/{template.pk}/delete/").status_code == 302
    assert not ReplyTemplate.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.REPLY_TEMPLATE_SAVED, AuditAction.REPLY_TEMPLATE_DELETED} <= actions


def test_counsellors_do_not_edit_templates(home: Any, owner: Any) -> None:
    template = reply_template_save(actor=None, organisation=home.organisation, kind="closing", language="de",
                                   body="Wir schließen.")
    client = logged_in(owner)
    assert client.get("/staff/admin/replies/").status_code == 404
    assert client.post(f"/staff/admin/replies/{template.pk}/delete/").status_code == 404
    assert ReplyTemplate.objects.filter(pk=template.pk).exists()


def test_case_page_offers_templates_in_the_reporters_language(home: Any, owner: Any, submit: Any) -> None:
    for language, text in (("de", "Danke für Ihre Meldung {reference}."), ("ar", "شكرا لبلاغك {reference}")):
        reply_template_save(actor=None, organisation=home.organisation, kind="first_answer", language=language,
                            body=text)
    reply_template_save(actor=None, organisation=home.organisation, kind="referral", language="de",
                        body="Wir verweisen Sie weiter.")
    case = submit(language="ar").case
    client = logged_in(owner)
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="reply-language"' in html and "Arabic" in html
    box = re.search(r'<textarea[^>]*id="message_body"[^>]*>(.*?)</textarea>', html, re.S)
    assert box is not None and box.group(1).strip() == f"شكرا لبلاغك {case.reference}"
    # A kind the organisation wrote only in German is offered, marked as not in the reporter's language.
    assert "not in the reporter&#x27;s language" in html or "not in the reporter's language" in html
    html = client.get(f"/staff/cases/{case.pk}/?template=referral").content.decode()
    box = re.search(r'<textarea[^>]*id="message_body"[^>]*>(.*?)</textarea>', html, re.S)
    assert box is not None and box.group(1).strip() == "Wir verweisen Sie weiter."
    # Edited before sending: what is sent is the counsellor's text.
    assert client.post(f"/staff/cases/{case.pk}/messages/", {"body": "Geänderter Text"}).status_code == 302
    api = client.get(f"/api/v1/cases/{case.pk}/reply-templates/").json()
    assert api["reporter_language"] == "ar"
    assert [(t["kind"], t["language"], t["in_reporter_language"]) for t in api["templates"]] == [
        ("first_answer", "ar", True), ("referral", "de", False)]


def test_answered_case_starts_with_an_empty_reply(home: Any, owner: Any, submit: Any) -> None:
    reply_template_save(actor=None, organisation=home.organisation, kind="first_answer", language="de",
                        body="Danke.")
    case = submit().case
    client = logged_in(owner)
    client.post(f"/staff/cases/{case.pk}/messages/", {"body": "Erste Antwort"})
    html = client.get(f"/staff/cases/{case.pk}/").content.decode()
    box = re.search(r'<textarea[^>]*id="message_body"[^>]*>(.*?)</textarea>', html, re.S)
    assert box is not None and box.group(1).strip() == ""


# ------------------------------------------------------------------------------ timeline, dates, chrome


def test_every_audit_action_has_words() -> None:
    assert set(EVENT_LABELS) == set(AuditAction)
    for action in AuditAction:
        assert event_label(action.value) != action.value
    with translation.override("en"):
        assert event_label("something.unknown") == "Other change"


def test_timeline_is_in_words_in_the_staff_language(owner: Any, submit: Any) -> None:
    from stats.services import classification_save

    case = submit(occurred_on=date(2025, 3, 14)).case
    client = logged_in(owner)
    client.post(f"/staff/cases/{case.pk}/take/")
    classification_save(actor=owner.membership.user, case=case, data={
        "incident_type": "assault", "motives": ["racism"], "area_of_life": "public_space", "district": "03241",
        "year": 2025, "month": 3, "channel": "online_form", "people_affected": 1,
    })
    german = logged_in(owner)
    german.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    html = german.get(f"/staff/cases/{case.pk}/").content.decode()
    timeline = html[html.index('id="timeline"'):]
    timeline = timeline[:timeline.index("</ol>")]
    assert "Meldung eingegangen" in timeline and "Übernommen" in timeline
    assert re.search(r"Status: Neu → In Bearbeitung", timeline)
    assert not re.search(r"(counselling|reporting|stats)\.[a-z_]+\.[a-z_]+", timeline), timeline
    english = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Classified for the statistics" in english and "counselling.case.classified" not in english


def test_staff_pages_write_dates_one_way(owner: Any, submit: Any) -> None:
    case = submit(occurred_on=date(2025, 3, 14)).case
    html = logged_in(owner).get(f"/staff/cases/{case.pk}/").content.decode()
    text = re.sub(r'datetime="[^"]*"', "", html)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)  # no ISO dates beside local ones
    assert "03/14/2025" in text  # English SHORT_DATE_FORMAT, as the day received is written


def test_staff_pages_have_staff_navigation_only(owner: Any, submit: Any) -> None:
    case = submit().case
    client = logged_in(owner)
    for url in ("/staff/", f"/staff/cases/{case.pk}/", "/staff/password/", "/staff/nope/"):
        html = client.get(url).content.decode()
        assert "staff-nav" in html, url
        assert "site-footer" not in html and "/help/" not in html, url
    assert "site-footer" not in logged_in(owner).get("/staff/login/").content.decode()


# ------------------------------------------------------------------------------ API twins


def test_assign_and_files_through_the_api(home: Any, owner: Any, make_member: Any, submit: Any) -> None:
    colleague = make_member(home, username="colleague")
    case = submit(files=(FileInput("foto.jpg", jpeg_with_exif(EXIF_MARKER), "image/jpeg"),)).case
    client = logged_in(owner)
    csrf = client.get("/staff/").cookies  # the session's CSRF cookie is set by the pages
    token = client.cookies.get(settings.CSRF_COOKIE_NAME)
    headers = {"HTTP_X_CSRFTOKEN": token.value if token else ""}
    assert csrf is not None
    response = client.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": "colleague"},
                           content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["assignee"] == "colleague"
    response = client.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": "nobody-here"},
                           content_type="application/json", **headers)
    assert response.status_code == 400 and "assignee" in response.json()["error"]["fields"]
    Case.objects.get(pk=case.pk).assignee_id == colleague.membership.user.pk  # noqa: B015

    uuid = case.attachments.get().uuid.hex
    preview = client.get(f"/api/v1/cases/{case.pk}/files/{uuid}/preview/")
    assert preview.status_code == 200 and preview["Content-Security-Policy"].startswith("sandbox")
    assert EXIF_MARKER.encode() not in preview.content
    download = client.get(f"/api/v1/cases/{case.pk}/files/{uuid}/")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == jpeg_with_exif(EXIF_MARKER)

    added = client.post(f"/api/v1/cases/{case.pk}/files/", {"files": _upload("scan.png", png_bytes(8, 8))},
                        **headers)
    assert added.status_code == 201, added.content
    assert case.attachments.count() == 2
    refused = client.post(f"/api/v1/cases/{case.pk}/files/", {"files": _upload("x.png", b"not a picture")},
                          **headers)
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "unsupported_media_type"
    assert case.attachments.count() == 2


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
