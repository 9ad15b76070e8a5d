"""Rate limits on a keyed, rotating hash of the client address, held only in the cache.

The hash key rotates every hour (HMAC of the configured key and the hour), so a stored hash
cannot be tied to an address later; the cache entries expire with their window.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from reporting import crypto

ROTATION_SECONDS = 3600


def client_hash(address: str) -> str:
    bucket = int(time.time() // ROTATION_SECONDS)
    return crypto.keyed_hash(settings.ADDRESS_HASH_KEY, address or "-", context=f"addr:{bucket}")[:32]


def request_client(request: Any) -> str:
    """The hashed client address the middleware put on the request ("-" if there is none)."""
    return str(getattr(request, "client_hash", "") or "-")


def hit(scope: str, ident: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event; True while the count stays within the limit."""
    key = f"rl:{scope}:{ident}:{int(time.time() // window_seconds)}"
    # incr first (issue 7): only the first event of a window finds no key, so the common case
    # is one cache operation (one INCR on Redis, where it is atomic) instead of add + incr.
    # The window is in the key, so a counter never outlives its window (the timeout is set by
    # whoever creates it).
    try:
        count = cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout=window_seconds):
            count = 1
        else:  # someone else created it between our incr and add
            try:
                count = cache.incr(key)
            except ValueError:  # and it expired or was culled at once: start again
                cache.set(key, 1, timeout=window_seconds)
                count = 1
    return count <= limit


def count(scope: str, ident: str, *, window_seconds: int) -> int:
    key = f"rl:{scope}:{ident}:{int(time.time() // window_seconds)}"
    return int(cache.get(key) or 0)
