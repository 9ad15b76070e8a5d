"""The report form loads the browser's encryption module with its Subresource Integrity hash
(reporting.bundle, SPEC §3.10): Chromium runs the served script only if its bytes have that
hash. When they differ (a half-finished deploy, a tampered or stale static file) the script is
not run and the form posts to the server, which encrypts on arrival: nothing is lost. (That
the script runs when they match is tests/e2e/test_sealed_journey.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from reporting.models import Case
from reporting.services import organisation_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _send_a_report(page: Any, url: str) -> None:
    page.goto(url + "/de/report/")
    page.fill("#id_description", "Im Bus wurde ich beleidigt.")
    page.locator("#id_date_known_0").check()
    page.fill("#id_occurred_on", "2025-03-14")
    page.locator("#id_motives_0").check()
    page.locator("#id_consent").check()
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()


def test_a_served_script_that_differs_from_the_pages_hash_is_not_run_and_the_server_encrypts(
    live_server: Any, page: Any, settings: Any, tmp_path: Path,
) -> None:
    if not settings.SEAL_BUNDLE.is_file():
        pytest.fail("static_build/bundle/seal.js is missing: `make install` builds it")
    organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)
    # The page names the hash of another build than the one the static files serve.
    other_build = tmp_path / "bundle" / "seal.js"
    other_build.parent.mkdir()
    other_build.write_bytes(settings.SEAL_BUNDLE.read_bytes() + b"\n/* another build */\n")
    settings.SEAL_BUNDLE = other_build
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "integrity" in message.text else None)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)

    _send_a_report(page, live_server.url)
    assert refused, "Chromium ran a script whose hash the page did not name"
    case = Case.objects.get()
    assert case.seal_binding is None  # encrypted on the server
    assert [url.removeprefix(live_server.url) for url in sent] == ["/de/report/"]

