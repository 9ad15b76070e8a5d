"""Organisation key epochs (SPEC §3.9, review F-11, F-15): rotation by command, page, schedule
and revocation; members keep access, recovery still works, and nothing that remains opens an
old epoch's grants, a shredded case's included."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from counselling.keys import org_key_rotate
from counselling.models import Membership
from counselling.services import member_revoke, member_unlock
from counselling.tasks import org_key_rotation_due_task
from reporting import crypto
from reporting.models import AuditEntry, Case, CaseGrant, Organisation, OrganisationKey
from reporting.services import (
    ReportInput,
    RotationReason,
    ServiceError,
    case_keys_for_organisation,
    case_set_status,
    case_shred,
    organisation_private_key_from_recovery,
    report_decrypt,
    report_submit,
)
from tests.helpers import (
    PASSWORD,
    logged_in,
    login,
    opens_grant,
    reachable_org_keys,
    sealed_grant_bytes,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def team(fallback_org: Any, make_member: Any) -> dict[str, Any]:
    """An organisation with a partner admin, two counsellors with key access, one without."""
    return {
        "org": fallback_org,
        "admin": make_member(fallback_org, username="admin", role=Membership.Role.PARTNER_ADMIN),
        "anna": make_member(fallback_org, username="anna"),
        "ben": make_member(fallback_org, username="ben"),
        "newbie": make_member(fallback_org, username="newbie", with_key=False),
    }


PASSWORDS = {name: PASSWORD for name in ("admin", "anna", "ben", "newbie")}


def _organisation(team: dict[str, Any]) -> Organisation:
    return Organisation.objects.get(pk=team["org"].organisation.pk)


def _reads(private_key: bytes, org: Organisation, case: Case) -> str:
    keys = case_keys_for_organisation(case=case, organisation=org, org_private_key=private_key)
    return str(report_decrypt(case=case, case_key=keys.case_key)["description"])


def _assert_rotated_cleanly(team: dict[str, Any], cases: list[Case], *, version: int) -> bytes:
    """Everyone who had key access opens the new epoch and reads every case; the recovery code
    opens it too; no wrap of an earlier epoch is left anywhere. Returns the new private key."""
    org = _organisation(team)
    assert org.current_key.version == version
    assert org.key_rotation_due_at is None
    assert set(CaseGrant.objects.filter(organisation=org).values_list("key_version", flat=True)) == {version}
    recovered = organisation_private_key_from_recovery(organisation=org, recovery_code=team["org"].recovery_code)
    # The only key anyone can still open is the new one: every old wrap is gone (looked at
    # before the members' next unlock turns their new grants into wraps).
    assert set(reachable_org_keys(org.pk, passwords=PASSWORDS, recovery_code=team["org"].recovery_code)) == {recovered}
    for name in ("admin", "anna", "ben"):
        membership = Membership.objects.get(user__username=name)
        assert member_unlock(membership=membership, password=PASSWORD) == recovered
    newbie = Membership.objects.get(user__username="newbie")
    assert not newbie.has_key_access  # a rotation gives nobody access they did not have
    for case in cases:
        assert _reads(recovered, org, case).startswith("epoch case")
    assert set(reachable_org_keys(org.pk, passwords=PASSWORDS, recovery_code=team["org"].recovery_code)) == {recovered}
    for old in OrganisationKey.objects.filter(organisation=org, version__lt=version):
        assert not old.active and old.retired_at is not None
        assert old.sealed_for_recovery is None and old.wrapped_by_recovery is None
    return recovered


def _cases(count: int = 2) -> list[Case]:
    return [report_submit(report=ReportInput(description=f"epoch case {i}")).case for i in range(count)]


# --------------------------------------------------------------------------------------------
# On demand: the command and the partner-admin page


def test_rotate_org_key_command_with_a_members_password(team: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _cases()
    monkeypatch.setenv("MELDESTELLE_PASSWORD", PASSWORD)
    out = StringIO()
    call_command("rotate_org_key", "--partner", team["org"].organisation.slug, "--username", "anna", stdout=out)
    assert "key version 2" in out.getvalue() and "2 case grants re-sealed" in out.getvalue()
    new_key = _assert_rotated_cleanly(team, cases, version=2)
    for case in cases:  # the first epoch opens nothing any more
        with pytest.raises(ServiceError):
            _reads(team["org"].private_key, _organisation(team), case)
    entry = AuditEntry.objects.get(action="reporting.organisation.key_rotated")
    assert entry.data == {"version": 2, "grants": 2, "reason": "on_demand"}
    assert entry.actor_label == "anna"
    assert new_key != team["org"].private_key


def test_rotate_org_key_command_with_the_recovery_code(team: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _cases()
    monkeypatch.setenv("MELDESTELLE_RECOVERY_CODE", team["org"].recovery_code)
    call_command("rotate_org_key", "--partner", team["org"].organisation.slug, stdout=StringIO())
    call_command("rotate_org_key", "--partner", team["org"].organisation.slug, stdout=StringIO())
    _assert_rotated_cleanly(team, cases, version=3)


def test_rotate_org_key_command_refuses_without_a_key(team: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="--username"):
        call_command("rotate_org_key", "--partner", team["org"].organisation.slug)
    monkeypatch.setenv("MELDESTELLE_RECOVERY_CODE", crypto.new_recovery_code())
    with pytest.raises(CommandError, match="recovery code does not fit"):
        call_command("rotate_org_key", "--partner", team["org"].organisation.slug)
    monkeypatch.delenv("MELDESTELLE_RECOVERY_CODE")
    monkeypatch.setenv("MELDESTELLE_PASSWORD", "not the password")
    with pytest.raises(CommandError, match="password"):
        call_command("rotate_org_key", "--partner", team["org"].organisation.slug, "--username", "anna")
    assert _organisation(team).current_key.version == 1


def test_rotation_on_the_partner_admin_page(team: dict[str, Any]) -> None:
    cases = _cases()
    admin_client = logged_in(team["admin"])
    page = admin_client.get("/staff/admin/").content.decode()
    fingerprint = crypto.public_key_fingerprint(bytes(_organisation(team).current_key.public_key))
    assert 'id="rotate-form"' in page and fingerprint in page
    # Only the partner admin; colleagues and other organisations' admins get 404.
    assert logged_in(team["anna"]).post("/staff/admin/key/rotate/").status_code == 404
    response = admin_client.post("/staff/admin/key/rotate/", follow=True)
    assert response.status_code == 200
    assert "version 2" in response.content.decode()
    _assert_rotated_cleanly(team, cases, version=2)
    # The admin's session goes on with the new key; a colleague's new login opens it too.
    assert admin_client.get(f"/staff/cases/{cases[0].pk}/").status_code == 200
    anna = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert login(anna, team["anna"]).status_code == 302
    assert b"epoch case 0" in anna.get(f"/staff/cases/{cases[0].pk}/").content


def test_rotation_page_needs_an_unlocked_session(team: dict[str, Any]) -> None:
    client = logged_in(team["admin"])
    client.cookies.pop(settings.UNLOCK_COOKIE_NAME)
    response = client.post("/staff/admin/key/rotate/")
    assert response["Location"].startswith("/staff/unlock/")
    assert _organisation(team).current_key.version == 1


def test_a_session_unlocked_before_a_rotation_is_sent_to_unlock_again(team: dict[str, Any]) -> None:
    case = _cases(1)[0]
    anna = logged_in(team["anna"])
    org_key_rotate(actor=None, organisation=_organisation(team), org_private_key=team["org"].private_key,
                   reason=RotationReason.ON_DEMAND)
    assert anna.get(f"/staff/cases/{case.pk}/")["Location"].startswith("/staff/unlock/")
    assert anna.post("/staff/unlock/", {"password": PASSWORD}).status_code == 302
    assert anna.get(f"/staff/cases/{case.pk}/").status_code == 200
    # A grant from a stale session would hand out the old key: it is refused.
    admin = logged_in(team["admin"])
    stale = logged_in(team["ben"])
    org_key_rotate(actor=None, organisation=_organisation(team),
                   org_private_key=member_unlock(membership=Membership.objects.get(user__username="admin"),
                                                 password=PASSWORD),
                   reason=RotationReason.ON_DEMAND)
    newbie = Membership.objects.get(user__username="newbie")
    assert admin.post(f"/staff/admin/members/{newbie.pk}/grant/")["Location"].startswith("/staff/unlock/")
    newbie.refresh_from_db()
    assert not newbie.has_key_access
    assert stale.get(f"/staff/cases/{case.pk}/")["Location"].startswith("/staff/unlock/")


# --------------------------------------------------------------------------------------------
# Revoking a member rotates


def test_revoking_a_member_on_the_page_rotates_and_the_revoked_wrap_opens_nothing_new(team: dict[str, Any]) -> None:
    cases = _cases()
    ben = Membership.objects.get(user__username="ben")
    # What ben could have copied before: his wrap, and with his password the key it holds.
    bens_key = member_unlock(membership=ben, password=PASSWORD)
    admin_client = logged_in(team["admin"])
    response = admin_client.post(f"/staff/admin/members/{ben.pk}/revoke/", follow=True)
    assert "renewed" in response.content.decode()
    org = _organisation(team)
    assert org.current_key.version == 2
    late = report_submit(report=ReportInput(description="epoch case after the revocation")).case
    for case in [*cases, late]:
        with pytest.raises(ServiceError):
            _reads(bens_key, org, case)
    passwords = {name: PASSWORD for name in ("admin", "anna")}
    [new_key] = set(reachable_org_keys(org.pk, passwords=passwords, recovery_code=team["org"].recovery_code))
    assert _reads(new_key, org, late) == "epoch case after the revocation"
    ben.refresh_from_db()
    assert not ben.has_key_access and not ben.user.is_active
    entry = AuditEntry.objects.get(action="reporting.organisation.key_rotated")
    assert entry.data["reason"] == "member_revoked"


def test_revoking_without_an_unlocked_key_rotates_at_the_next_unlock(team: dict[str, Any]) -> None:
    cases = _cases()
    member_revoke(actor=None, membership=Membership.objects.get(user__username="ben"))
    org = _organisation(team)
    assert org.key_rotation_due_at is not None and org.current_key.version == 1
    due = AuditEntry.objects.get(action="reporting.organisation.key_rotation_due")
    assert due.data == {"version": 1, "reason": "member_revoked"}
    anna = Membership.objects.get(user__username="anna")
    new_key = member_unlock(membership=anna, password=PASSWORD)  # the next unlock rotates
    org = _organisation(team)
    assert org.current_key.version == 2 and org.key_rotation_due_at is None
    assert _reads(new_key, org, cases[0]) == "epoch case 0"
    anna.refresh_from_db()
    assert anna.org_key_version == 2 and anna.pending_org_key is None  # her own grant became a wrap
    assert AuditEntry.objects.get(action="reporting.organisation.key_rotated").data["reason"] == "at_unlock"


# --------------------------------------------------------------------------------------------
# The schedule: mark due, tell the partner admins, rotate at the next unlock


def test_daily_schedule_marks_old_keys_due_mails_the_partner_admins_and_the_next_login_rotates(
    team: dict[str, Any], make_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    cases = _cases()
    young = make_org("young")
    make_member(young, username="young-admin", role=Membership.Role.PARTNER_ADMIN)
    OrganisationKey.objects.filter(organisation=team["org"].organisation).update(
        created_at=timezone.now() - timedelta(days=settings.ORG_KEY_ROTATION_DAYS, minutes=1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert org_key_rotation_due_task() == [team["org"].organisation.pk]
    assert [message.to for message in mail.outbox] == [["admin@example.org"]]
    message = mail.outbox[0]
    assert "/staff/admin/" in message.body
    for case in cases:
        assert case.reference not in message.body + message.subject
    assert not re.search(r"[0-9]", message.subject)
    assert Organisation.objects.get(pk=young.organisation.pk).key_rotation_due_at is None
    # Marked once: the next day's run mails nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert org_key_rotation_due_task() == []
    assert len(mail.outbox) == 1
    assert _organisation(team).current_key.version == 1  # the server cannot rotate by itself
    # The next login of any member rotates.
    anna = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert login(anna, team["anna"]).status_code == 302
    _assert_rotated_cleanly(team, cases, version=2)
    assert b"epoch case 1" in anna.get(f"/staff/cases/{cases[1].pk}/").content


def test_the_schedule_exists_after_migrate() -> None:
    schedule = Schedule.objects.get(name="org-key-rotation")
    assert schedule.func == "counselling.tasks.org_key_rotation_due_task"
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats < 0
    local = schedule.next_run.astimezone(BERLIN)
    assert (local.hour, local.minute) == (4, 30)
    migration = importlib.import_module("counselling.migrations.0008_org_key_rotation_schedule")
    migration.create_schedule(apps, None)
    assert Schedule.objects.filter(name="org-key-rotation").count() == 1


def test_no_rotation_is_marked_when_the_setting_is_zero(team: dict[str, Any], settings: Any) -> None:
    settings.ORG_KEY_ROTATION_DAYS = 0
    OrganisationKey.objects.update(created_at=timezone.now() - timedelta(days=4000))
    assert org_key_rotation_due_task() == []


# --------------------------------------------------------------------------------------------
# What a rotation re-seals, and organisations made before key epochs


def test_closed_cases_are_resealed_and_stay_readable(team: dict[str, Any]) -> None:
    open_case, closed_case = _cases()
    case_set_status(actor=None, case=closed_case, status="closed")
    result = org_key_rotate(actor=None, organisation=_organisation(team), org_private_key=team["org"].private_key,
                            reason=RotationReason.ON_DEMAND)
    assert result.rotated.resealed_grants == 2
    for case in (open_case, closed_case):
        assert _reads(result.rotated.private_key, _organisation(team), case).startswith("epoch case")


def test_an_organisation_from_before_key_epochs_needs_its_recovery_code_once(
    team: dict[str, Any], django_capture_on_commit_callbacks: Any,
) -> None:
    cases = _cases()
    org = _organisation(team)
    # As such an organisation was stored: no recovery public key, an AES wrap under the code.
    key = org.current_key
    key.wrapped_by_recovery = crypto.wrap_key(
        crypto.recovery_kek(team["org"].recovery_code, organisation_id=org.pk), team["org"].private_key,
        owner=f"org:{org.pk}:v1", purpose="recovery-wrap",
    )
    key.sealed_for_recovery = None
    key.save()
    Organisation.objects.filter(pk=org.pk).update(recovery_public_key=None, recovery_public_key_mac="")
    org = _organisation(team)
    with pytest.raises(ServiceError) as refused:
        org_key_rotate(actor=None, organisation=org, org_private_key=team["org"].private_key,
                       reason=RotationReason.ON_DEMAND)
    assert refused.value.code == "recovery_setup_needed"
    # Due, but the unlock cannot rotate without the code: it unlocks and the key stays due.
    Organisation.objects.filter(pk=org.pk).update(key_rotation_due_at=timezone.now())
    anna = Membership.objects.get(user__username="anna")
    assert member_unlock(membership=anna, password=PASSWORD) == team["org"].private_key
    page = logged_in(team["admin"]).get("/staff/admin/").content.decode()
    assert 'name="recovery_code"' in page
    with pytest.raises(ServiceError) as refused:
        org_key_rotate(actor=None, organisation=org, org_private_key=team["org"].private_key,
                       reason=RotationReason.ON_DEMAND, recovery_code=crypto.new_recovery_code())
    assert refused.value.code == "invalid_recovery_code"
    admin_client = logged_in(team["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/staff/admin/key/rotate/", {"recovery_code": team["org"].recovery_code})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="reporting.organisation.recovery_key_set").exists()
    _assert_rotated_cleanly(team, cases, version=2)
    assert 'name="recovery_code"' not in admin_client.get("/staff/admin/").content.decode()


# --------------------------------------------------------------------------------------------
# A shredded case: its sealed grant, copied from the table before shredding, opens for nobody
# after the next rotation (review F-11). Runs on SQLite and on PostgreSQL.


def test_shredded_grant_bytes_open_with_no_remaining_key_after_the_next_rotation(team: dict[str, Any]) -> None:
    kept, shredded = _cases()
    copied = sealed_grant_bytes(shredded.pk)  # what a copy of the table files holds
    assert len(copied) == 1
    org = _organisation(team)
    recovery_code = team["org"].recovery_code
    before = reachable_org_keys(org.pk, passwords=PASSWORDS, recovery_code=recovery_code)
    assert before and all(opens_grant(key, copied[0]) for key in before)

    case_shred(actor=None, case=shredded, reason="reporter")
    assert not CaseGrant.objects.filter(case_id=shredded.pk).exists()
    # The remnant still opens with the epoch's key: this is why epochs exist.
    assert any(opens_grant(key, copied[0]) for key in
               reachable_org_keys(org.pk, passwords=PASSWORDS, recovery_code=recovery_code))

    org_key_rotate(actor=None, organisation=org, org_private_key=team["org"].private_key,
                   reason=RotationReason.ON_DEMAND)
    after = reachable_org_keys(org.pk, passwords=PASSWORDS, recovery_code=recovery_code)
    assert after  # members and recovery hold the new epoch...
    assert _reads(after[0], _organisation(team), kept) == "epoch case 0"  # ...which reads the kept case
    assert not any(opens_grant(key, copied[0]) for key in after)  # ...and no key opens the remnant
