"""Site-wide behaviour: language prefixes, headers, health, error pages."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("accept", "landing"), [
    ("tr-TR,tr;q=0.9,en;q=0.5", "/tr/"),
    ("ar", "/ar/"),
    ("fa-IR", "/fa/"),
    ("fr-FR,fr;q=0.9", "/de/"),  # none of the seven: German
    ("", "/de/"),
])
def test_root_follows_the_browsers_language(accept: str, landing: str) -> None:
    from django.test import Client

    response = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/")
    assert response.status_code == 302
    assert response["Location"] == landing
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("code", ["de", "en", "ar", "tr", "uk", "ru", "fa"])
def test_start_page_in_every_language(client: Any, code: str) -> None:
    response = client.get(f"/{code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{code}"' in html
    assert ('dir="rtl"' in html) == (code in ("ar", "fa"))


def test_security_headers(client: Any) -> None:
    response = client.get("/de/")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_unknown_page_is_a_translated_404(client: Any) -> None:
    response = client.get("/de/does-not-exist/")
    assert response.status_code == 404


def test_unknown_api_path_is_json_404(client: Any) -> None:
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_health_reports_database_queue_and_store(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "queue": "ok", "store": "ok"}


def test_language_switcher_links_every_language_on_reporter_pages(client: Any) -> None:
    html = client.get("/de/report/").content.decode()
    assert 'class="lang-switch"' in html
    for code in ("en", "ar", "tr", "uk", "ru", "fa"):
        assert f'href="/{code}/report/"' in html


def test_staff_pages_follow_the_browser_language_without_a_switcher(client: Any) -> None:
    html = client.get("/staff/login/").content.decode()
    assert 'class="lang-switch"' not in html
