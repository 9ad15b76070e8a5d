"""The first journey: the start page opens in a real browser, in German and in Arabic."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_start_page_opens_in_german(live_server: Any, page: Any) -> None:
    page.goto(live_server.url + "/")
    assert page.url.endswith("/de/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").first.is_visible()
    assert page.locator("a.leave-quickly, .leave-quickly").count() >= 1


def test_start_page_is_right_to_left_in_arabic(live_server: Any, page: Any) -> None:
    page.goto(live_server.url + "/ar/")
    assert page.locator("html").get_attribute("dir") == "rtl"
