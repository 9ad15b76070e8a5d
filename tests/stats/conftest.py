"""Fixtures for the statistics tests: classified cases (logging in: tests/helpers.logged_in)."""

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
