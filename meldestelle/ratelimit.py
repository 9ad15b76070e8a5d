"""Rate limits on a keyed, rotating hash of the client's identity.

The identity is the client address, or on the onion service the Tor circuit (`client_identity`).
The hash key rotates every hour (HMAC of the configured key and the hour), so a stored hash
cannot be tied to an address or circuit later; the counters end with their window.

Where the counters are kept follows the default cache:

- Redis (several hosts, REDIS_URL) or any other cache: a cache entry per counter, one atomic
  `INCR` per event, expiring with its window.
- The database cache (the one-host default): a `reporting.RateCounter` row per counter, counted
  with ONE statement, `INSERT … ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING`
  (PostgreSQL, SQLite ≥ 3.35), where Django's database cache needs six for an `incr` (get, cull
  count, BEGIN, SELECT, UPDATE, COMMIT). `hit_all` counts several counters in that one
  statement. The hourly task `reporting.tasks.clear_expired_rate_counters` removes the rows of
  ended windows; until then such a row never counts.

The key is the same either way: `rl:<scope>:<ident>:<window number>`.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.utils.module_loading import import_string

from meldestelle.db import execute_unflushed
from reporting import crypto

ROTATION_SECONDS = 3600


# What nginx's $proxy_protocol_addr holds for a Tor circuit: Tor writes the circuit id into
# the last 32 bits of an IPv6 address (fc00:dead:beef:4dad::AABB:CCDD). Anything else in the
# header (it can only come from our own proxy) is treated as if it were missing.
_CIRCUIT = re.compile(r"[0-9A-Fa-f:.]{2,64}")


def client_identity(meta: Mapping[str, Any]) -> str:
    """Whom the rate limits count: never anything a client can choose.

    - From an address in TOR_PROXY_ADDRESSES (the onion site's nginx, which connects from an
      address of its own): the Tor circuit in X-Tor-Circuit, so every circuit is counted on its
      own and no Tor user can throttle another. X-Forwarded-For is not read on this path. Without
      a circuit id (Tor not exporting it) the proxy's address, shared by all of Tor.
    - Behind the clearnet proxy (BEHIND_PROXY): the last X-Forwarded-For entry, the one our
      nginx writes (it replaces whatever the client sent).
    - Otherwise the connection's address.
    """
    remote = str(meta.get("REMOTE_ADDR", "") or "")
    if remote and remote in settings.TOR_PROXY_ADDRESSES:
        circuit = str(meta.get("HTTP_X_TOR_CIRCUIT", "") or "").strip()
        if _CIRCUIT.fullmatch(circuit):
            return f"tor-circuit:{circuit.lower()}"
        return f"tor-proxy:{remote}"
    if settings.BEHIND_PROXY:
        forwarded = str(meta.get("HTTP_X_FORWARDED_FOR", "") or "")
        return forwarded.split(",")[-1].strip() or remote
    return remote


def client_hash(address: str) -> str:
    bucket = int(time.time() // ROTATION_SECONDS)
    return crypto.keyed_hash(settings.ADDRESS_HASH_KEY, address or "-", context=f"addr:{bucket}")[:32]


def request_client(request: Any) -> str:
    """The hashed client address the middleware put on the request ("-" if there is none)."""
    return str(getattr(request, "client_hash", "") or "-")


class Counter(NamedTuple):
    """One counter an event counts against: `hit_all` takes several."""

    scope: str
    ident: str
    limit: int
    window_seconds: int


def _key(scope: str, ident: str, window: int) -> str:
    return f"rl:{scope}:{ident}:{window}"


@functools.cache
def on_database() -> bool:
    """Whether the default cache is Django's database cache: then the counters are
    `reporting.RateCounter` rows. Decided once (again when a test changes CACHES)."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    try:
        return issubclass(import_string(backend), BaseDatabaseCache)
    except ImportError:
        return False


@receiver(setting_changed)
def _cache_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        on_database.cache_clear()


