"""Login with password and TOTP, lockout, the session-split unlock, logout."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client

from counselling import auth
from counselling.access import SESSION_KEY
from counselling.models import Membership
from reporting.models import AuditEntry
from tests.helpers import PASSWORD, logged_in, login, totp_code

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


def test_wrong_password_is_refused_and_audited_without_the_name(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _post(client, member.membership.user.username, "wrong password", totp_code(member.membership.user))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session and SESSION_KEY not in client.session
    failed = AuditEntry.objects.get(action="counselling.auth.login_failed")
    assert failed.data == {"member": member.membership.pk, "step": "password"}
    assert member.membership.user.username not in str(failed.data) and failed.actor_label == "system"


def test_wrong_totp_is_refused(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _post(client, member.membership.user.username, PASSWORD, _wrong_code(member.membership.user))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.get(action="counselling.auth.login_failed").data["step"] == "otp"


def test_a_used_code_is_refused_the_second_time(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    user = member.membership.user
    code = totp_code(user)
    assert _post(Client(HTTP_ACCEPT_LANGUAGE="en"), user.username, PASSWORD, code).status_code == 302
    assert _post(Client(HTTP_ACCEPT_LANGUAGE="en"), user.username, PASSWORD, code).status_code == 400


# ------------------------------------------------------------------------------ one answer for every failure


def _wrong_code(user: Any) -> str:
    right = totp_code(user)
    return "123456" if right != "123456" else "654321"


def _client(address: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)


def _throttle(username: str, address: str) -> None:
    """Fail from this address until its attempts on this account wait."""
    for _ in range(settings.LOGIN_FREE_FAILURES):
        _post(_client(address), username, "wrong password")


def _failures(member: Any) -> dict[str, tuple[str, str, str, str]]:
    """The four kinds of failed login, each from its own client: (address, username, password, code)."""
    user = member.membership.user
    _throttle(user.username, "198.51.100.40")
    return {
        "unknown user": ("198.51.100.10", "nobody-by-this-name", PASSWORD, totp_code(user)),
        "wrong password": ("198.51.100.20", user.username, "wrong password", totp_code(user)),
        "wrong code": ("198.51.100.30", user.username, PASSWORD, _wrong_code(user)),
        "locked": ("198.51.100.40", user.username, PASSWORD, totp_code(user)),  # right password and code
    }


def _page_answer(response: Any) -> tuple[int, str]:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'(id="id_username"[^>]*value=")[^"]*"|(value=")[^"]*("[^>]*id="id_username")', "", html)
    return response.status_code, html


def test_every_failed_page_login_gets_the_same_answer(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    answers = {}
    for kind, (address, username, password, code) in _failures(member).items():
        client = _client(address)
        answers[kind] = _page_answer(_post(client, username, password, code))
        assert "_auth_user_id" not in client.session, kind
    assert len(set(answers.values())) == 1, {kind: answer[0] for kind, answer in answers.items()}
    status, html = answers["locked"]
    assert status == 400 and "Login failed." in html


def test_every_failed_api_login_gets_the_same_answer(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    answers = {}
    for kind, (address, username, password, code) in _failures(member).items():
        response = _client(address).post("/api/v1/auth/login/", {"username": username, "password": password,
                                                                  "otp": code}, content_type="application/json")
        answers[kind] = (response.status_code, response.content)
        assert settings.SESSION_COOKIE_NAME not in response.cookies, kind
    assert len(set(answers.values())) == 1, answers
    status, body = answers["locked"]
    assert status == 400 and json.loads(body)["error"]["code"] == "login_failed"


def test_every_failed_login_does_the_same_work(make_org: Any, make_member: Any) -> None:
    """One password hash (a dummy one for unknown names) and one TOTP computation, whatever failed."""
    from django.contrib.auth import base_user
    from django_otp.oath import TOTP

    member = make_member(make_org())
    failures = _failures(member)
    for kind, (address, username, password, code) in failures.items():
        with mock.patch.object(base_user, "check_password", wraps=base_user.check_password) as hashes, \
                mock.patch.object(TOTP, "verify", autospec=True, side_effect=TOTP.verify) as codes:
            assert _post(_client(address), username, password, code).status_code == 400
        assert (hashes.call_count, codes.call_count) == (1, 1), kind


def test_password_is_only_judged_together_with_the_code(make_org: Any, make_member: Any) -> None:
    """Right password with a wrong code answers like a wrong password; a right code with a wrong
    password is not used up, and wrong codes leave the device (and its own throttle) untouched."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    member = make_member(make_org())
    user = member.membership.user
    device = TOTPDevice.objects.get(user=user)
    code = totp_code(user)
    right_password = _post(_client("198.51.100.1"), user.username, PASSWORD, _wrong_code(user))
    wrong_password = _post(_client("198.51.100.2"), user.username, "wrong password", code)
    assert _page_answer(right_password) == _page_answer(wrong_password)
    for _ in range(10):
        _post(_client("198.51.100.3"), user.username, "wrong password", _wrong_code(user))
    after = TOTPDevice.objects.get(pk=device.pk)
    assert (after.last_t, after.throttling_failure_count) == (device.last_t, device.throttling_failure_count)
    # The code the wrong password came with still works with the right password.
    assert _post(_client("198.51.100.4"), user.username, PASSWORD, code).status_code == 302


