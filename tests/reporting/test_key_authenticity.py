"""Authentic public keys (SPEC §3.9, review F-14): a database writer who swaps an organisation's
or a member's public key for one of their own gets nothing sealed to it, and an unlock that
finds a stored key its private key does not derive is refused and reported."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from counselling.keys import org_key_rotate, seal_org_key_for_member
from counselling.models import Membership
from counselling.services import member_grant, member_unlock
from reporting import crypto
from reporting.models import AuditEntry, Case, CaseGrant, Incident, Organisation, OrganisationKey
from reporting.services import (
    KeyMismatch,
    KeyUnverified,
    ReportInput,
    RotationReason,
    ServiceError,
    case_keys_for_organisation,
    case_transfer,
    organisation_private_key_from_recovery,
    report_submit,
)
from tests.helpers import (
    PASSWORD,
    files_in,
    logged_in,
    login,
    make_jpeg,
    swap_member_public_key,
    swap_org_public_key,
)

pytestmark = pytest.mark.django_db

MARKER = "KEYSWAP-MARKER-5b9e13"


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def _assert_nothing_stored() -> None:
    assert Case.objects.count() == 0
    assert CaseGrant.objects.count() == 0
    assert Incident.objects.count() == 0
    assert files_in(settings.MEDIA_ROOT) == []


# --------------------------------------------------------------------------------------------
# Every stored public key carries a MAC


def test_every_stored_public_key_carries_a_mac_under_the_environment_key(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org).membership
    org = Organisation.objects.get(pk=fallback_org.organisation.pk)
    key = org.current_key
    key_auth = settings.KEY_AUTH_KEY
    assert crypto.public_key_authentic(key_auth, key.public_key_mac, kind=crypto.PUBLIC_KEY_ORGANISATION,
                                       owner_id=org.pk, version=key.version, public_key=bytes(key.public_key))
    assert crypto.public_key_authentic(key_auth, member.member_public_key_mac, kind=crypto.PUBLIC_KEY_MEMBER,
                                       owner_id=member.pk, version=0, public_key=bytes(member.member_public_key))
    assert crypto.public_key_authentic(key_auth, org.recovery_public_key_mac, kind=crypto.PUBLIC_KEY_RECOVERY,
                                       owner_id=org.pk, version=0, public_key=bytes(org.recovery_public_key))
    # Bound to kind, owner and version: the same bytes under another binding fail.
    assert not crypto.public_key_authentic(key_auth, key.public_key_mac, kind=crypto.PUBLIC_KEY_ORGANISATION,
                                           owner_id=org.pk, version=key.version + 1, public_key=bytes(key.public_key))
    assert not crypto.public_key_authentic(key_auth, key.public_key_mac, kind=crypto.PUBLIC_KEY_MEMBER,
                                           owner_id=org.pk, version=key.version, public_key=bytes(key.public_key))
    assert not crypto.public_key_authentic(bytes(32), key.public_key_mac, kind=crypto.PUBLIC_KEY_ORGANISATION,
                                           owner_id=org.pk, version=key.version, public_key=bytes(key.public_key))


def test_the_migration_computes_macs_for_existing_keys(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org).membership
    OrganisationKey.objects.update(public_key_mac="")
    Membership.objects.update(member_public_key_mac="")
    with pytest.raises(KeyUnverified):
        report_submit(report=ReportInput(description="before the migration"))
    importlib.import_module("reporting.migrations.0010_org_key_epochs").mac_existing_keys(apps, None)
    importlib.import_module("counselling.migrations.0007_member_public_key_mac").mac_existing_member_keys(apps, None)
    assert report_submit(report=ReportInput(description="after the migration")).case.pk
    member.refresh_from_db()
    member_grant(actor=None, membership=member, org_private_key=fallback_org.private_key)


# --------------------------------------------------------------------------------------------
# A swapped organisation key: nothing is sealed to it


def test_swapped_org_key_refuses_the_form_calmly_and_stores_nothing(
    client: Client, fallback_org: Any, form_data: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    attacker = crypto.new_org_keypair()
    swap_org_public_key(fallback_org.organisation, attacker.public_key)
    files = [SimpleUploadedFile("photo.jpg", make_jpeg(), "image/jpeg")]
    with caplog.at_level(logging.ERROR):
        response = client.post("/de/report/", form_data(description=MARKER, files=files))
    assert response.status_code == 503
    page = response.content.decode()
    assert "Wir können im Moment keine Meldungen annehmen." in page  # calm and translated
    assert MARKER in page  # the answers are still in the form
    assert "Traceback" not in page and "MAC" not in page
    _assert_nothing_stored()
    errors = _errors(caplog)
    assert any("fails its MAC" in line and f"owner {fallback_org.organisation.pk}" in line for line in errors)
    assert MARKER not in caplog.text


def test_swapped_org_key_refuses_the_api_with_503_and_stores_nothing(
    client: Client, fallback_org: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    swap_org_public_key(fallback_org.organisation, crypto.new_org_keypair().public_key)
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/v1/reports/", {
            "description": MARKER, "consent": "true", "district": "online",
            "files": [SimpleUploadedFile("photo.jpg", make_jpeg(), "image/jpeg")],
        }, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "key_unverified"
    assert error["message"] == "Wir können im Moment keine Meldungen annehmen. Bitte versuchen Sie es später noch einmal."
    assert MARKER not in response.content.decode()
    _assert_nothing_stored()
    assert any("fails its MAC" in line for line in _errors(caplog))
    assert MARKER not in caplog.text


def test_swapped_org_key_refuses_a_transfer_to_it(
    fallback_org: Any, make_org: Any, make_member: Any, submit: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    other = make_org("other")
    case = submit(description=MARKER).case
    swap_org_public_key(other.organisation, crypto.new_org_keypair().public_key)
    with caplog.at_level(logging.ERROR), pytest.raises(KeyUnverified):
        case_transfer(actor=make_member(fallback_org).membership.user, case=case,
                      to_organisation=other.organisation, org_private_key=fallback_org.private_key)
    case.refresh_from_db()
    assert case.organisation_id == fallback_org.organisation.pk
    assert list(CaseGrant.objects.filter(case=case).values_list("organisation_id", flat=True)) == [
        fallback_org.organisation.pk
    ]
    assert any("fails its MAC" in line for line in _errors(caplog))


# --------------------------------------------------------------------------------------------
# A swapped member key: no grant, no re-grant


def test_swapped_member_key_refuses_the_grant(
    fallback_org: Any, make_member: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    member = make_member(fallback_org, with_key=False).membership
    swap_member_public_key(member, crypto.new_org_keypair().public_key)
    member.refresh_from_db()
    with caplog.at_level(logging.ERROR), pytest.raises(KeyUnverified):
        member_grant(actor=None, membership=member, org_private_key=fallback_org.private_key)
    member.refresh_from_db()
    assert member.pending_org_key is None and not member.has_key_access
    assert not AuditEntry.objects.filter(action="counselling.member.granted").exists()
    assert any("member public key" in line and f"owner {member.pk}" in line for line in _errors(caplog))


def test_swapped_member_key_shows_the_refusal_on_the_admin_page(fallback_org: Any, make_member: Any) -> None:
    admin = make_member(fallback_org, role=Membership.Role.PARTNER_ADMIN)
    member = make_member(fallback_org, with_key=False).membership
    swap_member_public_key(member, crypto.new_org_keypair().public_key)
    client = logged_in(admin)
    page = client.post(f"/staff/admin/members/{member.pk}/grant/", follow=True)
    assert "could not be verified" in page.content.decode()
    member.refresh_from_db()
    assert not member.has_key_access


def test_swapped_member_key_refuses_the_regrant_after_rotation(
    fallback_org: Any, make_member: Any, submit: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    honest = make_member(fallback_org).membership
    victim = make_member(fallback_org).membership
    attacker = crypto.new_org_keypair()
    swap_member_public_key(victim, attacker.public_key)
    case = submit(description=MARKER).case
    with caplog.at_level(logging.ERROR):
        result = org_key_rotate(actor=None, organisation=fallback_org.organisation,
                                org_private_key=fallback_org.private_key, reason=RotationReason.ON_DEMAND)
    assert result.regranted == [honest.pk] and result.refused == [victim.pk]
    victim.refresh_from_db()
    # Nothing was sealed to the attacker's key, and the victim's old wrap is gone with the epoch.
    assert victim.pending_org_key is None and victim.wrapped_org_key is None
    honest.refresh_from_db()
    new_key = member_unlock(membership=honest, password=PASSWORD)
    assert case_keys_for_organisation(case=case, organisation=fallback_org.organisation, org_private_key=new_key)
    assert any("member public key" in line and f"owner {victim.pk}" in line for line in _errors(caplog))


def test_swapped_recovery_key_refuses_the_rotation(fallback_org: Any, submit: Any) -> None:
    submit()
    Organisation.objects.filter(pk=fallback_org.organisation.pk).update(
        recovery_public_key=crypto.new_org_keypair().public_key
    )
    with pytest.raises(KeyUnverified):
        org_key_rotate(actor=None, organisation=Organisation.objects.get(pk=fallback_org.organisation.pk),
                       org_private_key=fallback_org.private_key, reason=RotationReason.ON_DEMAND)
    assert OrganisationKey.objects.get(organisation=fallback_org.organisation).version == 1  # nothing changed
    assert set(CaseGrant.objects.values_list("key_version", flat=True)) == {1}


# --------------------------------------------------------------------------------------------
# The unlock-time check: the stored public key must be the one the private key derives


@pytest.mark.parametrize("forge_mac", [False, True], ids=["plain-swap", "mac-forged-too"])
def test_unlock_reports_a_stored_key_the_private_key_does_not_derive(
    fallback_org: Any, make_member: Any, caplog: pytest.LogCaptureFixture, forge_mac: bool,
) -> None:
    member = make_member(fallback_org).membership
    swap_org_public_key(fallback_org.organisation, crypto.new_org_keypair().public_key, forge_mac=forge_mac)
    with caplog.at_level(logging.ERROR), pytest.raises(KeyMismatch) as refused:
        member_unlock(membership=member, password=PASSWORD)
    assert refused.value.code == "key_mismatch"
    assert "safety check" in refused.value.message
    errors = _errors(caplog)
    assert any("Unlock refused" in line and f"organisation {fallback_org.organisation.pk}" in line for line in errors)
    assert AuditEntry.objects.filter(action="reporting.organisation.key_mismatch",
                                     organisation_id=fallback_org.organisation.pk).exists()
    # Sealing to that organisation stops, even where the forged MAC would have passed.
    assert OrganisationKey.objects.get(organisation=fallback_org.organisation).suspended_at is not None
    with pytest.raises(KeyUnverified):
        report_submit(report=ReportInput(description=MARKER))
    assert Case.objects.count() == 0


def test_unlock_refuses_a_foreign_key_sealed_to_a_member_and_keeps_nothing(
    fallback_org: Any, make_member: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """Anyone can seal to a member's public key: a writer hands a member their own key as a
    "pending grant", hoping the member's next reports land under it. The unlock refuses it."""
    member = make_member(fallback_org).membership
    wrapped_before = bytes(member.wrapped_org_key)
    attacker = crypto.new_org_keypair()
    seal_org_key_for_member(member, attacker.private_key, version=1)  # as the writer would
    member.save(update_fields=["pending_org_key", "pending_key_version"])
    with caplog.at_level(logging.ERROR), pytest.raises(KeyMismatch):
        member_unlock(membership=member, password=PASSWORD)
    member.refresh_from_db()
    assert bytes(member.wrapped_org_key) == wrapped_before  # the foreign key was not made a wrap
    assert any("Unlock refused" in line for line in _errors(caplog))


