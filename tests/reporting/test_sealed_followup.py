"""The follow-up in the reporter's browser (SPEC §3.10, issue 17): the receipt code stays in the
browser. It sends the code's look-up token; the server answers with ciphertext that opens with
the code, and stores replies the browser encrypted under the case key without reading them.

`browser_followup_open` and `browser_reply` (tests/helpers.py) are the Python reference of
static_src/followup.js: they do with reporting.crypto exactly what the browser does.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from PIL import Image

from reporting import crypto
from reporting.audit import AuditAction
from reporting.models import Attachment, AuditEntry, Case, Message
from reporting.services import (
    FileInput,
    case_keys_for_organisation,
    message_post,
    message_text,
)
from reporting.services.consent import outcome_question_ask, summary_draft
from tests.helpers import (
    FOLLOWUP_SEALED,
    FOLLOWUP_SEALED_MESSAGES,
    MARKER_SEALED,
    SEALED,
    assert_error,
    bind,
    browser_followup_files,
    browser_followup_open,
    browser_lookup_token,
    browser_reply,
    browser_seal,
    files_in,
    jpeg_with_exif,
    logged_in,
    make_jpeg,
    make_pdf,
    post_followup_files,
    post_json,
    solve,
)

pytestmark = pytest.mark.django_db

GENERIC = "This code does not open a report. Please check it and try again."
WRONG_CODE = "AAAA-BBBB-CCCC-DDDD"
REPLY_MARKER = "MARKER-c41e-reply-from-the-browser"
STAFF_MARKER = "MARKER-93d0-counsellor-wrote"


def _server_case(submit: Any) -> tuple[Case, str]:
    """A case encrypted on the server (the form without JavaScript), with a file."""
    photo = FileInput(name="evidence.jpg", content=make_jpeg(), content_type="image/jpeg")
    submitted = submit(files=(photo,), description=f"Beleidigt im Bus. {MARKER_SEALED}")
    return submitted.case, submitted.receipt_code


def _browser_case(client: Any) -> tuple[Case, str]:
    """A case sealed in the browser (no file: files take the server path)."""
    sealed, code = browser_seal(bind(client).json())
    assert post_json(client, SEALED, sealed).status_code == 201
    return Case.objects.get(seal_binding__isnull=False), code


def _case(kind: str, client: Any, submit: Any) -> tuple[Case, str]:
    return _server_case(submit) if kind == "server" else _browser_case(client)


def _staff_reply(org: Any, make_member: Any, case: Case, body: str) -> Any:
    staff = make_member(org).membership.user
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=org.private_key)
    message_post(case=case, case_key=keys.case_key, body=body, actor=staff)
    return keys.case_key


@pytest.mark.parametrize("kind", ["server", "browser"])
def test_the_right_token_returns_ciphertexts_that_open_with_the_code(
    client: Any, fallback_org: Any, make_member: Any, submit: Any, kind: str
) -> None:
    case, code = _case(kind, client, submit)
    _staff_reply(fallback_org, make_member, case, f"Wir haben gelesen. {STAFF_MARKER}")
    response = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    # ciphertext only: nothing of what was written is in the answer
    assert MARKER_SEALED.encode() not in response.content and STAFF_MARKER.encode() not in response.content
    answer = response.json()
    assert answer["reference"] == case.reference and answer["status"] == "new"
    assert answer["status_label"] == "New" and answer["messages"][0]["unread"] is True
    opened = browser_followup_open(answer, code)
    assert MARKER_SEALED in opened["description"]
    assert opened["messages"] == [("staff", f"Wir haben gelesen. {STAFF_MARKER}")]
    assert opened["attachments"] == (["evidence.jpg"] if kind == "server" else [])
    # the reporter read the reply, as on the page
    case.refresh_from_db()
    assert case.reporter_unread is False
    assert post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)}).json()["messages"][0][
        "unread"] is False


def test_the_token_of_a_typed_code_is_that_of_its_normal_form(client: Any, fallback_org: Any, submit: Any) -> None:
    case, code = _server_case(submit)
    typed = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    response = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(typed)})
    assert response.status_code == 200 and response.json()["reference"] == case.reference


def test_a_wrong_token_is_refused_like_a_wrong_code_and_counts_toward_the_limit(
    client: Any, fallback_org: Any, submit: Any
) -> None:
    case, code = _server_case(submit)
    wrong_token = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(WRONG_CODE)})
    wrong_code = post_json(client, "/api/v1/followup/", {"receipt": WRONG_CODE})
    assert wrong_token.status_code == wrong_code.status_code == 404
    assert wrong_token.json() == wrong_code.json()
    assert wrong_token.json()["error"]["message"] == GENERIC
    # the same count as wrong codes on the pages and the API: five in all, then proof of work
    assert client.post("/en/followup/", {"receipt": WRONG_CODE}).status_code == 400
    assert post_json(client, FOLLOWUP_SEALED_MESSAGES, {
        **browser_reply(crypto.new_key(), "S-x", "hello", WRONG_CODE)}).status_code == 404
    assert post_json(client, FOLLOWUP_SEALED, {"lookup_token": base64.b64encode(b"\x00" * 32).decode()}).status_code == 404
    blocked = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
    body = assert_error(blocked, 429, "pow_required")
    assert MARKER_SEALED not in str(body)
    assert Message.objects.count() == 0
    # with the puzzle solved, the right token opens the case
    offer = client.get("/api/v1/followup/challenge/").json()
    assert offer["difficulty"] == settings.FOLLOWUP_POW_DIFFICULTY
    opened = post_json(client, FOLLOWUP_SEALED, {
        "lookup_token": browser_lookup_token(code), "challenge": offer["challenge"],
        "nonce": solve(offer["challenge"], offer["difficulty"]),
    })
    assert opened.status_code == 200 and opened.json()["reference"] == case.reference


@pytest.mark.parametrize("token", ["", "not base64!", base64.b64encode(b"short").decode(), 17, None])
def test_a_token_of_the_wrong_shape_is_refused_without_a_500(
    client: Any, fallback_org: Any, token: Any
) -> None:
    response = post_json(client, FOLLOWUP_SEALED, {"lookup_token": token})
    assert response.status_code in (400, 404)
    assert "error" in response.json()


@pytest.mark.parametrize("kind", ["server", "browser"])
def test_a_reply_encrypted_in_the_browser_is_stored_and_the_counsellor_reads_it(
    client: Any, fallback_org: Any, make_member: Any, submit: Any, kind: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    case, code = _case(kind, client, submit)
    case_key = _staff_reply(fallback_org, make_member, case, "Wie können wir helfen?")
    opened = browser_followup_open(post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
                                   .json(), code)
    assert opened["case_key"] == case_key
    mail.outbox.clear()
    payload = browser_reply(opened["case_key"], opened["binding"], f"Danke. {REPLY_MARKER}", code)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(client, FOLLOWUP_SEALED_MESSAGES, payload)
    assert response.status_code == 201, response.content
    assert REPLY_MARKER.encode() not in response.content
    message = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert message.seal_id == payload["seal_id"] and message.author is None
    assert message.created_at.minute == 0 and message.created_at.second == 0  # to the hour, like any reply
    assert REPLY_MARKER.encode() not in bytes(message.body_ciphertext)
    # the counsellor reads it with the case key, like a reply the server encrypted
    assert message_text(message=message, case_key=case_key) == f"Danke. {REPLY_MARKER}"
    case.refresh_from_db()
    assert case.staff_unread is True
    entry = AuditEntry.objects.filter(action=AuditAction.MESSAGE_FROM_REPORTER).get()
    assert entry.case_id == case.pk and entry.data == {"message": message.pk}
    assert len(mail.outbox) == 1 and REPLY_MARKER not in mail.outbox[0].body
    # the reporter sees it in the thread, in the browser and on the page without JavaScript
    again = browser_followup_open(post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
                                  .json(), code)
    assert again["messages"][-1] == ("reporter", f"Danke. {REPLY_MARKER}")
    assert REPLY_MARKER in client.post("/en/followup/", {"receipt": code}).content.decode()


def _valid_reply(client: Any, submit: Any) -> tuple[dict[str, Any], str]:
    case, code = _server_case(submit)
    opened = browser_followup_open(post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
                                   .json(), code)
    return browser_reply(opened["case_key"], opened["binding"], "Hallo", code), code


def _unpadded(payload: dict[str, Any]) -> dict[str, Any]:
    raw = base64.b64decode(payload["body"])
    return {**payload, "body": base64.b64encode(raw[:-1]).decode()}


@pytest.mark.parametrize(("change", "status"), [
    (lambda p: {**p, "seal_id": "ABC"}, 400),
    (lambda p: {**p, "seal_id": "g" * 32}, 400),
    (lambda p: {**p, "seal_id": 12}, 400),
    (lambda p: {**p, "body": "not base64!"}, 400),
    (lambda p: {**p, "body": base64.b64encode(b"\x01" + b"\x00" * 40).decode()}, 400),
    (lambda p: {**p, "body": "\x02" + p["body"][1:]}, 400),
    (_unpadded, 400),
    (lambda p: {k: v for k, v in p.items() if k != "body"}, 400),
    (lambda p: [p], 400),
])
def test_a_malformed_reply_is_refused_and_nothing_is_stored(
    client: Any, fallback_org: Any, submit: Any, change: Any, status: int
) -> None:
    payload, _code = _valid_reply(client, submit)
    audit_before = AuditEntry.objects.count()
    response = post_json(client, FOLLOWUP_SEALED_MESSAGES, change(payload))
    assert_error(response, status)
    assert Message.objects.count() == 0 and AuditEntry.objects.count() == audit_before
    assert Case.objects.get().staff_unread is True  # unchanged since the submission


def test_a_reply_sent_twice_is_stored_once(client: Any, fallback_org: Any, submit: Any) -> None:
    payload, _code = _valid_reply(client, submit)
    assert post_json(client, FOLLOWUP_SEALED_MESSAGES, payload).status_code == 201
    assert_error(post_json(client, FOLLOWUP_SEALED_MESSAGES, payload), 409, "reply_used")
    assert Message.objects.count() == 1


def test_a_reply_moved_to_another_case_does_not_open_there(
    client: Any, fallback_org: Any, submit: Any
) -> None:
    """Stored (the server cannot tell), but bound to the case it was written for: nobody reads
    it as a message of another case."""
    payload, _code = _valid_reply(client, submit)
    other, other_code = _server_case(submit)
    keys = case_keys_for_organisation(case=other, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    moved = {**payload, "lookup_token": browser_lookup_token(other_code)}
    assert post_json(client, FOLLOWUP_SEALED_MESSAGES, moved).status_code == 201
    text = message_text(message=other.messages.get(), case_key=keys.case_key)
    assert text == "This message cannot be read: it was not encrypted for this report."


def test_a_case_stored_before_is_found_by_its_token_once_its_code_opened_it(
    client: Any, fallback_org: Any, submit: Any
) -> None:
    case, code = _server_case(submit)
    normalised = crypto.normalise_receipt(code)
    assert normalised is not None
    # as cases were stored before the follow-up could open in the browser
    Case.objects.filter(pk=case.pk).update(receipt_lookup=crypto.receipt_lookup(settings.RECEIPT_PEPPER, normalised))
    assert post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)}).status_code == 404
    assert client.post("/en/followup/", {"receipt": code}).status_code == 200
    assert post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)}).status_code == 200


def test_the_entry_page_offers_the_browser_path_only_with_the_built_module(
    client: Any, settings: Any, tmp_path: Any
) -> None:
    settings.FOLLOWUP_BUNDLE = tmp_path / "followup.js"
    without = client.get("/en/followup/").content.decode()
    assert "bundle/followup.js" not in without and 'id="sealed-followup"' not in without
    settings.FOLLOWUP_BUNDLE.write_text("")
    page = client.get("/en/followup/").content.decode()
    assert "bundle/followup.js" in page and 'id="sealed-followup"' in page
    assert 'data-followup-open="/api/v1/followup/sealed/"' in page
    assert "<script>" not in page  # strict CSP: no inline script


def test_a_reply_that_does_not_open_reads_as_unreadable_never_as_an_error(
    client: Any, fallback_org: Any, make_member: Any, submit: Any
) -> None:
    """The server cannot check what a browser encrypted: a reply under another key is stored,
    and the pages say it cannot be read instead of failing."""
    case, code = _server_case(submit)
    member = make_member(fallback_org, username="counsellor")
    junk = browser_reply(crypto.new_key(), case.reference, "not for this case", code)
    assert post_json(client, FOLLOWUP_SEALED_MESSAGES, junk).status_code == 201
    unreadable = "This message cannot be read: it was not encrypted for this report."
    page = client.post("/en/followup/", {"receipt": code})
    assert page.status_code == 200 and unreadable in page.content.decode()
    staff_page = logged_in(member).get(f"/staff/cases/{case.pk}/")
    assert staff_page.status_code == 200 and unreadable in staff_page.content.decode()


def test_the_answer_says_what_waits_for_the_reporter_on_the_servers_page(
    client: Any, fallback_org: Any, make_member: Any, submit: Any
) -> None:
    case, code = _server_case(submit)
    first = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)}).json()
    assert first["summaries_waiting"] == 0 and first["outcome_question"] is False
    staff = make_member(fallback_org).membership.user
    Case.objects.filter(pk=case.pk).update(consent_publication=True)
    case.refresh_from_db()
    keys = case_keys_for_organisation(case=case, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    summary_draft(case=case, case_key=keys.case_key, text=f"Ein Vorfall im Bus. {STAFF_MARKER}", actor=staff)
    outcome_question_ask(case=case, actor=staff)
    response = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
    assert STAFF_MARKER.encode() not in response.content
    assert response.json()["summaries_waiting"] == 1 and response.json()["outcome_question"] is True


# --------------------------------------------------------------------------------------------
# Files added in the follow-up, encrypted in the browser


FILE_MARKER = "MARKER-7b2f-followup-photo"


def _opened(client: Any, code: str) -> dict[str, Any]:
    response = post_json(client, FOLLOWUP_SEALED, {"lookup_token": browser_lookup_token(code)})
    assert response.status_code == 200, response.content
    return browser_followup_open(response.json(), code)


def _blob_names() -> set[str]:
    return {path.name for path in files_in(settings.MEDIA_ROOT)}


@pytest.mark.parametrize("kind", ["server", "browser"])
def test_a_file_added_in_the_browser_is_stored_as_ciphertext_and_the_counsellor_downloads_it_cleaned(
    client: Any, fallback_org: Any, make_member: Any, submit: Any, kind: str
) -> None:
    case, code = _case(kind, client, submit)
    before = Attachment.objects.filter(case=case).count()
    view = _opened(client, code)
    photo = jpeg_with_exif(FILE_MARKER)
    payload = browser_followup_files(view["case_key"], view["binding"], code,
                                     [(f"{FILE_MARKER}.jpg", photo, False), ("Brief.pdf", make_pdf(author=FILE_MARKER), False)])
    response = post_followup_files(client, payload)
    assert response.status_code == 201, response.content
    assert response.json() == {"added": 2}
    added = list(Attachment.objects.filter(case=case).order_by("pk"))[before:]
    assert [a.uuid.hex for a in added] == [item["id"] for item in payload["sealed"]["attachments"]]
    assert all(a.from_reporter for a in added)
    # ciphertext at rest: neither the name nor the photo's EXIF nor the PDF's author
    stored = b"".join(path.read_bytes() for path in files_in(settings.MEDIA_ROOT))
    assert FILE_MARKER.encode() not in stored
    assert all(FILE_MARKER.encode() not in bytes(a.meta_ciphertext) for a in added)
    # as any file the reporter adds: audited, and the case is unread for the staff
    audited = AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_ADDED, case_id=case.pk, actor_id=None)
    assert {entry.data["attachment"] for entry in audited} >= {a.uuid.hex for a in added}
    case.refresh_from_db()
    assert case.staff_unread is True and case.last_reporter_activity_at is not None
    # the reporter sees the names in the follow-up
    assert f"{FILE_MARKER}.jpg" in _opened(client, code)["attachments"]

    staff = logged_in(make_member(fallback_org, username="berater"))
    page = staff.get(f"/staff/cases/{case.pk}/")
    assert FILE_MARKER.encode() in page.content  # the file's name
    photo_download = staff.get(f"/staff/cases/{case.pk}/files/{added[0].uuid.hex}/")
    assert photo_download.status_code == 200
    content = b"".join(photo_download.streaming_content)
    assert FILE_MARKER.encode() not in content
    with Image.open(io.BytesIO(content)) as picture:
        assert picture.format == "JPEG" and not picture.getexif()
    # the PDF the browser could not clean is cleaned at the first opening
    document = b"".join(staff.get(f"/staff/cases/{case.pk}/files/{added[1].uuid.hex}/").streaming_content)
    assert document.startswith(b"%PDF-") and FILE_MARKER.encode() not in document
    cleaned = AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_CLEANED)
    assert [entry.data["attachment"] for entry in cleaned] == [added[1].uuid.hex]


@pytest.mark.parametrize("spoil,status,code", [
    ("bad_magic", 400, "malformed"),
    ("meta_not_padded", 400, "malformed"),
    ("meta_missing", 400, "malformed"),
    ("bad_id", 400, "malformed"),
    ("same_id_twice", 400, "malformed"),
    ("no_file", 400, "malformed"),
    ("oversized", 413, "file_too_large"),
    ("too_many", 413, "too_many_files"),
    ("wrong_token", 404, "not_found"),
    ("used_id", 409, "attachment_id_used"),
])
def test_a_spoilt_file_added_in_the_browser_is_refused_and_nothing_is_stored(
    client: Any, fallback_org: Any, submit: Any, settings: Any, spoil: str, status: int, code: str
) -> None:
    case, receipt = _server_case(submit)
    settings.REPORT_MAX_FILE_BYTES = 200 * 1024
    settings.REPORT_MAX_FILES = 2
    rows, blobs = set(Attachment.objects.values_list("uuid", flat=True)), _blob_names()
    added_before = AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_ADDED).count()
    view = _opened(client, receipt)
    files = [("a.jpg", make_jpeg(), False), ("b.pdf", make_pdf(), False)]
    if spoil == "too_many":
        files.append(("c.pdf", make_pdf(), False))
    if spoil == "oversized":
        files[1] = ("b.pdf", b"%PDF-" + bytes(settings.REPORT_MAX_FILE_BYTES), False)
    payload = browser_followup_files(view["case_key"], view["binding"], receipt, files)
    items, streams = payload["sealed"]["attachments"], payload["streams"]
    if spoil == "bad_magic":
        streams[1] = b"XXXX" + streams[1][4:]
    elif spoil == "meta_not_padded":
        items[1]["meta"] = base64.b64encode(crypto.encrypt(
            view["case_key"], b'{"name": "b.pdf"}', case_id=view["binding"], purpose=f"attachment-meta:{items[1]['id']}",
        )).decode()
    elif spoil == "meta_missing":
        del items[1]
    elif spoil == "bad_id":
        items[1]["id"] = "../../" + items[1]["id"][6:]
    elif spoil == "same_id_twice":
        items[1]["id"] = items[0]["id"]
    elif spoil == "no_file":
        payload["streams"] = []
        items.clear()
    elif spoil == "wrong_token":
        payload["sealed"]["lookup_token"] = browser_lookup_token(WRONG_CODE)
    elif spoil == "used_id":
        items[1]["id"] = Attachment.objects.get(case=case).uuid.hex
    response = post_followup_files(client, payload)
    assert_error(response, status, code)
    assert set(Attachment.objects.values_list("uuid", flat=True)) == rows
    assert _blob_names() == blobs
    assert AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_ADDED).count() == added_before


def test_a_wrong_token_for_files_counts_toward_the_limit_like_a_wrong_code(
    client: Any, fallback_org: Any, submit: Any
) -> None:
    case, code = _server_case(submit)
    view = _opened(client, code)
    for _ in range(5):
        payload = browser_followup_files(view["case_key"], view["binding"], WRONG_CODE, [("a.jpg", make_jpeg(), False)])
        assert_error(post_followup_files(client, payload), 404, "not_found")
    payload = browser_followup_files(view["case_key"], view["binding"], code, [("a.jpg", make_jpeg(), False)])
    assert_error(post_followup_files(client, payload), 429, "pow_required")
    assert Attachment.objects.filter(case=case).count() == 1
    assert len(files_in(settings.MEDIA_ROOT)) == 1


def test_files_added_in_the_browser_must_be_multipart(client: Any, fallback_org: Any) -> None:
    response = post_json(client, "/api/v1/followup/sealed/files/", {"lookup_token": browser_lookup_token(WRONG_CODE)})
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("spoil", ["meta", "stream", "stream_not_cleaned"])
def test_a_file_not_encrypted_for_the_case_is_listed_as_unreadable_and_never_an_error_page(
    client: Any, fallback_org: Any, make_member: Any, submit: Any, spoil: str
) -> None:
    """A browser that lies (a script, not followup.js) can send ciphertext of the right shape under
    another key: the counsellor's page lists it, opening it is refused calmly, nothing changes."""
    case, code = _server_case(submit)
    view = _opened(client, code)
    other = crypto.new_key()
    meta_key, stream_key = (other, view["case_key"]) if spoil == "meta" else (view["case_key"], other)
    photo = make_pdf() if spoil == "stream_not_cleaned" else make_jpeg()
    payload = browser_followup_files(meta_key, view["binding"], code, [("x.pdf", photo, False)])
    wrong = browser_followup_files(stream_key, view["binding"], code, [("x.pdf", photo, False)])
    payload["streams"] = wrong["streams"] if spoil != "meta" else payload["streams"]
    if spoil != "meta":
        # the stream under another key, bound to the id the metadata names
        attachment_id = payload["sealed"]["attachments"][0]["id"]
        stream = io.BytesIO()
        crypto.encrypt_stream(other, [photo], stream, case_id=view["binding"], attachment_id=attachment_id)
        payload["streams"] = [stream.getvalue()]
    assert post_followup_files(client, payload).status_code == 201
    attachment = Attachment.objects.get(uuid=payload["sealed"]["attachments"][0]["id"])
    blobs = _blob_names()
    staff = logged_in(make_member(fallback_org, username="berater"))
    page = staff.get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200
    if spoil == "meta":
        assert "cannot be opened" in page.content.decode()
    for url in (f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/",
                f"/api/v1/cases/{case.pk}/files/{attachment.uuid.hex}/"):
        response = staff.get(url)
        assert response.status_code == 422, (url, response.status_code)
    assert _blob_names() == blobs
    assert not AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_CLEANED).exists()
    # the reporter's page (without JavaScript) still opens
    assert client.post("/en/followup/", {"receipt": code}).status_code == 200
