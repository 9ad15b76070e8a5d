"""Fixtures for the reporter-side HTTP tests: a valid form submission (files: tests/helpers.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from reporting import abuse


@pytest.fixture
def form_data() -> Callable[..., dict[str, Any]]:
    """A complete, valid HTML form submission; keyword arguments override fields."""

    def build(**overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "form_ts": abuse.form_timestamp(time.time() - 60),
            "challenge": "",
            "nonce": "",
            "homepage": "",
            "incident_type": "offensive_behaviour",
            "description": "Someone shouted at us at the bus stop.",
            "date_known": "month",
            "occurred_month_month": "03",
            "occurred_month_year": "2025",
            "district": "03241",
            "area_of_life": "transport",
            "motives": ["racism", "xenophobia"],
            "role": "affected",
            "contact": "mailbox",
            "consent": "on",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build
