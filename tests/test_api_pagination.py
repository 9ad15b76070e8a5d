"""API lists come a page at a time as DRF clients expect: count, next, previous, results (issue 15, step 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from counselling import selectors
from meldestelle.pagination import PagePagination
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PagePagination, "page_size", 2)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)


def _walk(client: Client, url: str) -> list[dict[str, Any]]:
    """Every page from `url` on, following `next`; checks the links on the way."""
    pages = []
    previous = None
    while url:
        page = client.get(url).json()
        assert set(page) >= {"count", "next", "previous", "results"}
        assert page["previous"] == previous
        pages.append(page)
        previous, url = url, page["next"]
    return pages


@pytest.mark.usefixtures("pages_of_two")
def test_case_list_pages(fallback_org: Any, make_member: Any, submit: Any) -> None:
    references = {submit(description=f"Seite {n}").case.reference for n in range(3)}
    client = logged_in(make_member(fallback_org), Client(HTTP_ACCEPT_LANGUAGE="en"), api=True)
    pages = _walk(client, "http://testserver/api/v1/cases/")
    assert [len(page["results"]) for page in pages] == [2, 1]
    assert all(page["count"] == 3 and page["counts"]["new"] == 3 for page in pages)
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    assert {row["reference"] for page in pages for row in page["results"]} == references
    # Filters stay in the links; an unusable page number gives the nearest page.
    filtered = client.get("/api/v1/cases/?tab=new&page=1").json()
    assert "tab=new" in filtered["next"] and "page=2" in filtered["next"]
    assert client.get("/api/v1/cases/?page=99").json()["results"] == pages[-1]["results"]
    assert client.get("/api/v1/cases/?page=x").json()["results"] == pages[0]["results"]


@pytest.mark.usefixtures("pages_of_two")
def test_partner_list_pages(make_org: Any) -> None:
    for slug in ("anton", "berta", "caesar"):
        make_org(slug)
    pages = _walk(Client(), "http://testserver/api/v1/partners/")
    assert [[entry["slug"] for entry in page["results"]] for page in pages] == [["anton", "berta"], ["caesar"]]
    assert all(page["count"] == 3 for page in pages)


def test_no_api_operation_answers_a_bare_list() -> None:
    """Lists are pages; the schema says so for every operation."""
    schema = Client().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    bare, paged = [], []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("responses", {}).get("200", {}).get("content", {}).values():
                body = media.get("schema", {})
                if body.get("type") == "array":
                    bare.append((method.upper(), path))
                ref = body.get("$ref", "").rsplit("/", 1)[-1]
                properties = components.get(ref, {}).get("properties", {})
                if properties.get("results", {}).get("type") == "array":
                    assert {"count", "next", "previous"} <= properties.keys(), ref
                    paged.append(path)
    assert bare == []
    assert {"/api/v1/cases/", "/api/v1/partners/"} <= set(paged)
