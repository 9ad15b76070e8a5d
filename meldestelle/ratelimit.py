"""Rate limits on a keyed, rotating hash of the client's identity, held only in the cache.

The identity is the client address, or on the onion service the Tor circuit (`client_identity`).
The hash key rotates every hour (HMAC of the configured key and the hour), so a stored hash
cannot be tied to an address or circuit later; the cache entries expire with their window.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache

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


def reset(scope: str, ident: str, *, window_seconds: int) -> None:
    cache.delete(f"rl:{scope}:{ident}:{int(time.time() // window_seconds)}")