def test_unlock_page_and_api_login_say_why(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org)
    swap_org_public_key(fallback_org.organisation, crypto.new_org_keypair().public_key)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert login(client, member).status_code == 302
    page = client.get("/staff/unlock/").content.decode()
    assert "failed a safety check" in page  # the banner every member of the organisation sees
    refused = client.post("/staff/unlock/", {"password": PASSWORD})
    assert refused.status_code == 200
    assert "so it was not unlocked" in refused.content.decode()
    assert settings.UNLOCK_COOKIE_NAME not in refused.cookies

    from tests.helpers import totp_code

    api = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = api.post("/api/v1/auth/login/", {"username": member.membership.user.username, "password": PASSWORD,
                                                 "otp": totp_code(member.membership.user)},
                        content_type="application/json")
    assert response.status_code == 200
    assert response.json()["key_access"] is False and response.json()["key_problem"] == "key_mismatch"


def test_recovery_code_is_checked_like_an_unlock(fallback_org: Any) -> None:
    swap_org_public_key(fallback_org.organisation, crypto.new_org_keypair().public_key)
    with pytest.raises(KeyMismatch):
        organisation_private_key_from_recovery(organisation=fallback_org.organisation,
                                               recovery_code=fallback_org.recovery_code)


def test_after_a_mismatch_an_admin_whose_key_passes_renews_it_and_sealing_resumes(
    fallback_org: Any, make_member: Any,
) -> None:
    admin = make_member(fallback_org, role=Membership.Role.PARTNER_ADMIN)
    victim = make_member(fallback_org).membership
    seal_org_key_for_member(victim, crypto.new_org_keypair().private_key, version=1)
    victim.save(update_fields=["pending_org_key", "pending_key_version"])
    with pytest.raises(KeyMismatch):
        member_unlock(membership=victim, password=PASSWORD)
    with pytest.raises(ServiceError):
        report_submit(report=ReportInput(description="refused while suspended"))
    client = logged_in(admin)
    assert "failed a safety check" in client.get("/staff/admin/").content.decode()
    assert client.post("/staff/admin/key/rotate/").status_code == 302
    assert report_submit(report=ReportInput(description="sealed to the new key")).case.pk
    victim.refresh_from_db()
    assert member_unlock(membership=victim, password=PASSWORD)  # re-granted by the rotation


def test_the_rotation_page_names_how_many_accounts_were_not_regranted(fallback_org: Any, make_member: Any) -> None:
    admin = make_member(fallback_org, role=Membership.Role.PARTNER_ADMIN)
    victim = make_member(fallback_org).membership
    swap_member_public_key(victim, crypto.new_org_keypair().public_key)
    page = logged_in(admin).post("/staff/admin/key/rotate/", follow=True).content.decode()
    assert "1 account did not get the new key" in page
    victim.refresh_from_db()
    assert not victim.has_key_access
