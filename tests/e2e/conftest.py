"""Browser journeys in real headless Chromium (Debian's), driven by Playwright for Python.

Without a Chromium the journeys skip with a message; under .ci/run, which installs it and sets
MELDESTELLE_REQUIRE_BROWSER=1, a missing browser fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the live server and the test's own
# database access are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _require_browser() -> None:
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    message = f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser journeys"
    if os.environ.get("MELDESTELLE_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def nojs_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=False, locale="ar")
    page = context.new_page()
    yield page
    context.close()
