"""Partner admin: members, grant from the unlocked session, revoke, reset, organisation settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from counselling.models import Membership
from reporting.models import AuditEntry
from tests.helpers import PASSWORD, login, totp_code
from tests.helpers import logged_in as _client

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(make_org: Any, make_member: Any) -> tuple[Any, Any]:
    org = make_org(is_fallback=True)
    return org, make_member(org, role=Membership.Role.PARTNER_ADMIN)


def test_only_the_partner_admin_of_the_org_sees_admin(org_admin: tuple[Any, Any], make_org: Any,
                                                        make_member: Any) -> None:
    org, admin = org_admin
    assert _client(admin).get("/staff/admin/").status_code == 200
    assert _client(make_member(org)).get("/staff/admin/").status_code == 404
    assert _client(make_member(None, role=Membership.Role.COORDINATOR)).get("/staff/admin/").status_code == 404
    outsider_admin = make_member(make_org("other"), role=Membership.Role.PARTNER_ADMIN)
    member = make_member(org)
    response = _client(outsider_admin).post(f"/staff/admin/members/{member.membership.pk}/revoke/")
    assert response.status_code == 404
    member.membership.user.refresh_from_db()
    assert member.membership.user.is_active


def test_invite_grant_then_new_member_reads_a_case(org_admin: tuple[Any, Any], submit: Any) -> None:
    _org, admin = org_admin
    case = submit(description="Grant-Marker").case
    admin_client = _client(admin)
    page = admin_client.post("/staff/admin/invite/", {"username": "newbie", "email": "n@example.org",
                                                      "role": "counsellor"})
    assert page.status_code == 200
    password = re.search(rb'id="new-password">([^<]+)<', page.content).group(1).decode()  # type: ignore[union-attr]
    assert b"otpauth://" in page.content
    newbie = Membership.objects.get(user__username="newbie")
    assert not newbie.has_key_access
    # Before the grant: logs in, cannot read.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/staff/login/", {"username": "newbie", "password": password, "otp": totp_code(newbie.user)})
    assert client.get(f"/staff/cases/{case.pk}/")["Location"].startswith("/staff/unlock/")
    assert admin_client.post(f"/staff/admin/members/{newbie.pk}/grant/").status_code == 302
    assert AuditEntry.objects.filter(action="counselling.member.granted").exists()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/staff/login/", {"username": "newbie", "password": password, "otp": totp_code(newbie.user)})
    page = client.get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200 and b"Grant-Marker" in page.content


def test_grant_needs_an_unlocked_session(org_admin: tuple[Any, Any], make_member: Any) -> None:
    org, admin = org_admin
    member = make_member(org, with_key=False)
    client = _client(admin)
    from django.conf import settings

    client.cookies.pop(settings.UNLOCK_COOKIE_NAME)
    response = client.post(f"/staff/admin/members/{member.membership.pk}/grant/")
    assert response["Location"].startswith("/staff/unlock/")
    member.membership.refresh_from_db()
    assert not member.membership.has_key_access


def test_revoke_leaves_the_member_reading_nothing(org_admin: tuple[Any, Any], make_member: Any,
                                                  submit: Any) -> None:
    org, admin = org_admin
    member = make_member(org)
    case = submit().case
    member_client = _client(member)
    assert member_client.get(f"/staff/cases/{case.pk}/").status_code == 200
    _client(admin).post(f"/staff/admin/members/{member.membership.pk}/revoke/")
    member.membership.refresh_from_db()
    assert not member.membership.has_key_access and not member.membership.user.is_active
    # The running session ends (inactive user) and a new login is refused.
    assert member_client.get(f"/staff/cases/{case.pk}/").status_code == 302
    assert login(Client(HTTP_ACCEPT_LANGUAGE="en"), member).status_code == 400


def test_reset_password_loses_key_access(org_admin: tuple[Any, Any], make_member: Any, submit: Any) -> None:
    org, admin = org_admin
    member = make_member(org)
    case = submit().case
    page = _client(admin).post(f"/staff/admin/members/{member.membership.pk}/reset-password/")
    password = re.search(rb'id="reset-password">([^<]+)<', page.content).group(1).decode()  # type: ignore[union-attr]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert login(client, member, password=password).status_code == 302
    assert b"partner admin" in client.get("/staff/").content
    assert client.get(f"/staff/cases/{case.pk}/")["Location"].startswith("/staff/unlock/")


def test_settings_update_coverage_and_deadlines(org_admin: tuple[Any, Any]) -> None:
    org, admin = org_admin
    response = _client(admin).post("/staff/admin/settings/", {
        "active": "on", "districts": ["03241", "03101"], "motives": ["racism"], "languages": ["de", "ar"],
        "retention_days": 200, "reply_deadline_days": 5,
    })
    assert response.status_code == 302
    organisation = org.organisation
    organisation.refresh_from_db()
    assert organisation.statewide is False and organisation.districts == ["03101", "03241"]
    assert organisation.all_motives is False and organisation.motives == ["racism"]
    assert organisation.languages == ["de", "ar"] and organisation.retention_days == 200
    assert organisation.reply_deadline_days == 5
    assert AuditEntry.objects.filter(action="reporting.organisation.updated").exists()


def test_own_password_change_keeps_key_access(make_org: Any, make_member: Any, submit: Any) -> None:
    org = make_org(is_fallback=True)
    member = make_member(org)
    case = submit().case
    client = _client(member)
    assert b"loses" in client.get("/staff/password/").content or b"lose key access" in client.get(
        "/staff/password/").content
    response = client.post("/staff/password/", {"old_password": PASSWORD, "new_password": "a new long passphrase",
                                                "new_password_again": "a new long passphrase"})
    assert response.status_code == 302
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert login(fresh, member, password="a new long passphrase").status_code == 302
    assert fresh.get(f"/staff/cases/{case.pk}/").status_code == 200


def test_invite_shows_the_authenticator_code_as_a_qr_image(org_admin: tuple[Any, Any]) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from counselling.totp import provisioning_qr_svg

    _org, admin = org_admin
    page = _client(admin).post("/staff/admin/invite/", {"username": "scanner", "email": "s@example.org",
                                                        "role": "counsellor"}).content.decode()
    device = TOTPDevice.objects.get(user__username="scanner")
    drawn = re.search(r'id="new-totp-qr">\s*(<svg.*?</svg>)', page, re.S).group(1)  # type: ignore[union-attr]
    expected = provisioning_qr_svg(device.config_url, label="x")
    # The same modules as the code for this member's own device, accessible, without inline style.
    assert re.search(r' d="([^"]+)"', drawn).group(1) == re.search(r' d="([^"]+)"', expected).group(1)  # type: ignore[union-attr]
    assert 'role="img"' in drawn and "aria-label=" in drawn
    assert "style=" not in drawn
