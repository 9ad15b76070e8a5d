"""Login with password and TOTP, lockout, the session-split unlock, logout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from counselling.access import SESSION_KEY
from counselling.models import Membership
from reporting.models import AuditEntry
from tests.conftest import PASSWORD
from tests.counselling.conftest import login, totp_code

pytestmark = pytest.mark.django_db


def _post(client: Client, username: str, password: str, otp: str = "000000") -> Any:
    return client.post("/staff/login/", {"username": username, "password": password, "otp": otp})


def test_totp_code_helper_matches_django_otp(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=member.membership.user)
    assert device.verify_token(totp_code(member.membership.user))
    # The same step is not accepted twice; the helper then offers the next step's code.
    assert device.verify_token(totp_code(member.membership.user))


def test_login_sets_session_half_and_strict_httponly_cookie(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = login(client, member)
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    cookie = response.cookies[settings.UNLOCK_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert client.session[SESSION_KEY]
    # Neither half is the key: the session holds ciphertext, the cookie only the session key.
    assert cookie.value not in client.session[SESSION_KEY]
    inbox = client.get("/staff/")
    assert inbox.status_code == 200
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "counselling.auth.login" in actions and "counselling.auth.unlocked" in actions


def test_wrong_password_counts_and_is_refused(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    response = _post(Client(HTTP_ACCEPT_LANGUAGE="en"), member.membership.user.username, "wrong password", totp_code(member.membership.user))
    assert response.status_code == 400
    assert SESSION_KEY not in Client(HTTP_ACCEPT_LANGUAGE="en").session
    member.membership.refresh_from_db()
    assert member.membership.failed_logins == 1
    failed = AuditEntry.objects.get(action="counselling.auth.login_failed")
    assert failed.data == {"member": member.membership.pk, "step": "password"}
    assert member.membership.user.username not in str(failed.data) and failed.actor_label == "system"


def test_wrong_totp_is_refused(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _post(client, member.membership.user.username, PASSWORD, "123456" if totp_code(
        member.membership.user) != "123456" else "654321")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302
    member.membership.refresh_from_db()
    assert member.membership.failed_logins == 1


def test_five_failures_lock_the_account_for_fifteen_minutes(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    username = member.membership.user.username
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _post(Client(HTTP_ACCEPT_LANGUAGE="en"), username, "wrong password")
    member.membership.refresh_from_db()
    assert member.membership.locked_until is not None
    # Even the right password and code are refused while locked.
    response = login(Client(HTTP_ACCEPT_LANGUAGE="en"), member)
    assert response.status_code == 429
    later = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS - 30)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert login(Client(HTTP_ACCEPT_LANGUAGE="en"), member).status_code == 429
    after = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1)
    with mock.patch("django.utils.timezone.now", return_value=after):
        assert login(Client(HTTP_ACCEPT_LANGUAGE="en"), member).status_code == 302
    member.membership.refresh_from_db()
    assert member.membership.failed_logins == 0 and member.membership.locked_until is None


def test_logout_deletes_both_halves(make_org: Any, make_member: Any, staff_client: Any) -> None:
    member = make_member(make_org())
    client = staff_client(member)
    assert client.session.get(SESSION_KEY)
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    cookie = response.cookies[settings.UNLOCK_COOKIE_NAME]
    assert cookie.value == "" and cookie["max-age"] == 0
    assert SESSION_KEY not in client.session
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="counselling.auth.logout").count() == 1


def test_logout_needs_post(make_org: Any, make_member: Any, staff_client: Any) -> None:
    client = staff_client(make_member(make_org()))
    assert client.get("/staff/logout/").status_code == 405


def test_member_without_key_wrap_logs_in_and_sees_why(make_org: Any, make_member: Any, submit: Any) -> None:
    org = make_org(is_fallback=True)
    member = make_member(org, with_key=False)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = login(client, member)
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    page = client.get("/staff/")
    assert b'id="key-problem"' in page.content
    assert b"partner admin" in page.content
    case = submit().case
    # The case page sends them to unlock, which explains the same.
    response = client.get(f"/staff/cases/{case.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/unlock/")
    assert b"partner admin" in client.get(response["Location"]).content


def test_coordinator_logs_in_without_a_key(make_member: Any) -> None:
    coordinator = make_member(None, role=Membership.Role.COORDINATOR)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert login(client, coordinator).status_code == 302
    page = client.get("/staff/")
    assert page.status_code == 200
    assert b"Coordinators do not read cases" in page.content


def test_password_alone_is_not_enough_when_totp_is_required(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member.membership.user)
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_lost_unlock_cookie_asks_for_password_again(make_org: Any, make_member: Any, submit: Any,
                                                     staff_client: Any) -> None:
    org = make_org(is_fallback=True)
    member = make_member(org)
    case = submit().case
    client = staff_client(member)
    client.cookies.pop(settings.UNLOCK_COOKIE_NAME)
    response = client.get(f"/staff/cases/{case.pk}/")
    assert response["Location"] == f"/staff/unlock/?next=%2Fstaff%2Fcases%2F{case.pk}%2F"
    wrong = client.post(response["Location"], {"password": "nope nope nope", "next": f"/staff/cases/{case.pk}/"})
    assert wrong.status_code == 200
    right = client.post(response["Location"], {"password": PASSWORD, "next": f"/staff/cases/{case.pk}/"})
    assert right.status_code == 302 and right["Location"] == f"/staff/cases/{case.pk}/"
    assert client.get(right["Location"]).status_code == 200


def test_login_redirects_only_to_local_next(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/staff/login/?next=https://evil.example/", {
        "username": member.membership.user.username, "password": PASSWORD,
        "otp": totp_code(member.membership.user), "next": "https://evil.example/"})
    assert response["Location"] == "/staff/"
