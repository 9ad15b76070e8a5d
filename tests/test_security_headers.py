"""Hardened defaults (issue 6): a strict CSP the pages actually keep to (no inline script, style
or event handler, in the templates and in the rendered pages), HSTS and secure cookies with the
production settings, a restrictive Permissions-Policy, nosniff, and error pages that are
translated and reveal nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from stats.svgmap import district_map_svg
from stats.tables import district_keys
from tests.helpers import PASSWORD, totp_code

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class InlineFinder(HTMLParser):
    """Everything a strict CSP would block or that needs 'unsafe-inline' to work."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _value in attrs}
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        self.problems += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")


def inline_problems(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


# --------------------------------------------------------------------------------------------
# Content-Security-Policy


def test_csp_setting_is_strict() -> None:
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for name in ("script-src", "style-src", "default-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(directives[name]), name
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]


@pytest.mark.django_db
def test_csp_header_is_sent_and_strict(client: Client) -> None:
    directives = _csp(client.get("/de/"))
    assert "'unsafe-inline'" not in directives["script-src"] + directives["style-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]


# The tag finder itself: each of these must be reported.
@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>", '<p style="color:red">x</p>', "<style>p{}</style>",
    '<button onclick="x()">x</button>', '<a href="javascript:void(0)">x</a>', "<img onerror=x src=y>",
])
def test_inline_finder_finds(html: str) -> None:
    assert inline_problems(html)


def test_inline_finder_allows_external_script() -> None:
    assert inline_problems('<script src="/static/js/x.js" defer></script><p class="a">style=x</p>') == []


