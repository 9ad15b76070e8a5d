"""Counsellors add a file to a case: checked like a reporter's upload, stored encrypted, audited."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from reporting.models import Attachment, AuditEntry
from reporting.selectors import reporter_case_view
from reporting.services import reporter_open
from tests.canary import scan_database, scan_media
from tests.helpers import case_world
from tests.helpers import logged_in as _client

pytestmark = pytest.mark.django_db

MARKER = "Staff-Scan-Marker-7c31"


def _jpeg(comment: str = MARKER) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(buffer, "JPEG", comment=comment.encode())
    return buffer.getvalue()


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    return case_world(make_org, make_member, submit, description="Case-Files-Description")


def _upload(client: Client, case: Any, data: bytes, name: str = f"{MARKER}.jpg", **extra: str) -> Any:
    return client.post(f"/staff/cases/{case.pk}/files/",
                       {"files": SimpleUploadedFile(name, data, content_type="image/jpeg"), **extra})


def _download(client: Client, case: Any, attachment: Attachment) -> Any:
    return client.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/")


def test_case_page_offers_the_form(world: dict[str, Any]) -> None:
    page = _client(world["owner"]).get(f"/staff/cases/{world['case'].pk}/")
    assert b'id="file-form"' in page.content
    assert b'enctype="multipart/form-data"' in page.content
    assert f'action="/staff/cases/{world["case"].pk}/files/"'.encode() in page.content


def test_owner_adds_jpeg_kept_original_is_encrypted_and_colleague_downloads(world: dict[str, Any]) -> None:
    case = world["case"]
    original = _jpeg()
    response = _upload(_client(world["owner"]), case, original, keep_metadata="on")
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{case.pk}/"
    attachment = case.attachments.get()
    assert attachment.from_reporter is False
    # The kept original holds the marker in its comment: only encryption keeps it out of media.
    assert scan_media([MARKER]) == []
    assert scan_database([MARKER]) == []
    entry = AuditEntry.objects.get(action="reporting.attachment.added", case_id=case.pk)
    assert entry.actor_id == world["owner"].membership.user.pk
    colleague = _client(world["colleague"])
    download = _download(colleague, case, attachment)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == original
    assert download["Content-Type"] == "image/jpeg"
    page = colleague.get(f"/staff/cases/{case.pk}/")
    assert MARKER.encode() in page.content and b"added by staff" in page.content


def test_metadata_is_removed_by_default(world: dict[str, Any]) -> None:
    case = world["case"]
    client = _client(world["owner"])
    assert _upload(client, case, _jpeg()).status_code == 302
    attachment = case.attachments.get()
    content = b"".join(_download(client, case, attachment).streaming_content)
    assert content.startswith(b"\xff\xd8") and MARKER.encode() not in content
    assert scan_media([MARKER]) == []


def test_reporter_does_not_see_files_the_counsellors_added(world: dict[str, Any]) -> None:
    case = world["case"]
    assert _upload(_client(world["owner"]), case, _jpeg(), name="letter.jpg").status_code == 302
    access = reporter_open(receipt=world["receipt"])
    assert access is not None
    assert "letter.jpg" not in reporter_case_view(access).attachments


@pytest.mark.parametrize("who", ["outsider", "coordinator", "superuser"])
def test_others_get_404(world: dict[str, Any], who: str) -> None:
    case = world["case"]
    assert _upload(_client(world[who]), case, _jpeg()).status_code == 404
    assert not case.attachments.exists()


def test_not_unlocked_is_sent_to_unlock(world: dict[str, Any]) -> None:
    case = world["case"]
    client = _client(world["owner"])
    client.cookies.pop(settings.UNLOCK_COOKIE_NAME)
    response = _upload(client, case, _jpeg())
    assert response.status_code == 302
    # Back to the case page after unlocking: the upload's own URL only takes POST.
    assert response["Location"] == f"/staff/unlock/?next=%2Fstaff%2Fcases%2F{case.pk}%2F"
    assert not case.attachments.exists()


def test_get_is_not_allowed(world: dict[str, Any]) -> None:
    assert _client(world["owner"]).get(f"/staff/cases/{world['case'].pk}/files/").status_code == 405


def test_wrong_type_is_415_and_nothing_stored(world: dict[str, Any]) -> None:
    case = world["case"]
    response = _upload(_client(world["owner"]), case, b"MZ\x90\x00 not an image at all", name="tool.jpg")
    assert response.status_code == 415
    assert b"tool.jpg" in response.content and b'id="file-form"' in response.content
    assert b"Case-Files-Description" in response.content  # the case page again
    assert not case.attachments.exists()
    assert not AuditEntry.objects.filter(action="reporting.attachment.added").exists()
    assert scan_media(["not an image"]) == []


def test_too_large_is_413_and_nothing_stored(world: dict[str, Any], settings: Any) -> None:
    case = world["case"]
    data = _jpeg()
    settings.REPORT_MAX_FILE_BYTES = len(data) - 1
    response = _upload(_client(world["owner"]), case, data)
    assert response.status_code == 413
    assert b'id="file-form"' in response.content
    assert not case.attachments.exists()


def test_no_file_is_400(world: dict[str, Any]) -> None:
    case = world["case"]
    response = _client(world["owner"]).post(f"/staff/cases/{case.pk}/files/", {})
    assert response.status_code == 400
    assert b"Please choose a file first." in response.content
    assert not case.attachments.exists()
