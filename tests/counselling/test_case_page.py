"""The case page: decrypted report, files, timeline, and every action; access is 404 otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from reporting.models import AuditEntry, Case, CaseGrant, Note
from reporting.services import (
    FileInput,
    ReportInput,
    message_post,
    message_text,
    messages_mark_read,
    report_submit,
    reporter_open,
)
from tests.helpers import case_world, login
from tests.helpers import logged_in as _client

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    return case_world(make_org, make_member, submit, description="Marker-Description 4711",
                      files=(FileInput("beweis.png", PNG, "image/png"),))


def test_owner_reads_report_files_and_labels(world: dict[str, Any]) -> None:
    client = _client(world["owner"])
    case = world["case"]
    page = client.get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200
    assert b"Marker-Description 4711" in page.content
    assert b"Racism" in page.content  # motive label from the taxonomy
    assert b"beweis.png" in page.content
    assert page["Cache-Control"].count("no-store")
    assert AuditEntry.objects.filter(action="counselling.case.viewed", case_id=case.pk).exists()


def test_attachment_download_is_decrypted_and_safe(world: dict[str, Any]) -> None:
    client = _client(world["colleague"])
    case = world["case"]
    attachment = case.attachments.get()
    response = client.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment;")
    assert "beweis.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.filter(action="counselling.attachment.downloaded", case_id=case.pk).exists()


@pytest.mark.parametrize("who", ["outsider", "coordinator", "superuser"])
def test_others_get_404_for_case_and_files(world: dict[str, Any], who: str) -> None:
    client = _client(world[who])
    case = world["case"]
    attachment = case.attachments.get()
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 404
    assert client.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/").status_code == 404
    for action in ("take", "status", "messages", "notes", "duplicate", "transfer", "delete", "assign"):
        assert client.post(f"/staff/cases/{case.pk}/{action}/", {"status": "closed", "body": "x"}).status_code == 404
    assert client.get(f"/staff/cases/{case.pk + 999}/").status_code == 404


def test_anonymous_is_sent_to_login(world: dict[str, Any]) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/staff/cases/{world['case'].pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_the_whole_conversation_with_unread_markers(world: dict[str, Any]) -> None:
    case = world["case"]
    access = reporter_open(receipt=world["receipt"])
    assert access is not None
    message_post(case=access.case, case_key=access.case_key, body="Reporter asks 1", actor=None)
    counsellor = _client(world["owner"])
    inbox = counsellor.get("/staff/")
    assert f'data-case="{case.pk}"'.encode() in inbox.content and b"data-unread" in inbox.content
    page = counsellor.get(f"/staff/cases/{case.pk}/")
    assert b"Reporter asks 1" in page.content
    case.refresh_from_db()
    assert case.staff_unread is False
    assert b"data-unread" not in counsellor.get("/staff/").content
    response = counsellor.post(f"/staff/cases/{case.pk}/messages/", {"body": "Counsellor answers 2"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.reporter_unread is True and case.first_reply_at is not None
    assert b"has not read your last message yet" in counsellor.get(f"/staff/cases/{case.pk}/").content
    # The reporter reads the reply with the receipt code.
    access = reporter_open(receipt=world["receipt"])
    assert access is not None
    replies = [message_text(message=m, case_key=access.case_key) for m in access.case.messages.filter(direction="staff")]
    assert replies == ["Counsellor answers 2"]
    messages_mark_read(case=access.case, by_reporter=True)
    case.refresh_from_db()
    assert case.reporter_unread is False
    assert b"has read all messages" in counsellor.get(f"/staff/cases/{case.pk}/").content


def test_note_is_internal_and_on_the_timeline(world: dict[str, Any]) -> None:
    case = world["case"]
    client = _client(world["owner"])
    client.post(f"/staff/cases/{case.pk}/notes/", {"body": "Internal-Note-Marker"})
    note = Note.objects.get(case=case)
    assert b"Internal-Note-Marker" not in bytes(note.body_ciphertext)
    page = client.get(f"/staff/cases/{case.pk}/")
    assert b"Internal-Note-Marker" in page.content
    # The reporter's key does not open internal notes.
    access = reporter_open(receipt=world["receipt"])
    from reporting import crypto
    from reporting.services import note_text

    assert access is not None
    with pytest.raises(crypto.CryptoError):
        note_text(note=note, internal_key=access.case_key)


def test_take_assign_and_status_are_recorded(world: dict[str, Any]) -> None:
    case = world["case"]
    owner, colleague = _client(world["owner"]), _client(world["colleague"])
    assert owner.post(f"/staff/cases/{case.pk}/take/").status_code == 302
    case.refresh_from_db()
    assert case.assignee == world["owner"].membership.user
    colleague.post(f"/staff/cases/{case.pk}/take/")
    case.refresh_from_db()
    assert case.assignee == world["owner"].membership.user  # already taken
    owner.post(f"/staff/cases/{case.pk}/assign/", {"assignee": world["colleague"].membership.user.pk})
    case.refresh_from_db()
    assert case.assignee == world["colleague"].membership.user
    # An outsider cannot be the assignee.
    owner.post(f"/staff/cases/{case.pk}/assign/", {"assignee": world["outsider"].membership.user.pk})
    case.refresh_from_db()
    assert case.assignee == world["colleague"].membership.user
    for status in ("in_progress", "closed"):
        owner.post(f"/staff/cases/{case.pk}/status/", {"status": status})
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    changes = AuditEntry.objects.filter(action="counselling.case.status_changed", case_id=case.pk)
    assert [e.data["to"] for e in changes] == ["in_progress", "closed"]
    page = owner.get(f"/staff/cases/{case.pk}/")
    assert "In progress → Closed".encode() in page.content


def test_mark_duplicate_of_same_organisation_only(world: dict[str, Any], submit: Any, make_org: Any) -> None:
    case = world["case"]
    original = submit(description="first").case
    client = _client(world["owner"])
    client.post(f"/staff/cases/{case.pk}/duplicate/", {"original": original.reference})
    case.refresh_from_db()
    assert case.duplicate_of_id == original.pk
    assert AuditEntry.objects.filter(action="counselling.case.marked_duplicate", case_id=case.pk).exists()
    foreign = report_submit(report=ReportInput(description="elsewhere"), organisation=world["other"].organisation).case
    client.post(f"/staff/cases/{original.pk}/duplicate/", {"original": foreign.reference})
    original.refresh_from_db()
    assert original.duplicate_of_id is None


def test_transfer_without_copy_moves_access(world: dict[str, Any]) -> None:
    case = world["case"]
    owner = _client(world["owner"])
    response = owner.post(f"/staff/cases/{case.pk}/transfer/", {"organisation": world["other"].organisation.pk})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert owner.get(f"/staff/cases/{case.pk}/").status_code == 404
    attachment = case.attachments.get()
    assert owner.get(f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/").status_code == 404
    outsider = _client(world["outsider"])
    page = outsider.get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200 and b"Marker-Description 4711" in page.content
    assert b"Transferred from Home to Other" in page.content


def test_transfer_keeping_a_copy(world: dict[str, Any]) -> None:
    case = world["case"]
    owner = _client(world["owner"])
    owner.post(f"/staff/cases/{case.pk}/transfer/", {"organisation": world["other"].organisation.pk, "keep_copy": "on"})
    assert CaseGrant.objects.filter(case=case).count() == 2
    page = owner.get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200 and b"kept a copy" in page.content


def test_delete_needs_confirmation_and_shreds(world: dict[str, Any]) -> None:
    case = world["case"]
    client = _client(world["owner"])
    assert client.get(f"/staff/cases/{case.pk}/delete/").status_code == 200
    client.post(f"/staff/cases/{case.pk}/delete/", {"reason": "spam"})
    assert Case.objects.filter(pk=case.pk).exists()
    response = client.post(f"/staff/cases/{case.pk}/delete/", {"reason": "spam", "confirm": "on"})
    assert response.status_code == 302
    assert not Case.objects.filter(pk=case.pk).exists()
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 404


def test_classify_link_only_when_the_page_exists(world: dict[str, Any]) -> None:
    from django.urls import NoReverseMatch, reverse

    client = _client(world["owner"])
    page = client.get(f"/staff/cases/{world['case'].pk}/")
    try:
        url = reverse("counselling:classify", args=[world["case"].pk])
    except NoReverseMatch:
        assert b"classify-link" not in page.content
    else:
        assert url.encode() in page.content


def test_actions_need_csrf_token(world: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    assert login(client, world["owner"]).status_code == 403  # the login form itself is CSRF protected