@pytest.mark.parametrize("path", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_template_has_no_inline_script_style_or_handler(path: str) -> None:
    source = (TEMPLATES / path).read_text(encoding="utf-8")
    # Template tags may sit inside attributes; the patterns are on the raw source.
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>\s*[^<\s]", source), "inline <script>"
    assert not re.search(r"<style\b", source, re.IGNORECASE), "<style> element"
    assert not re.search(r"\sstyle\s*=", source, re.IGNORECASE), "style= attribute"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", source, re.IGNORECASE), "on*= event handler"
    assert "javascript:" not in source.lower()


@pytest.fixture
def rendered_pages(fallback_org: Any, make_member: Any, submit: Any) -> dict[str, str]:
    from reporting import abuse

    receipt = submit().receipt_code
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pages: dict[str, Any] = {}
    for name, path in [
        ("start", "/de/"), ("start-ar", "/ar/"), ("report", "/de/report/"), ("report-ar", "/ar/report/"),
        ("followup", "/de/followup/"), ("privacy", "/de/privacy/"), ("help", "/de/help/"),
        ("statistics", "/de/statistics/"), ("staff-login", "/staff/login/"), ("not-found", "/de/nothing-here/"),
    ]:
        pages[name] = client.get(path)
    form = {"form_ts": abuse.form_timestamp(), "incident_type": "", "description": "", "consent": ""}
    pages["report-with-errors"] = client.post("/de/report/", form)
    pages["followup-case"] = client.post("/de/followup/", {"receipt": receipt})
    pages["followup-delete"] = client.post("/de/followup/delete/", {"receipt": receipt})
    pages["followup-wrong-code"] = client.post("/de/followup/", {"receipt": "AAAA-BBBB-CCCC-DDDD"})
    member = make_member(fallback_org)
    user = member.membership.user
    client.post("/staff/login/", {"username": user.username, "password": PASSWORD, "otp": totp_code(user)})
    pages["staff-inbox"] = client.get("/staff/")
    for name, response in pages.items():
        assert response.status_code in (200, 400, 404), (name, response.status_code)
        assert response["Content-Type"].startswith("text/html"), name
    assert pages["report-with-errors"].status_code == 400
    assert b"/staff/login/" not in pages["staff-inbox"].content or pages["staff-inbox"].status_code == 200
    return {name: response.content.decode() for name, response in pages.items()}


@pytest.mark.django_db
def test_rendered_pages_have_no_inline_script_style_or_handler(rendered_pages: dict[str, str]) -> None:
    problems = {name: inline_problems(html) for name, html in rendered_pages.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_svg_map_uses_classes_not_style() -> None:
    values = {ags: (None if i % 7 == 0 else i) for i, ags in enumerate(district_keys())}
    svg = district_map_svg(values, title="Map", suppressed_label="fewer than 3")
    assert inline_problems(svg) == []
    assert not re.search(r"\sstyle\s*=", svg) and "<style" not in svg


# --------------------------------------------------------------------------------------------
# Transport and cookies with the production settings


@pytest.mark.django_db
def test_hsts_with_production_settings(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/de/", secure=True)
    assert response.status_code == 200
    hsts = response["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert "Strict-Transport-Security" not in Client().get("/de/")  # never over plain HTTP


@pytest.mark.django_db
def test_plain_http_is_redirected_with_production_settings(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/de/privacy/")
    assert response.status_code == 301 and response["Location"].startswith("https://")


@pytest.mark.django_db
def test_cookies_are_secure_httponly_and_samesite(settings: Any, fallback_org: Any, make_member: Any) -> None:
    settings.SECURE_COOKIES = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    user = make_member(fallback_org).membership.user
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    csrf = client.get("/staff/login/", secure=True).cookies[settings.CSRF_COOKIE_NAME]
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD,
                                             "otp": totp_code(user)}, secure=True)
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    unlock = response.cookies[settings.UNLOCK_COOKIE_NAME]
    expected = [
        (csrf, settings.CSRF_COOKIE_SAMESITE, settings.CSRF_COOKIE_HTTPONLY),
        (session, settings.SESSION_COOKIE_SAMESITE, True),
        (unlock, "Strict", True),
    ]
    for cookie, samesite, httponly in expected:
        assert cookie["secure"] is True, cookie.key
        assert bool(cookie["httponly"]) is httponly is True, cookie.key
        assert cookie["samesite"] == samesite, cookie.key
    assert settings.CSRF_COOKIE_SAMESITE == "Strict" and settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


@pytest.mark.django_db
def test_reporter_pages_set_no_session_cookie(client: Client) -> None:
    """Reporters get no session; only the forms' CSRF cookie."""
    for path in ("/de/", "/de/report/", "/de/followup/", "/de/privacy/"):
        assert set(client.get(path).cookies) <= {settings.CSRF_COOKIE_NAME}, path


# --------------------------------------------------------------------------------------------
# Other headers


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/de/", "/de/report/", "/staff/login/", "/api/v1/taxonomy/", "/de/nothing-here/"])
def test_security_headers_on_every_kind_of_response(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
    policy = {
        part.split("=", 1)[0].strip(): part.split("=", 1)[1].strip()
        for part in response["Permissions-Policy"].split(",")
    }
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()", feature
    assert "*" not in response["Permissions-Policy"]
    assert "Content-Security-Policy" in response


# --------------------------------------------------------------------------------------------
# Error pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "ar"])
def test_404_is_translated_and_reveals_nothing(client: Client, language: str) -> None:
    response = client.get(f"/{language}/no/such/page/?q=<b>x</b>")
    assert response.status_code == 404
    html = response.content.decode()
    with translation.override(language):
        title = gettext("Page not found")
        text = gettext("This page does not exist or is not visible to you.")
    assert title != "Page not found" and title in html  # from the catalogue, not the English source
    assert text in html
    assert f'lang="{language}"' in html
    if language == "ar":
        assert 'dir="rtl"' in html
    for leak in ("Traceback", "urlpatterns", "URLconf", "DEBUG", "settings.py", str(settings.BASE_DIR),
                 "meldestelle.urls", "SECRET", "<b>x</b>", "Django"):
        assert leak not in html, leak
    assert inline_problems(html) == []


@pytest.mark.django_db
def test_api_404_is_json_and_reveals_nothing(client: Client) -> None:
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert b"Traceback" not in response.content and str(settings.BASE_DIR).encode() not in response.content


@pytest.mark.django_db
def test_500_page_reveals_nothing(settings: Any) -> None:
    from django.test import RequestFactory

    from meldestelle.views import server_error

    with translation.override("ar"):
        request = RequestFactory().get("/ar/")
        html = server_error(request).content.decode()
        assert gettext("Something went wrong on our side") in html
    assert "Traceback" not in html and str(settings.BASE_DIR) not in html
