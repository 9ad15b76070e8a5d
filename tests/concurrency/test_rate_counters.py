"""Many submissions at once on one rate-limit counter (meldestelle.ratelimit on the database
cache): every one is counted exactly once, and exactly `limit` of them are let through."""

from __future__ import annotations

import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from meldestelle import ratelimit
from reporting.models import RateCounter
from tests.helpers import DATABASE_CACHE

THREADS = 16
ROUNDS = 3


def _hit_at_once(limit: int) -> list[bool]:
    """THREADS threads, each on its own connection, count the global counter and one of two
    per-client counters in one statement each, all at the same moment."""
    start = threading.Barrier(THREADS)

    def hit(number: int) -> bool:
        try:
            start.wait(timeout=30)
            return ratelimit.hit_all([
                ratelimit.Counter("report-global", "all", limit, 60),
                ratelimit.Counter("report", "ab"[number % 2] * 32, THREADS, 3600),
            ])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(hit, range(THREADS)))


def _assert_counted_exactly_once(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CACHES = DATABASE_CACHE
    assert ratelimit.on_database()
    # One moment for all rounds, so no window ends part-way.
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))
    limit = THREADS // 2
    for round_number in range(1, ROUNDS + 1):
        outcomes = _hit_at_once(limit)
        assert outcomes.count(True) == (limit if round_number == 1 else 0), outcomes
        assert ratelimit.count("report-global", "all", window_seconds=60) == THREADS * round_number
        per_client = [ratelimit.count("report", c * 32, window_seconds=3600) for c in "ab"]
        assert per_client == [THREADS // 2 * round_number] * 2
    assert RateCounter.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_on_one_counter_count_each_exactly_once_on_postgresql(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level races need PostgreSQL; the SQLite variant is below")
    _assert_counted_exactly_once(settings, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_on_one_counter_count_each_exactly_once_on_sqlite(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; PostgreSQL has its own test")
    _assert_counted_exactly_once(settings, monkeypatch)
