"""Public statistics API and the staff classification endpoint."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from counselling.models import Membership
from stats.models import StatisticsRecord
from stats.services import statistics_publish
from tests.helpers import logged_in

CLASSIFICATION = {
    "incident_type": "threat", "motives": ["antisemitism"], "antisemitism_forms": ["modern"],
    "area_of_life": "online", "district": "online", "year": 2024, "month": 3,
    "channel": "online_form", "people_affected": 2,
}


@pytest.fixture
def published(fallback_org, submit, classify) -> Any:
    for _ in range(4):
        classify(submit().case)
    classify(submit().case, incident_type="threat")
    statistics_publish(actor=None, year=2024)
    classify(submit().case)
    return statistics_publish(actor=None, year=2024, note="One more.")


def test_index_lists_years_and_versions(client, published) -> None:
    data = client.get("/api/v1/statistics/").json()
    assert set(data) == {"years"}  # no live "provisional_year" any more
    year = data["years"][0]
    assert year["year"] == 2024 and year["latest_version"] == 2 and year["provisional"] is False
    assert [v["version"] for v in year["versions"]] == [2, 1]
    assert year["versions"][0]["note"] == "One more."
    assert year["versions"][0]["provisional"] is False


def test_index_starts_with_the_latest_published_year(client, published, submit, classify) -> None:
    for _ in range(3):
        classify(submit().case, year=2023)
    statistics_publish(actor=None, year=2023)
    running = timezone.localdate().year
    for _ in range(3):
        classify(submit().case, year=running, month=1)  # classified, not released
    years = [y["year"] for y in client.get("/api/v1/statistics/").json()["years"]]
    assert years == [2024, 2023]


def test_year_returns_latest_with_suppression_flags(client, published) -> None:
    data = client.get("/api/v1/statistics/2024/").json()
    assert data["version"] == 2 and data["total"] == {"value": 6, "suppressed": False}
    assert data["provisional"] is False and data["geography"] == "district"
    assert data["published_on"] == timezone.localtime(published.created_at).date().isoformat()
    cells = {c["key"]: c for c in data["tables"]["incident_type"]["cells"]}
    assert cells["threat"] == {"key": "threat", "value": None, "suppressed": True}
    # 5 assaults, hidden only to protect the single threat: flagged exactly the same way.
    assert cells["assault"] == {"key": "assault", "value": None, "suppressed": True}
    assert client.get("/api/v1/statistics/2024/?version=1").json()["total"]["value"] == 5


def test_year_json_makes_no_claim_about_the_size_of_hidden_cells(client, published) -> None:
    text = client.get("/api/v1/statistics/2024/").content.decode()
    assert "fewer than" not in text.lower() and "less than" not in text.lower()


def test_year_as_csv(client, published) -> None:
    response = client.get("/api/v1/statistics/2024/?format=csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    published_on = timezone.localtime(published.created_at).date().isoformat()
    assert rows[0] == {
        "year": "2024", "version": "2", "published_on": published_on, "provisional": "false",
        "demo": "false", "table": "total", "code": "all", "label": "All incidents", "value": "6",
        "suppressed": "false",
    }
    threat = next(r for r in rows if r["table"] == "incident_type" and r["code"] == "threat")
    assert (threat["label"], threat["value"], threat["suppressed"]) == ("Threat", "", "true")
    page_csv = client.get("/en/statistics/2024/data.csv").content
    assert response.content == page_csv
    first = client.get("/api/v1/statistics/2024/?format=csv&version=1", HTTP_ACCEPT_LANGUAGE="de")
    rows = list(csv.DictReader(io.StringIO(first.content.decode())))
    assert {r["version"] for r in rows} == {"1"} and rows[0]["label"] == "Alle Vorfälle"


def test_unknown_year_and_bad_version(client, published) -> None:
    assert client.get("/api/v1/statistics/2001/").json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/statistics/2024/?version=9").status_code == 404
    assert client.get("/api/v1/statistics/2024/?version=x").status_code == 400
    assert client.get("/api/v1/statistics/2001/?format=csv").status_code == 404


def test_public_api_ignores_session(client, published, make_member) -> None:
    logged_in(make_member(None, role=Membership.Role.COORDINATOR), client)
    assert client.get("/api/v1/statistics/2024/").status_code == 200


def test_schema_mentions_statistics(client, db) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/statistics/{year}/" in response.content


# ------------------------------------------------------------------ classification endpoint


def test_counsellor_classifies_via_api(fallback_org, make_member, submit) -> None:
    case = submit().case
    counsellor = make_member(fallback_org)
    c = logged_in(counsellor, Client(enforce_csrf_checks=False, HTTP_ACCEPT_LANGUAGE="en"))
    url = f"/api/v1/cases/{case.pk}/classification/"
    response = c.post(url, CLASSIFICATION, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["antisemitism_forms"] == ["modern"]
    response = c.post(url, {**CLASSIFICATION, "incident_type": "assault"}, content_type="application/json")
    assert response.status_code == 200
    assert StatisticsRecord.objects.get().incident_type == "assault"


def test_api_needs_csrf(fallback_org, make_member, submit) -> None:
    case = submit().case
    c = logged_in(make_member(fallback_org), Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en"), api=True)
    response = c.post(f"/api/v1/cases/{case.pk}/classification/", CLASSIFICATION,
                      content_type="application/json")
    assert response.status_code == 403
    assert not StatisticsRecord.objects.exists()


def test_api_validation_errors_are_json(fallback_org, make_member, submit) -> None:
    case = submit().case
    c = logged_in(make_member(fallback_org))
    response = c.post(f"/api/v1/cases/{case.pk}/classification/",
                      {**CLASSIFICATION, "motives": [], "year": 1990}, content_type="application/json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "motives" in fields
    response = c.post(f"/api/v1/cases/{case.pk}/classification/",
                      {**CLASSIFICATION, "year": 1990}, content_type="application/json")
    assert response.status_code == 400
    assert "year" in response.json()["error"]["fields"]


def test_api_other_org_gets_404_and_anonymous_401(fallback_org, make_org, make_member, submit) -> None:
    case = submit().case
    other = make_org()
    c = logged_in(make_member(other))
    response = c.post(f"/api/v1/cases/{case.pk}/classification/", CLASSIFICATION,
                      content_type="application/json")
    assert response.status_code == 404
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR), Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert coordinator.post(f"/api/v1/cases/{case.pk}/classification/", CLASSIFICATION,
                            content_type="application/json").status_code == 404
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/api/v1/cases/{case.pk}/classification/", CLASSIFICATION,
                              content_type="application/json")
    assert anonymous.status_code == 401
    assert not StatisticsRecord.objects.exists()
