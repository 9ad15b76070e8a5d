"""Fixtures for the statistics tests: classified cases and logged-in staff clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def classify(db: None) -> Callable[..., Any]:
    """classify(case, **overrides) -> StatisticsRecord, via the real service."""
    from stats.services import classification_save

    def do(case: Any, actor: Any = None, **overrides: Any) -> Any:
        data: dict[str, Any] = {
            "incident_type": "assault",
            "motives": ["racism"],
            "area_of_life": "public_space",
            "district": "03241",
            "year": 2024,
            "month": 5,
            "channel": "online_form",
            "people_affected": 1,
        }
        data.update(overrides)
        return classification_save(actor=actor, case=case, data=data)

    return do


@pytest.fixture
def login(client: Any) -> Callable[..., Any]:
    """login(new_member) -> the test client, logged in with a verified TOTP device."""
    from django_otp import DEVICE_ID_SESSION_KEY

    def do(member: Any, the_client: Any = None) -> Any:
        c = the_client or client
        c.force_login(member.membership.user)
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = member.totp_device.persistent_id
        session.save()
        return c

    return do
