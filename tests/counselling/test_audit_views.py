"""The audit log page: coordinator sees all, a partner admin their own organisation, others 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from counselling.models import Membership
from counselling.services import NewMember
from reporting.audit import AuditAction, ChainProblem, audit_anchor_create, audit_log
from reporting.services import NewOrganisation, Submitted, message_post, reporter_open
from tests.helpers import logged_in

MARKER = "CANARY-audit-page-51c0"
URL = "/staff/audit/"


@pytest.fixture
def two_orgs(make_org: Callable[..., NewOrganisation]) -> tuple[NewOrganisation, NewOrganisation]:
    # "north" takes everything (statewide fallback), "south" only the Region Hannover.
    return make_org("north", is_fallback=True), make_org("south", statewide=False, districts=["03241"])


@pytest.fixture
def cases(two_orgs: tuple[NewOrganisation, NewOrganisation], submit: Callable[..., Submitted]) -> dict[str, Submitted]:
    north, south = two_orgs
    in_north = submit(district="03101", description=f"{MARKER} north description")
    in_south = submit(district="03241", description=f"{MARKER} south description")
    assert in_north.case.organisation_id == north.organisation.pk
    assert in_south.case.organisation_id == south.organisation.pk
    for submitted in (in_north, in_south):
        access = reporter_open(receipt=submitted.receipt_code or "")
        assert access is not None
        message_post(case=access.case, case_key=access.case_key, body=f"{MARKER} message", actor=None)
    return {"north": in_north, "south": in_south}


def case_cell(submitted: Submitted) -> str:
    return f'href="?case={submitted.case.pk}"'


def test_url_is_named() -> None:
    assert reverse("counselling:audit") == URL


def test_coordinator_sees_every_organisation(
    cases: dict[str, Submitted], make_member: Callable[..., NewMember]
) -> None:
    coordinator = make_member(None, role=Membership.Role.COORDINATOR)

    response = logged_in(coordinator).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert case_cell(cases["north"]) in page
    assert case_cell(cases["south"]) in page
    assert "reporting.case.submitted" in page
    assert "North" in page and "South" in page  # organisation column
    assert response["Cache-Control"].startswith("max-age=0")


def test_partner_admin_sees_only_their_organisation(
    cases: dict[str, Submitted], two_orgs: tuple[NewOrganisation, NewOrganisation],
    make_member: Callable[..., NewMember],
) -> None:
    north, _south = two_orgs
    admin = make_member(north, role=Membership.Role.PARTNER_ADMIN)

    response = logged_in(admin).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert case_cell(cases["north"]) in page
    assert case_cell(cases["south"]) not in page
    assert "reporting.message.from_reporter" in page
    # Asking for the other organisation's case by id shows nothing of it.
    response = logged_in(admin).get(URL, {"case": cases["south"].case.pk})
    assert case_cell(cases["south"]) not in response.content.decode()
    assert "No entries match." in response.content.decode()


def test_counsellor_gets_404(cases: dict[str, Submitted], two_orgs: Any, make_member: Callable[..., NewMember]) -> None:
    counsellor = make_member(two_orgs[0], role=Membership.Role.COUNSELLOR)

    response = logged_in(counsellor).get(URL)

    assert response.status_code == 404
    assert case_cell(cases["north"]) not in response.content.decode()


def test_account_without_membership_gets_404(db: None) -> None:
    user = get_user_model().objects.create_user(username="operator", password="x" * 20, is_superuser=True)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_login(db: None) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("counselling:login"))


def test_login_without_totp_is_sent_to_login(two_orgs: Any, make_member: Callable[..., NewMember]) -> None:
    admin = make_member(two_orgs[0], role=Membership.Role.PARTNER_ADMIN)

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin.membership.user)  # a session without the second factor
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("counselling:login"))


def test_page_shows_no_content(
    cases: dict[str, Submitted], two_orgs: Any, make_member: Callable[..., NewMember]
) -> None:
    coordinator = make_member(None, role=Membership.Role.COORDINATOR)
    admin = make_member(two_orgs[0], role=Membership.Role.PARTNER_ADMIN)

    for member in (coordinator, admin):
        page = logged_in(member).get(URL).content.decode()
        assert MARKER not in page
        for submitted in cases.values():
            assert (submitted.receipt_code or "") not in page
            assert submitted.case.reference not in page


def test_filters_by_action_prefix_and_case(
    cases: dict[str, Submitted], make_member: Callable[..., NewMember]
) -> None:
    client = logged_in(make_member(None, role=Membership.Role.COORDINATOR))

    page = client.get(URL, {"action": "reporting.message."}).content.decode()
    assert "reporting.message.from_reporter" in page
    assert "reporting.case.submitted" not in page

    page = client.get(URL, {"case": cases["north"].case.pk}).content.decode()
    assert case_cell(cases["north"]) in page
    assert case_cell(cases["south"]) not in page
    assert "reporting.organisation.created" not in page


def test_invalid_case_filter_is_explained_not_an_error(
    cases: dict[str, Submitted], make_member: Callable[..., NewMember]
) -> None:
    client = logged_in(make_member(None, role=Membership.Role.COORDINATOR))

    response = client.get(URL, {"case": "12; DROP TABLE", "page": "nonsense"})

    assert response.status_code == 200
    assert "A case id is a whole number." in response.content.decode()


def test_paginates_a_hundred_per_page_and_keeps_the_filter(
    two_orgs: Any, make_member: Callable[..., NewMember]
) -> None:
    north = two_orgs[0].organisation
    admin = make_member(two_orgs[0], role=Membership.Role.PARTNER_ADMIN)
    with transaction.atomic():
        for number in range(130):
            audit_log(actor=None, action=AuditAction.CASE_VIEWED, organisation_id=north.pk, case_id=900000 + number)
    client = logged_in(admin)

    first = client.get(URL, {"action": "counselling.case.vi"}).content.decode()
    second = client.get(URL, {"action": "counselling.case.vi", "page": 2}).content.decode()

    assert first.count("<code>counselling.case.viewed</code>") == 100
    assert second.count("<code>counselling.case.viewed</code>") == 30
    assert 'href="?case=900129"' in first  # newest first
    assert 'href="?case=900000"' in second
    assert "?action=counselling.case.vi&amp;page=2" in first


def test_coordinator_sees_the_anchors_newest_first_and_the_chain_status(
    cases: dict[str, Submitted], two_orgs: Any, make_member: Callable[..., NewMember]
) -> None:
    coordinator = make_member(None, role=Membership.Role.COORDINATOR)
    client = logged_in(coordinator)
    assert 'data-chain-status="unchecked"' in client.get(URL).content.decode()

    older = audit_anchor_create(verdict=None)
    newer = audit_anchor_create(verdict=None)
    assert older is not None and newer is not None
    page = client.get(URL).content.decode()

    assert 'data-chain-status="intact"' in page
    assert page.index(newer.value) < page.index(older.value)
    assert "Anchors, newest first (2 of 2)" in page

    broken = audit_anchor_create(verdict=ChainProblem(older.last_entry_id, "was altered or written without the chain key"))
    assert broken is not None and broken.chain_intact is False
    page = client.get(URL).content.decode()
    assert 'data-chain-status="broken"' in page
    assert f"the chain was broken at entry {older.last_entry_id}." in page
    assert MARKER not in page


def test_partner_admin_sees_no_anchors(
    cases: dict[str, Submitted], two_orgs: Any, make_member: Callable[..., NewMember]
) -> None:
    anchor = audit_anchor_create(verdict=None)
    assert anchor is not None
    admin = make_member(two_orgs[0], role=Membership.Role.PARTNER_ADMIN)

    page = logged_in(admin).get(URL).content.decode()

    assert anchor.value not in page and anchor.head_hash not in page
    assert "data-chain-status" not in page