# ------------------------------------------------------------------------------ throttling per account and client


def test_an_outsiders_failures_do_not_stop_the_counsellor(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    user = member.membership.user
    for _ in range(settings.LOGIN_FREE_FAILURES * 6):
        _post(_client("203.0.113.66"), user.username, "guessing at passwords", _wrong_code(user))
    # The outsider's own client waits, even with the right password and code ...
    assert _post(_client("203.0.113.66"), user.username, PASSWORD, totp_code(user)).status_code == 400
    # ... the counsellor, from their own client, logs in at once.
    client = _client("192.0.2.10")
    assert login(client, member).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_failures_from_one_client_wait_longer_each_time(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    user = member.membership.user
    address = "192.0.2.77"
    start = time.time()
    with mock.patch("counselling.auth._clock", return_value=start):
        _throttle(user.username, address)
        assert _post(_client(address), user.username, PASSWORD, totp_code(user)).status_code == 400
    first_wait = settings.LOGIN_DELAY_SECONDS
    with mock.patch("counselling.auth._clock", return_value=start + first_wait + 1):
        # The wait is over; one more failure doubles the next wait.
        _post(_client(address), user.username, "wrong password")
    with mock.patch("counselling.auth._clock", return_value=start + first_wait + 1 + first_wait + 1):
        assert _post(_client(address), user.username, PASSWORD, totp_code(user)).status_code == 400
    with mock.patch("counselling.auth._clock", return_value=start + first_wait + 1 + 2 * first_wait + 1):
        assert login(_client(address), member).status_code == 302
        # A success forgets the failures: the next wrong password is a free one again.
        _post(_client(address), user.username, "wrong password")
        assert login(_client(address), member).status_code == 302


def test_the_wait_never_exceeds_the_maximum(make_org: Any, make_member: Any) -> None:
    user = make_member(make_org()).membership.user
    now = time.time()
    for _ in range(settings.LOGIN_FREE_FAILURES + 40):
        now += settings.LOGIN_MAX_DELAY_SECONDS + 1  # each attempt after the last wait is over
        with mock.patch("counselling.auth._clock", return_value=now), pytest.raises(auth.LoginRefused):
            auth.login_check(username=user.username, password="wrong password", otp="000000", client="a-client")
    with mock.patch("counselling.auth._clock", return_value=now + settings.LOGIN_MAX_DELAY_SECONDS - 1):
        assert auth.throttled(user.username, "a-client")
    with mock.patch("counselling.auth._clock", return_value=now + settings.LOGIN_MAX_DELAY_SECONDS + 1):
        assert not auth.throttled(user.username, "a-client")


def test_unknown_names_are_throttled_like_real_ones(make_org: Any) -> None:
    from meldestelle.ratelimit import client_hash

    make_org()
    _throttle("no-such-counsellor", "192.0.2.90")
    assert auth.throttled("no-such-counsellor", client_hash("192.0.2.90"))
    assert not auth.throttled("no-such-counsellor", client_hash("192.0.2.91"))


def test_logout_deletes_both_halves(make_org: Any, make_member: Any) -> None:
    member = make_member(make_org())
    client = logged_in(member)
    assert client.session.get(SESSION_KEY)
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    cookie = response.cookies[settings.UNLOCK_COOKIE_NAME]
    assert cookie.value == "" and cookie["max-age"] == 0
    assert SESSION_KEY not in client.session
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="counselling.auth.logout").count() == 1


def test_logout_needs_post(make_org: Any, make_member: Any) -> None:
    client = logged_in(make_member(make_org()))
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


def test_lost_unlock_cookie_asks_for_password_again(make_org: Any, make_member: Any, submit: Any) -> None:
    org = make_org(is_fallback=True)
    member = make_member(org)
    case = submit().case
    client = logged_in(member)
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


# ------------------------------------------------------------------------------ the unlock cookie


def _is_browser_session_cookie(cookie: Any) -> bool:
    return cookie.value != "" and cookie["max-age"] == "" and cookie["expires"] == ""


def test_unlock_cookie_is_a_browser_session_cookie(make_org: Any, make_member: Any) -> None:
    """No Max-Age, no Expires: the browser keeps the key half in memory only (review F-10)."""
    member = make_member(make_org())
    user = member.membership.user
    page = login(Client(HTTP_ACCEPT_LANGUAGE="en"), member)
    assert _is_browser_session_cookie(page.cookies[settings.UNLOCK_COOKIE_NAME])
    assert "Max-Age" not in page.cookies[settings.UNLOCK_COOKIE_NAME].output()
    api = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/login/", {"username": user.username, "password": PASSWORD, "otp": totp_code(user)},
        content_type="application/json")
    assert _is_browser_session_cookie(api.cookies[settings.UNLOCK_COOKIE_NAME])
    client = logged_in(member)
    client.cookies.pop(settings.UNLOCK_COOKIE_NAME)
    again = client.post("/staff/unlock/", {"password": PASSWORD})
    assert again.status_code == 302
    assert _is_browser_session_cookie(again.cookies[settings.UNLOCK_COOKIE_NAME])


