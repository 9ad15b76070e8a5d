"""No 500 for any malformed id (SPEC §7; issue 12 item 6; review F-17).

Every URL pattern the resolver knows is requested with each of its parameters replaced by hostile
values (not numbers, numbers beyond any column, UUID-like garbage, Unicode, NUL and other escapes),
the other parameters kept valid, as an anonymous visitor and as a counsellor of the organisation
that holds the case (unlocked, so the requests reach the views' own code). A second pass sends the
same values in the query parameters the pages read. Nothing may answer 5xx.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from counselling.models import Membership
from counselling.replies import reply_template_save
from reporting.services import FileInput, help_service_save
from stats.services import classification_save, statistics_publish
from tests.helpers import logged_in, url_patterns

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
YEAR = 2024

# Already percent-encoded where the character cannot stand in a URL as it is.
HOSTILE = [
    "zzz", "abc123", "-1", "0", "1.5", "1e9", "0x1f", " 7", "7%20",
    str(2**31), str(2**63), str(2**64), "9" * 30, "9" * 400,
    "00000000-0000-0000-0000-000000000000", "0" * 32, "f" * 31 + "g", "ffffffff-ffff-ffff-ffff-fffffffffff",
    "%7Bd2a4b6c8-0000-0000-0000-000000000000%7D", "d2a4b6c8_0000_0000_0000_000000000000",
    "%00", "1%00", "%ff%fe", "%C3%A4", "%E2%98%83", "%F0%9F%92%A9", "%E2%80%AE", "%EF%BC%91%EF%BC%92",
    "..", "%2e%2e", "%2F", "%5C", "%27%20OR%201%3D1--", "%3Cscript%3E", "%25", "%0d%0aSet-Cookie:x=1",
]
# The query pass renders whole pages (statistics, the case): a smaller set of the same kinds.
QUERY_HOSTILE = ["zzz", "-1", "0", "1.5", str(2**64), "9" * 400, "%00", "%ff%fe", "%E2%98%83", "%2F",
                 "%0d%0aSet-Cookie:x=1", "%27%20OR%201%3D1--"]
QUERY_NAMES = ("page", "tab", "status", "district", "motive", "assignee", "version", "format", "year", "next",
               "q", "lang")
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    org = make_org("fuzz-home", is_fallback=True)
    case = submit(description="Fuzz-Marker", files=(FileInput("beweis.png", PNG, "image/png"),)).case
    classification_save(actor=None, case=case, data={
        "incident_type": "assault", "motives": ["racism"], "area_of_life": "public_space", "district": "03241",
        "year": YEAR, "month": 5, "channel": case.channel, "people_affected": 1,
    })
    statistics_publish(actor=None, year=YEAR)
    counsellor = make_member(org, role=Membership.Role.PARTNER_ADMIN)
    colleague = make_member(org)
    help_service = help_service_save(actor=None, name="Fuzz help", kind="other").pk
    baseline = {
        "case_id": case.pk, "attachment_uuid": case.attachments.get().uuid.hex,
        "member_id": colleague.membership.pk, "year": YEAR, "version": 1,
        "template_id": reply_template_save(actor=None, organisation=org.organisation, kind="closing",
                                           language="de", body="Fuzz template").pk,
        "object_id": counsellor.membership.user.pk, "id": counsellor.membership.user.pk,
        "pk": counsellor.totp_device.pk, "content_type_id": 1, "app_label": "auth", "url": "auth/",
        "network": "rias",
        "service_id": help_service, "entry_id": help_service,  # the help directory: page and API
    }
    return {"baseline": baseline, "clients": {
        "anonymous": lambda: Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False),
        "counsellor": lambda: _no_raise(logged_in(counsellor)),
    }}


def _no_raise(client: Client) -> Client:
    client.raise_request_exception = False
    return client


def _url(route: str, values: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        return str(values[match.group("name") or match.group("group")])

    url = PARAMETER.sub(fill, route)
    return url.replace("^", "").replace("$", "")


def _parameters(route: str) -> list[str]:
    return [m.group("name") or m.group("group") for m in PARAMETER.finditer(route)]


def _safe(value: str) -> str:
    # Keep the escapes as they are; encode only what cannot stand in a path.
    return quote(value, safe="%/:=-._~!$&'()*+,;@")


def _server_errors(client: Client, url: str) -> list[str]:
    found = []
    for method in ("GET", "POST"):
        response = client.get(url) if method == "GET" else client.post(url)
        if response.status_code >= 500:
            found.append(f"{method} {url}: {response.status_code}")
    return found


def test_every_url_parameter_refuses_hostile_values_without_a_server_error(world: dict[str, Any]) -> None:
    routes = [route for route, _pattern in url_patterns() if _parameters(route)]
    assert any("attachment_uuid" in route for route in routes) and len(routes) > 30
    errors: list[str] = []
    requests = 0
    for role, make_client in world["clients"].items():
        client = make_client()
        for route in routes:
            for name in _parameters(route):
                for value in HOSTILE:
                    url = _url(route, {**world["baseline"], name: _safe(value)})
                    errors += [f"{role}: {error}" for error in _server_errors(client, url)]
                    requests += 2
    assert requests > 5000, requests
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors[:100])


def test_query_parameters_refuse_hostile_values_without_a_server_error(world: dict[str, Any]) -> None:
    errors: list[str] = []
    routes = [route for route, _pattern in url_patterns() if not route.startswith("/operator/")]
    for role, make_client in world["clients"].items():
        client = make_client()
        for route in routes:
            base = _url(route, world["baseline"])
            for value in QUERY_HOSTILE:
                query = "&".join(f"{name}={_safe(value)}" for name in QUERY_NAMES)
                response = client.get(f"{base}?{query}")
                if response.status_code >= 500:
                    errors.append(f"{role}: GET {base}?{query}: {response.status_code}")
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors[:100])


def test_the_attachment_id_of_the_review_is_a_404(world: dict[str, Any]) -> None:
    """F-17: `/staff/cases/<id>/files/zzz/` was a 500."""
    client = world["clients"]["counsellor"]()
    case_id = world["baseline"]["case_id"]
    assert client.get(f"/staff/cases/{case_id}/files/zzz/").status_code == 404
    assert client.get(f"/staff/cases/{case_id}/files/{'0' * 32}/").status_code == 404
    attachment = world["baseline"]["attachment_uuid"]
    assert client.get(f"/staff/cases/{case_id}/files/{attachment}/").status_code == 200
    dashed = f"{attachment[:8]}-{attachment[8:12]}-{attachment[12:16]}-{attachment[16:20]}-{attachment[20:]}"
    assert client.get(f"/staff/cases/{case_id}/files/{dashed}/").status_code == 200
