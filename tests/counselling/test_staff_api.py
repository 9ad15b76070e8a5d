"""Staff API: login with TOTP, cases list and detail, actions; 404 for anything not visible."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from counselling.access import SESSION_KEY
from counselling.models import Membership
from reporting.services import message_post, message_text, messages_mark_read, reporter_open
from tests.helpers import PASSWORD, logged_in, totp_code

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json",
                       HTTP_X_CSRFTOKEN=getattr(client, "csrf", ""))


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    submitted = submit(description="API-Marker 99")
    return {
        "home": home, "other": other, "case": submitted.case, "receipt": submitted.receipt_code,
        "owner": make_member(home), "colleague": make_member(home), "outsider": make_member(other),
        "coordinator": make_member(None, role=Membership.Role.COORDINATOR),
    }


def test_login_returns_session_and_unlock_cookie(world: dict[str, Any]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    user = world["owner"].membership.user
    response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                   "otp": totp_code(user)}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["key_access"] is True and body["organisation"] == "home"
    assert response.cookies[settings.UNLOCK_COOKIE_NAME]["samesite"] == "Strict"
    assert client.session[SESSION_KEY]


def test_login_errors_are_json(world: dict[str, Any]) -> None:
    user = world["owner"].membership.user
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/auth/login/", {"username": user.username, "password": "nope",
                                                     "otp": "1"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "login_failed"
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/auth/login/", {"username": 5}, content_type="application/json")
    assert response.status_code == 400 and "password" in response.json()["error"]["fields"]


def test_anonymous_gets_401(world: dict[str, Any]) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/cases/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/cases/{world['case'].pk}/").status_code == 401


def test_list_has_no_content_and_detail_decrypts(world: dict[str, Any]) -> None:
    client = logged_in(world["owner"], api=True)
    listing = client.get("/api/v1/cases/?tab=new")
    assert listing.status_code == 200
    body = listing.json()
    assert [c["reference"] for c in body["results"]] == [world["case"].reference]
    assert b"API-Marker" not in listing.content
    assert body["counts"]["new"] == 1
    detail = client.get(f"/api/v1/cases/{world['case'].pk}/").json()
    assert detail["report"]["description"] == "API-Marker 99"
    assert detail["messages"] == [] and detail["attachments"] == []


@pytest.mark.parametrize("who", ["owner", "colleague"])
def test_members_of_the_organisation_work_the_case(world: dict[str, Any], who: str) -> None:
    client = logged_in(world[who], api=True)
    case_id = world["case"].pk
    assert post(client, f"/api/v1/cases/{case_id}/take/").json()["assignee"] == world[who].membership.user.username
    assert post(client, f"/api/v1/cases/{case_id}/status/", {"status": "in_progress"}).json()["status"] == "in_progress"
    assert post(client, f"/api/v1/cases/{case_id}/status/", {"status": "bogus"}).status_code == 400
    assert post(client, f"/api/v1/cases/{case_id}/notes/", {"body": "note"}).status_code == 201
    assert post(client, f"/api/v1/cases/{case_id}/messages/", {"body": "hello"}).status_code == 201
    detail = client.get(f"/api/v1/cases/{case_id}/").json()
    assert [n["text"] for n in detail["notes"]] == ["note"]
    assert [m["text"] for m in detail["messages"]] == ["hello"]


def test_take_conflict_is_409(world: dict[str, Any]) -> None:
    case_id = world["case"].pk
    post(logged_in(world["owner"], api=True), f"/api/v1/cases/{case_id}/take/")
    response = post(logged_in(world["colleague"], api=True), f"/api/v1/cases/{case_id}/take/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_taken"


def test_posts_without_csrf_token_are_refused(world: dict[str, Any]) -> None:
    client = logged_in(world["owner"], api=True)
    response = client.post(f"/api/v1/cases/{world['case'].pk}/notes/", {"body": "x"}, content_type="application/json")
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["outsider", "coordinator"])
def test_outsiders_get_404_everywhere(world: dict[str, Any], who: str) -> None:
    client = logged_in(world[who], api=True)
    case_id = world["case"].pk
    response = client.get(f"/api/v1/cases/{case_id}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    for action, data in (("status", {"status": "closed"}), ("messages", {"body": "x"}), ("notes", {"body": "x"}),
                         ("transfer", {"organisation": "other"}), ("take", {})):
        assert post(client, f"/api/v1/cases/{case_id}/{action}/", data).status_code == 404
    assert world["case"].reference not in client.get("/api/v1/cases/").content.decode()


def test_transfer_without_copy_and_the_receiver_reads(world: dict[str, Any]) -> None:
    case_id = world["case"].pk
    owner = logged_in(world["owner"], api=True)
    response = post(owner, f"/api/v1/cases/{case_id}/transfer/", {"organisation": "other"})
    assert response.status_code == 200 and response.json()["organisation"] == "other"
    assert owner.get(f"/api/v1/cases/{case_id}/").status_code == 404
    receiver = logged_in(world["outsider"], api=True)
    assert receiver.get(f"/api/v1/cases/{case_id}/").json()["report"]["description"] == "API-Marker 99"


def test_conversation_through_the_api(world: dict[str, Any]) -> None:
    case = world["case"]
    access = reporter_open(receipt=world["receipt"])
    assert access is not None
    message_post(case=access.case, case_key=access.case_key, body="Question from reporter", actor=None)
    client = logged_in(world["owner"], api=True)
    row = client.get("/api/v1/cases/").json()["results"][0]
    assert row["staff_unread"] is True
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["messages"][0]["text"] == "Question from reporter"
    assert client.get("/api/v1/cases/").json()["results"][0]["staff_unread"] is False
    post(client, f"/api/v1/cases/{case.pk}/messages/", {"body": "Answer from counsellor"})
    assert client.get("/api/v1/cases/").json()["results"][0]["reporter_unread"] is True
    access = reporter_open(receipt=world["receipt"])
    assert access is not None
    texts = [message_text(message=m, case_key=access.case_key) for m in access.case.messages.all()]
    assert texts == ["Question from reporter", "Answer from counsellor"]
    messages_mark_read(case=access.case, by_reporter=True)
    assert client.get("/api/v1/cases/").json()["results"][0]["reporter_unread"] is False


def test_logout_destroys_both_halves(world: dict[str, Any]) -> None:
    client = logged_in(world["owner"], api=True)
    response = post(client, "/api/v1/auth/logout/")
    assert response.status_code == 204
    assert response.cookies[settings.UNLOCK_COOKIE_NAME].value == ""
    assert SESSION_KEY not in client.session
    assert client.get("/api/v1/cases/").status_code == 401


def test_schema_lists_staff_endpoints() -> None:
    schema = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/schema/?format=json").json()
    for path in ("/api/v1/auth/login/", "/api/v1/cases/", "/api/v1/cases/{case_id}/",
                 "/api/v1/cases/{case_id}/transfer/"):
        assert path in schema["paths"]