# ------------------------------------------------------------------------------ API login: JSON from this site only


def _api_login(client: Client, user: Any, *, form: bool = False, **headers: str) -> Any:
    data = {"username": user.username, "password": PASSWORD, "otp": totp_code(user)}
    if form:
        return client.post("/api/v1/auth/login/", data, **headers)  # multipart, as a cross-site form may
    return client.post("/api/v1/auth/login/", data, content_type="application/json", **headers)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil.example"])
def test_cross_site_api_login_is_refused(make_org: Any, make_member: Any, origin: str) -> None:
    user = make_member(make_org()).membership.user
    for form in (True, False):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = _api_login(client, user, form=form, HTTP_ORIGIN=origin)
        assert response.status_code == 403, (form, response.content)
        assert response.json()["error"]["code"] == "cross_origin"
        assert not ({settings.SESSION_COOKIE_NAME, settings.UNLOCK_COOKIE_NAME} & set(response.cookies))
        assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action="counselling.auth.login").exists()


def test_api_login_takes_json_only(make_org: Any, make_member: Any) -> None:
    user = make_member(make_org()).membership.user
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _api_login(client, user, form=True, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"
    assert "_auth_user_id" not in client.session
    urlencoded = client.post("/api/v1/auth/login/", f"username={user.username}&password=x&otp=1",
                             content_type="application/x-www-form-urlencoded")
    assert urlencoded.status_code == 415


def test_api_login_from_this_site_works(make_org: Any, make_member: Any, settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.meldestelle.example"]
    member = make_member(make_org())
    user = member.membership.user
    assert _api_login(Client(), user, HTTP_ORIGIN="http://testserver").status_code == 200
    assert _api_login(Client(), user, HTTP_ORIGIN="https://app.meldestelle.example").status_code == 200
    assert _api_login(Client(), user).status_code == 200  # no Origin: not a browser's cross-site request
