"""The copy holder (SPEC §1; review F-01): an organisation that transferred a case and kept a copy.

It reads the case and the messages that come later, and is offered no action. Every action,
on the pages and in the API, answers it 404 and changes nothing; the same request from the
responsible organisation works, so each refusal is the access policy and not a bad request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from reporting.models import Case
from reporting.services import FileInput, case_mark_duplicate, message_post, reporter_open
from tests.helpers import PASSWORD, case_state, logged_in, totp_code

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
REPORT = "Copy-Holder-Report 1f3a at the tram stop"
LATER = "Copy-Holder-Later-Message 77b2"


@dataclass
class World:
    case: Case
    original: Case  # another case of the responsible organisation (for "duplicate of")
    owner: Any
    holder: Any
    holder_org: Any


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> World:
    owner_org = make_org("owner-org", is_fallback=True)
    holder_org = make_org("holder-org")
    owner = make_member(owner_org, username="owner")
    holder = make_member(holder_org, username="holder")
    original = submit(description="An earlier report", motives=["racism"]).case
    assert original.organisation_id == owner_org.organisation.pk
    submitted = submit(description=REPORT, motives=["racism"], partner="holder-org",
                       files=(FileInput("beweis.png", PNG, "image/png"),))
    assert submitted.case.organisation_id == holder_org.organisation.pk
    # The holder organisation transfers the case on its page and keeps a copy.
    response = logged_in(holder).post(f"/staff/cases/{submitted.case.pk}/transfer/",
                                      {"organisation": owner_org.organisation.pk, "keep_copy": "on"})
    assert response.status_code == 302, response.content[:300]
    # The reporter writes again after the transfer: the copy holder reads that too.
    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None
    message_post(case=access.case, case_key=access.case_key, body=LATER, actor=None)
    case = Case.objects.get(pk=submitted.case.pk)
    assert case.organisation_id == owner_org.organisation.pk
    return World(case=case, original=original, owner=owner, holder=holder, holder_org=holder_org)


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (16, 12), (30, 30, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _api_client(member: Any) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    user = member.membership.user
    response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                   "otp": totp_code(user)}, content_type="application/json")
    assert response.status_code == 200, response.content
    client.csrf = response.json()["csrf_token"]  # type: ignore[attr-defined]
    return client


def _mark_duplicate(world: World) -> None:
    case_mark_duplicate(actor=world.owner.membership.user, case=world.case, original=world.original)


def _classification(world: World) -> dict[str, Any]:
    return {"incident_type": "offensive_behaviour", "motives": ["racism"], "area_of_life": "transport",
            "district": "03241", "year": world.case.received_on.year, "month": world.case.received_on.month,
            "channel": world.case.channel}


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: str  # after /staff/cases/<id>/ or /api/v1/cases/<id>/
    data: Callable[[World], dict[str, Any]]
    prepare: Callable[[World], None] | None = None


PAGE_ACTIONS = [
    Action("take", "POST", "take/", lambda w: {}),
    Action("assign", "POST", "assign/", lambda w: {"assignee": w.owner.membership.user.pk}),
    Action("status", "POST", "status/", lambda w: {"status": "closed"}),
    Action("message", "POST", "messages/", lambda w: {"body": "A reply in the name of the new owner"}),
    Action("note", "POST", "notes/", lambda w: {"body": "A note slipped into the new owner's case"}),
    Action("file", "POST", "files/",
           lambda w: {"files": SimpleUploadedFile("scan.png", _png(), content_type="image/png")}),
    Action("duplicate", "POST", "duplicate/", lambda w: {"original": w.original.reference}),
    Action("unmark duplicate", "POST", "duplicate/remove/", lambda w: {}, prepare=_mark_duplicate),
    Action("transfer", "POST", "transfer/",
           lambda w: {"organisation": w.holder_org.organisation.pk, "keep_copy": "on"}),
    Action("delete page", "GET", "delete/", lambda w: {}),
    Action("delete", "POST", "delete/", lambda w: {"reason": "spam", "confirm": "on"}),
    Action("classify page", "GET", "classify/", lambda w: {}),
    Action("classify", "POST", "classify/", _classification),
]

API_ACTIONS = [
    Action("status", "POST", "status/", lambda w: {"status": "closed"}),
    Action("take", "POST", "take/", lambda w: {}),
    Action("message", "POST", "messages/", lambda w: {"body": "A reply in the name of the new owner"}),
    Action("note", "POST", "notes/", lambda w: {"body": "A note slipped into the new owner's case"}),
    Action("transfer", "POST", "transfer/", lambda w: {"organisation": "holder-org", "keep_copy": True}),
    Action("duplicate", "POST", "duplicate/", lambda w: {"original": w.original.reference}),
    Action("unmark duplicate", "POST", "duplicate/", lambda w: {"original": None}, prepare=_mark_duplicate),
    Action("delete", "POST", "delete/", lambda w: {"reason": "spam", "confirm": True}),
    Action("classification", "POST", "classification/", _classification),
]


def _page_request(client: Client, world: World, action: Action) -> Any:
    url = f"/staff/cases/{world.case.pk}/{action.path}"
    if action.method == "GET":
        return client.get(url)
    return client.post(url, action.data(world))


def _api_request(client: Client, world: World, action: Action) -> Any:
    return client.post(f"/api/v1/cases/{world.case.pk}/{action.path}", action.data(world),
                       content_type="application/json", HTTP_X_CSRFTOKEN=getattr(client, "csrf", ""))


@pytest.mark.parametrize("action", PAGE_ACTIONS, ids=[a.name for a in PAGE_ACTIONS])
def test_copy_holder_gets_404_for_every_page_action_and_nothing_changes(world: World, action: Action) -> None:
    if action.prepare:
        action.prepare(world)
    before = case_state(world.case.pk)

    response = _page_request(logged_in(world.holder), world, action)

    assert response.status_code == 404
    assert case_state(world.case.pk) == before
    # The same request from the responsible organisation is a real action.
    response = _page_request(logged_in(world.owner), world, action)
    assert response.status_code in (200, 302), response.content[:300]
    if action.method == "POST":
        assert not response.get("Location", "").startswith("/staff/unlock/")
        assert case_state(world.case.pk) != before


@pytest.mark.parametrize("action", API_ACTIONS, ids=[a.name for a in API_ACTIONS])
def test_copy_holder_gets_404_for_every_api_action_and_nothing_changes(world: World, action: Action) -> None:
    if action.prepare:
        action.prepare(world)
    before = case_state(world.case.pk)

    response = _api_request(_api_client(world.holder), world, action)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert case_state(world.case.pk) == before
    response = _api_request(_api_client(world.owner), world, action)
    assert response.status_code in (200, 201, 204), response.content[:300]
    assert case_state(world.case.pk) != before


def test_copy_holder_reads_the_case_and_later_messages_without_action_controls(world: World) -> None:
    before = case_state(world.case.pk)
    client = logged_in(world.holder)

    page = client.get(f"/staff/cases/{world.case.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert REPORT in html and LATER in html
    assert "your organisation kept a copy" in html
    for control in ('id="message-form"', 'id="note-form"', 'id="file-form"', 'id="take-form"',
                    'id="assign-form"', 'id="status-form"', 'id="classify-link"', 'id="duplicate-form"',
                    'id="transfer-form"', f"/staff/cases/{world.case.pk}/delete/"):
        assert control not in html, control
    attachment = world.case.attachments.get()
    download = client.get(f"/staff/cases/{world.case.pk}/files/{attachment.uuid.hex}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    detail = _api_client(world.holder).get(f"/api/v1/cases/{world.case.pk}/")
    assert detail.status_code == 200
    assert detail.json()["report"] and LATER in [m["text"] for m in detail.json()["messages"]]
    # Reading changes nothing the responsible organisation relies on (its unread markers too).
    assert case_state(world.case.pk) == before


def test_responsible_organisation_sees_the_action_controls(world: World) -> None:
    html = logged_in(world.owner).get(f"/staff/cases/{world.case.pk}/").content.decode()
    for control in ('id="message-form"', 'id="note-form"', 'id="status-form"', 'id="transfer-form"',
                    f"/staff/cases/{world.case.pk}/delete/"):
        assert control in html, control
