"""Fixtures for the reporter-side tests: a valid form submission (files: tests/helpers.py), and the
two ways a report is stored."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from reporting import abuse

# How a report without files is stored: in a transaction (SQLite, or inside an outer
# transaction), or on PostgreSQL in a request's autocommit, "at once": its rows and the hold on
# the organisation's key epoch in one statement (reporting.services.submission.store_at_once),
# which falls back to the transaction, or refuses a browser's seal, when the hold finds the
# organisation paused or its epoch rotated since the snapshot.
AT_ONCE = pytest.param("at once", id="at-once", marks=[
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement with its hold is PostgreSQL's"),
])


@pytest.fixture(params=["in a transaction", AT_ONCE])
def storing(request: Any, settings: Any) -> str:
    if request.param == "at once":
        settings.AUDIT_CHAIN_AFTER_COMMIT = True  # PostgreSQL's default; the writer runs at once
    return str(request.param)


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
