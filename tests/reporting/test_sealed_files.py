"""Files sealed in the reporter's browser (SPEC §3.10, issue 17): streamed as ciphertext into the
attachment store, checked by length and format only, nothing kept when anything is refused, and
cleaned at the first opening by a counsellor when the browser could not clean them (PDFs).

`browser_seal(..., files=...)` (tests/helpers.py) is the Python reference of static_src/seal.js
and formats.js's sealFile.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from PIL import Image
from pypdf import PdfReader

from reporting import crypto
from reporting.audit import AuditAction
from reporting.models import Attachment, AuditEntry, Case
from tests.helpers import (
    MARKER_SEALED as MARKER,
)
from tests.helpers import (
    SEALED,
    bind,
    browser_seal,
    files_in,
    jpeg_with_exif,
    logged_in,
    make_pdf,
    nothing_stored,
    post_sealed,
)

pytestmark = pytest.mark.django_db


def _blob_bytes() -> bytes:
    return b"".join(path.read_bytes() for path in files_in(settings.MEDIA_ROOT))


def test_sealed_files_are_stored_as_ciphertext_and_the_counsellor_reads_them(
    client: Any, make_org: Any, make_member: Any
) -> None:
    org = make_org("landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    offer = bind(client).json()
    assert len(offer["attachment_ids"]) == settings.REPORT_MAX_FILES
    photo = jpeg_with_exif(MARKER)
    payload, _code = browser_seal(offer, files=[(f"{MARKER}.jpg", photo, False)])
    response = post_sealed(client, payload)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    attachment = case.attachments.get()
    assert attachment.uuid.hex == offer["attachment_ids"][0] and attachment.from_reporter
    stored = _blob_bytes()
    assert stored.startswith(b"MSA1") and MARKER.encode() not in stored
    assert MARKER.encode() not in bytes(attachment.meta_ciphertext)
    entry = AuditEntry.objects.get(action=AuditAction.CASE_SUBMITTED, case_id=case.pk)
    assert entry.data["files"] == 1

    staff = logged_in(member)
    page = staff.get(f"/staff/cases/{case.pk}/")
    assert MARKER.encode() in page.content  # the file's name
    download = staff.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert MARKER.encode() not in content
    with Image.open(io.BytesIO(content)) as picture:
        assert picture.format == "JPEG" and not picture.getexif()
    # a photo cleaned in the browser is not cleaned again
    assert not AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_CLEANED).exists()


def test_a_sealed_pdf_is_cleaned_at_the_first_opening_and_stored_again(
    client: Any, make_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    org = make_org("landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    document = make_pdf(author=MARKER)
    payload, _code = browser_seal(bind(client).json(), files=[("Brief.pdf", document, False)])
    assert post_sealed(client, payload).status_code == 201
    attachment = Attachment.objects.get()
    first_blob = attachment.blob.name
    assert [path.name for path in files_in(settings.MEDIA_ROOT)] == [first_blob.rsplit("/", 1)[1]]

    staff = logged_in(member)
    url = f"/staff/cases/{attachment.case_id}/files/{attachment.uuid.hex}/"
    with django_capture_on_commit_callbacks(execute=True):  # the old blob goes after commit
        first = b"".join(staff.get(url).streaming_content)
    assert MARKER.encode() not in first and first.startswith(b"%PDF-")
    assert PdfReader(io.BytesIO(first)).metadata in (None, {})
    attachment.refresh_from_db()
    assert attachment.blob.name != first_blob
    assert [path.name for path in files_in(settings.MEDIA_ROOT)] == [attachment.blob.name.rsplit("/", 1)[1]]
    cleaned = AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_CLEANED)
    assert cleaned.count() == 1 and cleaned.get().data == {"attachment": attachment.uuid.hex, "outcome": "cleaned"}

    second = b"".join(staff.get(url).streaming_content)
    assert second == first
    assert cleaned.count() == 1
    history = staff.get(f"/staff/cases/{attachment.case_id}/")
    assert history.status_code == 200


def _with(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return dict(payload, **changes)


@pytest.mark.parametrize("spoil,status,code", [
    ("bad_magic", 400, "malformed"),
    ("impossible_length", 400, "malformed"),
    ("meta_not_padded", 400, "malformed"),
    ("meta_missing", 400, "malformed"),
    ("oversized", 413, "file_too_large"),
    ("too_many", 413, "too_many_files"),
    ("forged_binding", 409, "binding_invalid"),
    ("used_binding", 409, "binding_used"),
])
def test_a_sealed_submission_with_a_spoilt_file_is_refused_and_nothing_stored(
    client: Any, fallback_org: Any, settings: Any, spoil: str, status: int, code: str
) -> None:
    settings.REPORT_MAX_FILE_BYTES = 200 * 1024
    settings.REPORT_MAX_FILES = 2
    offer = bind(client).json()
    files = [("a.pdf", make_pdf(), False), ("b.pdf", make_pdf(), False)]
    payload, _code = browser_seal(offer, files=files)
    streams = payload["streams"]
    if spoil == "bad_magic":
        streams[1] = b"XXXX" + streams[1][4:]
    elif spoil == "impossible_length":
        streams[1] = streams[1][: crypto.STREAM_HEADER_BYTES + 5]
    elif spoil == "meta_not_padded":
        payload["attachments"][0] = base64.b64encode(b"\x01" + b"\x00" * 100).decode()
    elif spoil == "meta_missing":
        payload["attachments"] = payload["attachments"][:1]
    elif spoil == "oversized":
        streams[1] = streams[1][:4] + b"\x00" * (300 * 1024)
    elif spoil == "too_many":
        payload["attachments"].append(payload["attachments"][0])
        streams.append(streams[0])
    elif spoil == "forged_binding":
        payload["token"] = payload["token"][:-2] + "xx"
    elif spoil == "used_binding":
        cache.add("seal-binding-used:" + hashlib.sha256(offer["binding"].encode()).hexdigest(), 1)
    response = post_sealed(client, payload)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert nothing_stored() and Attachment.objects.count() == 0


def test_a_json_submission_that_names_files_is_refused(client: Any, fallback_org: Any) -> None:
    payload, _code = browser_seal(bind(client).json(), files=[("a.pdf", make_pdf(), False)])
    del payload["streams"]
    response = post_sealed(client, payload)
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed"
    assert nothing_stored()


def test_sealed_files_go_to_s3_a_refusal_leaves_no_object_and_cleaning_replaces_the_object(
    client: Any, make_org: Any, make_member: Any, s3_bucket: str, s3_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    org = make_org("landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    # refused (a used binding): the streams were in the bucket for the request only
    offer = bind(client).json()
    payload, _code = browser_seal(offer, files=[("a.pdf", make_pdf(author=MARKER), False)])
    cache.add("seal-binding-used:" + hashlib.sha256(offer["binding"].encode()).hexdigest(), 1)
    assert post_sealed(client, payload).status_code == 409
    assert s3_server.object_keys(s3_bucket) == [] and Case.objects.count() == 0

    payload, _code = browser_seal(bind(client).json(), files=[("a.pdf", make_pdf(author=MARKER), False)])
    assert post_sealed(client, payload).status_code == 201
    attachment = Attachment.objects.get()
    keys = s3_server.object_keys(s3_bucket)
    assert len(keys) == 1 and keys[0].endswith(attachment.blob.name)
    stored = s3_server.client().get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read()
    assert stored.startswith(b"MSA1") and MARKER.encode() not in stored

    url = f"/staff/cases/{attachment.case_id}/files/{attachment.uuid.hex}/"
    with django_capture_on_commit_callbacks(execute=True):
        cleaned = b"".join(logged_in(member).get(url).streaming_content)
    assert MARKER.encode() not in cleaned
    attachment.refresh_from_db()
    after = s3_server.object_keys(s3_bucket)  # the cleaned file's object, and only it
    assert len(after) == 1 and after[0].endswith(attachment.blob.name) and after[0] != keys[0]


def test_a_sealed_file_at_the_limit_is_taken_and_one_byte_more_is_refused(
    client: Any, fallback_org: Any, settings: Any
) -> None:
    settings.REPORT_MAX_FILE_BYTES = 3 * crypto.SEGMENT_BYTES + 5
    at_limit = b"%PDF-" + bytes(settings.REPORT_MAX_FILE_BYTES - 5)
    payload, _code = browser_seal(bind(client).json(), files=[("gross.pdf", at_limit + b"x", False)])
    assert post_sealed(client, payload).status_code == 413
    assert nothing_stored()
    payload, _code = browser_seal(bind(client).json(), files=[("gross.pdf", at_limit, False)])
    assert post_sealed(client, payload).status_code == 201
    assert Attachment.objects.count() == 1


def test_a_photo_whose_metadata_the_reporter_keeps_is_checked_at_the_first_opening_and_keeps_it(
    client: Any, make_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    org = make_org("landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    photo = jpeg_with_exif(MARKER)
    payload, _code = browser_seal(bind(client).json(), files=[("beweis.jpg", photo, True)])
    assert post_sealed(client, payload).status_code == 201
    attachment = Attachment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        download = logged_in(member).get(f"/staff/cases/{attachment.case_id}/files/{attachment.uuid.hex}/")
    assert b"".join(download.streaming_content) == photo
    assert download["Content-Type"] == "image/jpeg"
    assert AuditEntry.objects.get(action=AuditAction.ATTACHMENT_CLEANED).data["outcome"] == "cleaned"


def test_a_sealed_file_that_is_no_accepted_type_is_offered_only_as_an_opaque_download(
    client: Any, make_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A browser that lies (a script, not seal.js) can send anything as "not cleaned": the first
    opening cannot clean it, and it is never served as what it claims to be."""
    org = make_org("landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    payload, _code = browser_seal(bind(client).json(), files=[("seite.pdf", b"<html>hello</html>", True)])
    assert post_sealed(client, payload).status_code == 201
    attachment = Attachment.objects.get()
    staff = logged_in(member)
    with django_capture_on_commit_callbacks(execute=True):
        download = staff.get(f"/staff/cases/{attachment.case_id}/files/{attachment.uuid.hex}/")
    assert download["Content-Type"] == "application/octet-stream"
    assert "attachment.bin" in download["Content-Disposition"]
    assert AuditEntry.objects.get(action=AuditAction.ATTACHMENT_CLEANED).data["outcome"] == "refused"
    assert staff.get(f"/staff/cases/{attachment.case_id}/files/{attachment.uuid.hex}/view/").status_code == 404


def test_a_body_that_breaks_off_in_a_file_leaves_nothing(client: Any, fallback_org: Any) -> None:
    payload, _code = browser_seal(bind(client).json(), files=[("a.pdf", make_pdf(), False)])
    stream = payload.pop("streams")[0]
    boundary = "----meldestelle-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sealed"\r\n\r\n'.encode()
        + json.dumps(payload).encode()
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="sealed"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + stream[: len(stream) // 2]  # no closing boundary: the connection ended here
    )
    response = client.post(SEALED, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed", response.content
    assert nothing_stored()
