"""Inbox for triage (issue 19): the columns, sorting, and a plain page instead of a debug page."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from reporting.models import Case
from reporting.services import FileInput
from tests.helpers import logged_in, png_bytes, url_patterns

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def triage(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    org = make_org("home", is_fallback=True)
    leaflet = submit(incident_type="mass_mailing", language="de", motives=["antisemitism"]).case
    attack = submit(incident_type="extreme_violence", language="ar", wants_counselling=True, district="03241",
                    motives=["racism", "anti_muslim_racism"],
                    files=(FileInput("a.png", png_bytes(), "image/png"), FileInput("b.png", png_bytes(), "image/png"))
                    ).case
    insult = submit(incident_type="offensive_behaviour", language="tr").case
    for case, day in ((leaflet, 2), (attack, 5), (insult, 9)):
        Case.objects.filter(pk=case.pk).update(created_at=datetime(2026, 3, day, 9, 0, tzinfo=BERLIN))
    return {"client": logged_in(make_member(org, username="anna")), "leaflet": leaflet, "attack": attack,
            "insult": insult}


def _order(client: Client, query: str) -> list[int]:
    html = client.get(f"/staff/?tab=open&{query}").content.decode()
    return [int(pk) for pk in re.findall(r'<tr class="kern-table__row[^"]*" data-case="(\d+)"', html)]


def _row(html: str, case_id: int) -> dict[str, str]:
    row = html[html.index(f'data-case="{case_id}"'):]
    row = row[:row.index("</tr>")]
    cells = re.findall(r'data-col="(\w+)"[^>]*>(.*?)</td>', row, re.S)
    return {name: re.sub(r"<[^>]+>", " ", value).split() and " ".join(re.sub(r"<[^>]+>", " ", value).split())
            for name, value in cells}


def test_inbox_shows_what_triage_needs(triage: dict[str, Any]) -> None:
    html = triage["client"].get("/staff/").content.decode()
    head = html[html.index("<thead"):html.index("</thead>")]
    for label in ("Received", "Waiting", "Incident", "Motives", "Place", "Language", "Wants counselling",
                  "Files", "Unread", "Status"):
        assert f">{label}" in head, label
    attack = _row(html, triage["attack"].pk)
    assert attack["type"] == "Extreme violence"
    assert 'data-severity="high"' in html[html.index(f'data-case="{triage["attack"].pk}"'):]
    assert set(attack["motives"].split(", ")) == {"Racism", "Anti-Muslim racism"}
    assert attack["language"] == "Arabic"
    assert attack["counselling"] == "yes"
    assert attack["files"] == "2"
    assert attack["unread"] == "unread"
    assert re.fullmatch(r"\d+ days overdue", attack["waiting"]), attack["waiting"]
    assert _row(html, triage["leaflet"].pk)["counselling"] == "no"
    # Counts per tab, and the list comes before anything else below the tabs and the filter bar.
    assert re.search(r'data-count="open">3<', html)
    assert html.index('id="inbox-filters"') < html.index('id="inbox-table"')


def test_inbox_sorts_by_each_column(triage: dict[str, Any]) -> None:
    client = triage["client"]
    leaflet, attack, insult = triage["leaflet"].pk, triage["attack"].pk, triage["insult"].pk
    assert _order(client, "") == [insult, attack, leaflet]  # newest first
    assert _order(client, "sort=received") == [leaflet, attack, insult]  # longest waiting first
    assert _order(client, "sort=type") == [attack, insult, leaflet]  # gravest first
    assert _order(client, "sort=-type") == [leaflet, insult, attack]
    assert _order(client, "sort=files")[0] == attack
    assert _order(client, "sort=counselling")[0] == attack
    assert _order(client, "sort=language") == [attack, leaflet, insult]  # ar, de, tr
    assert _order(client, "sort=nonsense") == [insult, attack, leaflet]
    html = client.get("/staff/?tab=open&sort=type").content.decode()
    assert re.search(r'data-column="type" aria-sort="ascending"><a class="kern-link inbox-sort" href="\?tab=open&amp;sort=-type"', html)
    # The API sorts the same way.
    results = client.get("/api/v1/cases/?tab=open&sort=type").json()["results"]
    assert [r["id"] for r in results] == [attack, insult, leaflet]
    assert results[0]["files"] == 2 and results[0]["language"] == "ar" and results[0]["wants_counselling"] is True


def test_inbox_filters_keep_the_sort(triage: dict[str, Any]) -> None:
    client = triage["client"]
    html = client.get("/staff/?tab=open&sort=type").content.decode()
    assert '<input type="hidden" name="sort" value="type">' in html
    assert _order(client, "sort=type&motive=racism") == [triage["attack"].pk]


def _staff_urls(case_id: int) -> list[str]:
    urls = ["/staff/nope/", "/staff/cases/999999/", "/staff/cases/999999/classify/", "/staff/statistics/",
            "/staff/statistics/publish/", "/staff/audit/", "/staff/admin/", "/staff/admin/replies/"]
    for route, _pattern in url_patterns():
        if route.startswith("/staff/") and route != "/staff/logout/":  # the session stays
            url = re.sub(r"<int:case_id>", str(case_id), route)
            url = re.sub(r"<hexuuid:\w+>", "0" * 32, url)
            url = re.sub(r"<int:\w+>", "999999", url)
            urls.append(url)
    return sorted(set(urls))


DEBUG_MARKERS = ("DEBUG = True", "URLconf", "Traceback", "technical_500", "Django tried these URL patterns",
                 "Request Method:")


@pytest.mark.parametrize("debug", [False, True])
def test_no_staff_url_shows_a_debug_page(debug: bool, settings: Any, make_org: Any, make_member: Any,
                                         submit: Any) -> None:
    settings.DEBUG = debug
    org = make_org("home", is_fallback=True)
    counsellor = logged_in(make_member(org, username="plain"))
    foreign = submit().case
    other = make_org("other", statewide=False)
    stranger = logged_in(make_member(other, username="stranger"))
    seen = set()
    for client in (counsellor, stranger):
        for url in _staff_urls(foreign.pk):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                seen.add(response.status_code)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                text = body.decode("utf-8", "replace")
                for marker in DEBUG_MARKERS:
                    assert marker not in text, (debug, method, url, marker)
                assert response.status_code < 500, (method, url)
                if response.status_code in (403, 404):
                    assert 'id="staff-error"' in text and "staff-nav" in text, (method, url)
                    assert "site-footer" not in text
    assert 404 in seen
