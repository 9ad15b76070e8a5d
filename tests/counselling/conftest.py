"""Staff-side helpers: TOTP codes and logging in through the real login form."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from counselling.models import Membership
from counselling.services import NewMember
from tests.conftest import PASSWORD


def totp_code(user: Any) -> str:
    """The current code of the user's device; the next step's if the current one is used up.

    django-otp accepts each time step once (`last_t`), so a second login within 30 seconds
    needs the following step's code (inside the device's tolerance of one step).
    """
    device = TOTPDevice.objects.get(user=user)
    current = (int(time.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - current)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + ahead)
    return f"{token:0{device.digits}d}"


def login(client: Client, member: NewMember | Any, password: str = PASSWORD) -> Any:
    user = member.membership.user if isinstance(member, NewMember) else member
    return client.post("/staff/login/", {"username": user.username, "password": password, "otp": totp_code(user)})


def logged_in(member: NewMember | Any) -> Client:
    """A test client with a staff session (password, TOTP and unlock) for `member`."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = login(client, member)
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def staff_client() -> Callable[[NewMember], Client]:
    return logged_in


def case_world(make_org: Any, make_member: Any, submit: Any, **report: Any) -> dict[str, Any]:
    """One case of organisation "home" and everyone who may or may not see it."""
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    submitted = submit(motives=["racism"], **report)
    superuser = make_member(home, username="root", role=Membership.Role.COORDINATOR)
    superuser.membership.user.is_superuser = True
    superuser.membership.user.is_staff = True
    superuser.membership.user.save()
    return {
        "home": home, "other": other, "case": submitted.case, "receipt": submitted.receipt_code,
        "owner": make_member(home, username="owner"), "colleague": make_member(home, username="colleague"),
        "outsider": make_member(other, username="outsider"),
        "coordinator": make_member(None, username="coord", role=Membership.Role.COORDINATOR),
        "superuser": superuser,
    }
