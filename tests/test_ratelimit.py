"""Rate-limit counters (meldestelle.ratelimit): on the one-host default, the database cache, one
upsert into `reporting.RateCounter` counts a submission's limits; on Redis one INCR each. The
same behaviour on both, and the rows of ended windows go with the hourly task.

The test settings use the local-memory cache; these tests switch to the database cache (and to
Redis on 127.0.0.1:6379 where it runs), so the database counters run on SQLite and, with
DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import secrets
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from meldestelle import ratelimit
from reporting import abuse
from reporting.models import Case, RateCounter
from reporting.tasks import clear_expired_rate_counters
from tests.helpers import DATABASE_CACHE, REPORTS, assert_error, post_json, report

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/6"  # below the databases tests/test_production.py claims
CLIENT = "c" * 32
# A moment 10 s into a minute and into an hour.
T0 = 1_800_000_010.0


class Clock:
    """time.time() as meldestelle.ratelimit sees it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def database_counters(settings: Any) -> None:
    """The one-host default: the database cache, so the counters are RateCounter rows."""
    settings.CACHES = DATABASE_CACHE
    # Whatever else a request keeps in the cache needs the cache's table (rolled back after).
    call_command("createcachetable", verbosity=0)
    assert ratelimit.on_database()


@pytest.fixture
def redis_counters(settings: Any) -> Iterator[None]:
    """Redis as the cache (several hosts), under a key prefix of this test's own; skipped where
    no Redis runs on 127.0.0.1:6379."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")
    prefix = f"meldestelle-test-rl-{secrets.token_hex(6)}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    assert not ratelimit.on_database()
    try:
        yield
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture(params=["database", "redis"])
def counters(request: pytest.FixtureRequest) -> str:
    """Each behaviour test runs on the database counters and on Redis."""
    request.getfixturevalue(f"{request.param}_counters")
    return str(request.param)


# ------------------------------------------------------------------------------ the submission


def test_the_submission_limits_are_enforced_on_the_database_counters(
    database_counters: None, client: Any, fallback_org: Any, settings: Any
) -> None:
    settings.REPORT_RATE_PER_HOUR = 2
    settings.REPORT_GLOBAL_RATE_PER_MINUTE = 4
    first, second = "198.51.100.1", "198.51.100.2"
    for _ in range(2):
        assert post_json(client, REPORTS, report(), REMOTE_ADDR=first).status_code == 201
    error = assert_error(post_json(client, REPORTS, report(), REMOTE_ADDR=first), 429, "throttled")
    assert "Nothing was stored" in error["message"]
    assert Case.objects.count() == 2
    # Another address has its own hourly limit, but everyone shares the global one (the
    # refused submission counted too: four this minute).
    assert post_json(client, REPORTS, report(), REMOTE_ADDR=second).status_code == 201
    assert_error(post_json(client, REPORTS, report(), REMOTE_ADDR="198.51.100.3"), 429, "throttled")
    assert Case.objects.count() == 3
    # The counters are rows, keyed by the hourly client hash, never the address.
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert any(key.startswith("rl:report-global:all:") for key in keys)
    assert not any(address in key for key in keys for address in (first, second))
    assert ratelimit.count("report-global", "all", window_seconds=60) == 5


def test_counting_a_submissions_limits_is_one_statement_on_the_database_cache(database_counters: None) -> None:
    for solved_pow in (True, False):
        with CaptureQueriesContext(connection) as queries:
            assert abuse.submission_allowed(CLIENT, solved_pow=solved_pow)
        assert len(queries) == 1, [query["sql"] for query in queries]
        assert "ON CONFLICT" in queries[0]["sql"] and "RETURNING" in queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        assert ratelimit.hit("followup-fail", CLIENT, limit=5, window_seconds=600)
    assert len(queries) == 1


def test_the_stricter_limit_without_proof_of_work_refuses_on_the_database_counters(
    database_counters: None, settings: Any
) -> None:
    settings.REPORT_RATE_PER_HOUR_NO_POW = 1
    assert abuse.submission_allowed(CLIENT, solved_pow=False)
    assert not abuse.submission_allowed(CLIENT, solved_pow=False)
    assert abuse.submission_allowed(CLIENT, solved_pow=True)  # with a solved puzzle: the normal limit
    assert ratelimit.count("report", CLIENT, window_seconds=3600) == 3
    assert ratelimit.count("report-nopow", CLIENT, window_seconds=3600) == 2


# ------------------------------------------------------------------------------ the same on both caches


def test_a_counter_counts_refuses_over_its_limit_and_resets(counters: str, clock: Clock) -> None:
    assert ratelimit.count("followup-fail", CLIENT, window_seconds=600) == 0
    assert [ratelimit.hit("followup-fail", CLIENT, limit=2, window_seconds=600) for _ in range(3)] == [
        True, True, False]
    assert ratelimit.count("followup-fail", CLIENT, window_seconds=600) == 3
    assert ratelimit.count("followup-fail", "d" * 32, window_seconds=600) == 0
    ratelimit.reset("followup-fail", CLIENT, window_seconds=600)
    assert ratelimit.count("followup-fail", CLIENT, window_seconds=600) == 0
    assert ratelimit.hit("followup-fail", CLIENT, limit=2, window_seconds=600)
    assert (RateCounter.objects.count() == 1) is (counters == "database")


def test_hit_all_counts_every_counter_and_refuses_when_one_is_over(counters: str, clock: Clock) -> None:
    both = [ratelimit.Counter("report-global", "all", 3, 60), ratelimit.Counter("report", CLIENT, 1, 3600)]
    assert ratelimit.hit_all(both)
    assert not ratelimit.hit_all(both)  # the hourly one is over; the global one counts on
    assert ratelimit.count("report-global", "all", window_seconds=60) == 2
    assert ratelimit.count("report", CLIENT, window_seconds=3600) == 2
    # A counter named twice counts twice.
    twice = [ratelimit.Counter("report", "e" * 32, 1, 3600)] * 2
    assert not ratelimit.hit_all(twice)
    assert ratelimit.count("report", "e" * 32, window_seconds=3600) == 2
    assert ratelimit.hit_all([])


def test_a_window_that_ended_starts_from_zero_again(counters: str, clock: Clock) -> None:
    for _ in range(3):
        ratelimit.hit("report-global", "all", limit=2, window_seconds=60)
    assert not ratelimit.hit("report-global", "all", limit=2, window_seconds=60)
    clock.now += 49  # 59 s into the minute: the same window
    assert ratelimit.count("report-global", "all", window_seconds=60) == 4
    clock.now += 1  # the next minute
    assert ratelimit.count("report-global", "all", window_seconds=60) == 0
    assert ratelimit.hit("report-global", "all", limit=2, window_seconds=60)
    assert ratelimit.count("report-global", "all", window_seconds=60) == 1


def test_a_row_whose_window_ended_never_counts(database_counters: None, clock: Clock) -> None:
    """Only a clock set back could meet one (the window is in the key); it starts from zero."""
    key = f"rl:report:{CLIENT}:{int(T0 // 3600)}"
    RateCounter.objects.create(key=key, count=99, expires_at=datetime.fromtimestamp(T0 - 1, tz=UTC))
    assert ratelimit.count("report", CLIENT, window_seconds=3600) == 0
    assert ratelimit.hit("report", CLIENT, limit=1, window_seconds=3600)
    row = RateCounter.objects.get(key=key)
    assert row.count == 1
    assert row.expires_at == datetime.fromtimestamp((int(T0 // 3600) + 1) * 3600, tz=UTC)


# ------------------------------------------------------------------------------ clean-up


def test_the_hourly_task_removes_the_rows_of_ended_windows(database_counters: None, clock: Clock) -> None:
    schedule = Schedule.objects.get(name="rate-counters-clear")  # created by the migration
    assert schedule.func == "reporting.tasks.clear_expired_rate_counters"
    assert schedule.schedule_type == Schedule.HOURLY
    ratelimit.hit("report-global", "all", limit=9, window_seconds=60)
    ratelimit.hit("report", CLIENT, limit=9, window_seconds=3600)
    clock.now += 60  # the minute ended, the hour not

    assert clear_expired_rate_counters() == 1

    assert list(RateCounter.objects.values_list("key", flat=True)) == [f"rl:report:{CLIENT}:{int(T0 // 3600)}"]
    assert ratelimit.count("report", CLIENT, window_seconds=3600) == 1
    clock.now += 3600
    assert clear_expired_rate_counters() == 1
    assert not RateCounter.objects.exists()
