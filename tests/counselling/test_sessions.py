"""Sessions end (SPEC §3.9; review F-10): a password change, a reset by an admin and a revoked
membership end the member's sessions (and the unlock halves they hold); expired sessions are
purged daily by `clearsessions` through a django-q2 schedule."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from counselling.access import SESSION_KEY
from counselling.models import Membership
from counselling.services import member_revoke
from counselling.tasks import clear_expired_sessions
from tests.helpers import PASSWORD, logged_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a completely new passphrase 2026"


@pytest.fixture
def team(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    org = make_org(is_fallback=True)
    return {
        "case": submit(description="Sessions-Marker").case,
        "admin": make_member(org, username="admin", role=Membership.Role.PARTNER_ADMIN),
        "member": make_member(org, username="member"),
        "colleague": make_member(org, username="colleague"),
    }


def _stored_sessions(user: Any) -> list[dict[str, Any]]:
    """The decoded sessions of the user that the store still holds."""
    return [data for data in (s.get_decoded() for s in Session.objects.all())
            if data.get("_auth_user_id") == str(user.pk)]


def _reads_case(client: Client, case: Any) -> bool:
    response = client.get(f"/staff/cases/{case.pk}/")
    return response.status_code == 200 and b"Sessions-Marker" in response.content


def test_password_change_ends_the_members_other_sessions(team: dict[str, Any]) -> None:
    member, case = team["member"], team["case"]
    here, elsewhere = logged_in(member), logged_in(member)
    colleague = logged_in(team["colleague"])
    assert len(_stored_sessions(member.membership.user)) == 2

    response = here.post("/staff/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                                              "new_password_again": NEW_PASSWORD})

    assert response.status_code == 302
    stored = _stored_sessions(member.membership.user)
    assert len(stored) == 1 and stored[0].get(SESSION_KEY)  # only this one, still unlocked
    assert _reads_case(here, case)
    assert elsewhere.get("/staff/")["Location"].startswith("/staff/login/")
    assert _reads_case(colleague, case)  # other people's sessions stay


def test_password_reset_by_an_admin_ends_the_members_sessions(team: dict[str, Any]) -> None:
    member = team["member"]
    clients = [logged_in(member), logged_in(member)]
    admin = logged_in(team["admin"])

    response = admin.post(f"/staff/admin/members/{member.membership.pk}/reset-password/")

    assert response.status_code == 200
    assert _stored_sessions(member.membership.user) == []
    for client in clients:
        assert client.get("/staff/")["Location"].startswith("/staff/login/")
    assert _reads_case(admin, team["case"])


def test_revoking_a_member_ends_their_sessions(team: dict[str, Any]) -> None:
    member = team["member"]
    client = logged_in(member)
    admin = logged_in(team["admin"])

    response = admin.post(f"/staff/admin/members/{member.membership.pk}/revoke/")

    assert response.status_code == 302
    assert _stored_sessions(member.membership.user) == []
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
    # Revoking rotated the organisation key: the admin unlocks the new one and reads on.
    assert _reads_case(logged_in(team["admin"]), team["case"])


def test_with_a_session_engine_that_cannot_be_listed_a_revoked_member_reads_nothing(
        team: dict[str, Any], settings: Any) -> None:
    """A cache-held session cannot be found by user; it still cannot open a case after revocation."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    member = team["member"]
    client = logged_in(member)
    assert _reads_case(client, team["case"])

    member_revoke(actor=team["admin"].membership.user, membership=member.membership, deactivate=False)

    assert not _reads_case(client, team["case"])


# ------------------------------------------------------------------------------ clearsessions, daily


def test_clearsessions_is_scheduled_daily(db: None) -> None:
    schedule = Schedule.objects.get(name="sessions-clear")
    assert schedule.func == "counselling.tasks.clear_expired_sessions"
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats < 0
    local = schedule.next_run.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (3, 30)


def test_schedule_migration_is_idempotent(db: None) -> None:
    from django.apps import apps

    migration = importlib.import_module("counselling.migrations.0006_sessions_clear_no_account_lock")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)
    assert Schedule.objects.filter(name="sessions-clear").count() == 1


def test_the_task_purges_expired_sessions_and_keeps_live_ones(team: dict[str, Any]) -> None:
    live = logged_in(team["member"])
    expired = SessionStore()
    expired[SESSION_KEY] = "an old unlock ciphertext"
    expired.set_expiry(timezone.now() - timedelta(minutes=1))
    expired.create()
    assert Session.objects.filter(session_key=expired.session_key).exists()

    clear_expired_sessions()

    assert not Session.objects.filter(session_key=expired.session_key).exists()
    assert _reads_case(live, team["case"])