def hit(scope: str, ident: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event; True while the count stays within the limit."""
    if on_database():
        return hit_all([Counter(scope, ident, limit, window_seconds)])
    return _cache_hit(scope, ident, window_seconds=window_seconds) <= limit


def hit_all(counters: Iterable[Counter]) -> bool:
    """Count one event against every counter; True when every count stays within its limit.

    Every counter is counted, also when another one is already over its limit (the answer is
    the same refusal; an event refused by one limit still counts against the others). On the
    database cache all of them are ONE statement; otherwise one cache operation each.
    """
    counters = list(counters)
    if not counters:
        return True
    if not on_database():
        counts = [_cache_hit(c.scope, c.ident, window_seconds=c.window_seconds) for c in counters]
        return all(n <= c.limit for n, c in zip(counts, counters, strict=True))
    now = time.time()
    keyed = [(_key(c.scope, c.ident, int(now // c.window_seconds)), c) for c in counters]
    stored = _database_hit(now, keyed)
    return all(stored[key] <= c.limit for key, c in keyed)


def _cache_hit(scope: str, ident: str, *, window_seconds: int) -> int:
    key = _key(scope, ident, int(time.time() // window_seconds))
    # incr first (issue 7): only the first event of a window finds no key, so the common case
    # is one cache operation (one INCR on Redis, where it is atomic) instead of add + incr.
    # The window is in the key, so a counter never outlives its window (the timeout is set by
    # whoever creates it).
    try:
        return int(cache.incr(key))
    except ValueError:
        if cache.add(key, 1, timeout=window_seconds):
            return 1
        try:  # someone else created it between our incr and add
            return int(cache.incr(key))
        except ValueError:  # and it expired or was culled at once: start again
            cache.set(key, 1, timeout=window_seconds)
            return 1


def _moment(timestamp: float) -> Any:
    """A time as the database driver takes it for a DateTimeField."""
    return connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(timestamp, tz=UTC))


def _database_hit(now: float, keyed: list[tuple[str, Counter]]) -> dict[str, int]:
    """One upsert counts every key (once per time it is named) and returns the counts.

    Each row expires at the end of its window. The conflict update starts again from the
    increment when the stored row's window has ended (it cannot, the window is in the key;
    only a clock set back could meet such a row). The rows go in key order, so two statements
    that count the same keys lock them in the same order and never deadlock (PostgreSQL). It
    is its own transaction in autocommit; inside an atomic block the rows stay locked until
    that block ends.
    """
    from reporting.models import RateCounter

    increments: dict[str, tuple[int, float]] = {}  # key: (how often named, end of its window)
    for key, counter in keyed:
        ends = float((int(now // counter.window_seconds) + 1) * counter.window_seconds)
        increments[key] = (increments.get(key, (0, 0.0))[0] + 1, ends)
    quote = connection.ops.quote_name
    table, key_col, count_col, expires_col = (
        quote(RateCounter._meta.db_table), quote("key"), quote("count"), quote("expires_at"))
    rows = sorted(increments.items())
    params: list[Any] = []
    for key, (n, expires) in rows:
        params += [key, n, _moment(expires)]
    params.append(_moment(now))
    # Only our own table and column names and placeholders go into the text.
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({key_col}, {count_col}, {expires_col}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({key_col}) DO UPDATE SET "
        f"{count_col} = CASE WHEN {table}.{expires_col} > %s "
        f"THEN {table}.{count_col} + EXCLUDED.{count_col} ELSE EXCLUDED.{count_col} END, "
        f"{expires_col} = EXCLUDED.{expires_col} "
        f"RETURNING {key_col}, {count_col}"
    )
    with connection.cursor() as cursor:
        # A count lost in a crash is harmless: its commit need not wait for the disk.
        execute_unflushed(cursor, sql, params)
        return {str(key): int(n) for key, n in cursor.fetchall()}


def count(scope: str, ident: str, *, window_seconds: int) -> int:
    now = time.time()
    key = _key(scope, ident, int(now // window_seconds))
    if on_database():
        from reporting.models import RateCounter

        found = RateCounter.objects.filter(
            key=key, expires_at__gt=datetime.fromtimestamp(now, tz=UTC)
        ).values_list("count", flat=True)
        return next(iter(found), 0)
    return int(cache.get(key) or 0)


def reset(scope: str, ident: str, *, window_seconds: int) -> None:
    key = _key(scope, ident, int(time.time() // window_seconds))
    if on_database():
        from reporting.models import RateCounter

        RateCounter.objects.filter(key=key).delete()
        return
    cache.delete(key)


def clear_expired() -> int:
    """Remove the counter rows of ended windows (the hourly task); how many were removed."""
    from reporting.models import RateCounter

    ended = RateCounter.objects.filter(expires_at__lte=datetime.fromtimestamp(time.time(), tz=UTC))
    deleted, _per_model = ended.delete()
    return deleted
