"""Who the rate limits count (SPEC §4.4, issue 13): an address, or on the onion service a Tor
circuit, and never what a client says about itself. Only a keyed, rotating hash is kept.

The end-to-end version, with Debian's nginx and the PROXY protocol, is tests/test_onion_nginx.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from meldestelle.middleware import NoClientAddressMiddleware
from meldestelle.ratelimit import client_hash, client_identity
from tests.helpers import post_json

PROXY = "127.0.0.2"
CIRCUIT_A = "fc00:dead:beef:4dad::0:1001"
CIRCUIT_B = "fc00:dead:beef:4dad::0:2002"


@pytest.fixture(autouse=True)
def onion(settings: Any) -> None:
    settings.TOR_PROXY_ADDRESSES = frozenset({PROXY})
    settings.BEHIND_PROXY = True


def meta(remote: str, **headers: str) -> dict[str, str]:
    return {"REMOTE_ADDR": remote, **{f"HTTP_{name.upper()}": value for name, value in headers.items()}}


def test_onion_requests_are_counted_by_circuit_and_never_by_x_forwarded_for() -> None:
    a = client_identity(meta(PROXY, x_tor_circuit=CIRCUIT_A))
    assert a != client_identity(meta(PROXY, x_tor_circuit=CIRCUIT_B))
    assert a == client_identity(meta(PROXY, x_tor_circuit=CIRCUIT_A, x_forwarded_for="198.51.100.7"))
    # no circuit id (Tor not exporting it): all of Tor is one client, never one it chose
    shared = client_identity(meta(PROXY, x_forwarded_for="198.51.100.7"))
    assert shared == client_identity(meta(PROXY, x_forwarded_for="198.51.100.8"))
    assert shared == client_identity(meta(PROXY, x_tor_circuit="<script>"))


def test_a_circuit_header_from_anywhere_else_is_ignored() -> None:
    clearnet = client_identity(meta("127.0.0.1", x_forwarded_for="198.51.100.7", x_tor_circuit=CIRCUIT_A))
    assert clearnet == client_identity(meta("127.0.0.1", x_forwarded_for="198.51.100.7", x_tor_circuit=CIRCUIT_B))
    assert clearnet == "198.51.100.7"  # behind the clearnet proxy: the entry our nginx wrote


def test_the_circuit_is_removed_from_the_request_and_only_a_rotating_hash_is_kept() -> None:
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update(request.META)
        seen["client_hash"] = request.client_hash  # type: ignore[attr-defined]
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_TOR_CIRCUIT=CIRCUIT_A)
    NoClientAddressMiddleware(view)(request)
    assert CIRCUIT_A not in {str(value) for value in seen.values()}
    assert seen["client_hash"] == client_hash(f"tor-circuit:{CIRCUIT_A}")
    assert "1001" not in seen["client_hash"]


@pytest.mark.django_db
def test_wrong_codes_leave_no_circuit_in_the_cache(client: Any) -> None:
    for _ in range(3):
        post_json(client, "/api/v1/followup/", {"receipt": "AAAA-BBBB-CCCC-DDDD"},
                  REMOTE_ADDR=PROXY, HTTP_X_TOR_CIRCUIT=CIRCUIT_A)
    # The local-memory cache of the tests: its keys, and values that are counters.
    stored = " ".join(str(key) for key in cache._cache)  # type: ignore[attr-defined]
    assert "followup-fail" in stored
    assert CIRCUIT_A not in stored and "1001" not in stored and "dead:beef" not in stored
