"""Classification that starts from the report (SPEC §6 "Record", issue 11 item 8).

The classification page shows the decrypted report beside the form and prefills the form from
it: the incident's year and month are the reported date's, not the day the report was
received. The API's GET returns the same suggestion. An incident already classified prefills
from its record instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from counselling.models import Membership
from counselling.views.classification import suggestion_from_report
from reporting.models import Case
from reporting.services import ReportInput, report_submit
from stats.models import StatisticsRecord
from stats.services import classification_save
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
RECEIVED = datetime(2026, 3, 10, 9, 30, tzinfo=BERLIN)  # the day the report reached us
DESCRIPTION = "Prefill-Marker 0815: a man spat at us on the platform in Hannover."
REPORT: dict[str, Any] = {
    "description": DESCRIPTION, "incident_type": "assault", "motives": ["anti_black_racism", "racism"],
    "district": "03241", "area_of_life": "transport", "people_affected": 2,
}


def _received(**report: Any) -> Case:
    """A report submitted through the service on RECEIVED (the clock is the world's edge)."""
    with mock.patch("django.utils.timezone.now", return_value=RECEIVED):
        case = report_submit(report=ReportInput(**{**REPORT, **report})).case
    assert case.received_on == date(2026, 3, 10)
    return case


@pytest.fixture
def people(make_org: Any, make_member: Any) -> dict[str, Any]:
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    return {
        "owner": make_member(home, username="owner"),
        "colleague": make_member(home, username="colleague"),
        "outsider": make_member(other, username="outsider"),
        "coordinator": make_member(None, username="coord", role=Membership.Role.COORDINATOR),
    }


class _FormValues(HTMLParser):
    """What a browser would submit for the rendered form, untouched: selected options, checked
    boxes and the inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == "classification-form":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name") or ""
        if tag == "select":
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value") or "")
        elif tag == "input" and name and name != "csrfmiddlewaretoken":
            self.values.setdefault(name, [])
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name].append(a.get("value") or "")
            elif a.get("value") is not None:
                self.values[name].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def _form_values(html: str) -> dict[str, list[str]]:
    parser = _FormValues()
    parser.feed(html)
    return parser.values


def _page(client: Client, case: Case) -> tuple[dict[str, list[str]], str]:
    response = client.get(f"/staff/cases/{case.pk}/classify/")
    assert response.status_code == 200, response.content[:300]
    html = response.content.decode()
    return _form_values(html), html


def _suggestion(client: Client, case: Case) -> dict[str, Any]:
    response = client.get(f"/api/v1/cases/{case.pk}/classification/")
    assert response.status_code == 200, response.content[:300]
    return response.json()


# ------------------------------------------------------------------------------ the reported date


def test_page_prefills_year_and_month_of_the_reported_day_not_the_day_received(people: dict[str, Any]) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    values, _html = _page(logged_in(people["owner"]), case)
    assert values["year"] == ["2025"]
    assert values["month"] == ["11"]
    assert values["incident_type"] == ["assault"]
    assert sorted(values["motives"]) == ["anti_black_racism", "racism"]
    assert values["district"] == ["03241"]
    assert values["area_of_life"] == ["transport"]
    assert values["people_affected"] == ["2"]
    assert values["channel"] == ["online_form"]
    assert values["antisemitism_forms"] == []


def test_api_suggests_year_and_month_of_the_reported_day_not_the_day_received(people: dict[str, Any]) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    answer = _suggestion(logged_in(people["owner"]), case)
    assert answer == {
        "suggestion": {
            "incident_type": "assault", "motives": ["anti_black_racism", "racism"], "antisemitism_forms": [],
            "area_of_life": "transport", "district": "03241", "year": 2025, "month": 11,
            "channel": "online_form", "people_affected": 2,
        },
        "current": None,
    }


def test_report_with_only_a_month_prefills_that_month(people: dict[str, Any]) -> None:
    case = _received(occurred_month="2025-08")
    client = logged_in(people["owner"])
    values, _html = _page(client, case)
    assert (values["year"], values["month"]) == (["2025"], ["8"])
    suggestion = _suggestion(client, case)["suggestion"]
    assert (suggestion["year"], suggestion["month"]) == (2025, 8)


def test_report_without_a_date_prefills_the_month_received(people: dict[str, Any]) -> None:
    case = _received()
    client = logged_in(people["owner"])
    values, _html = _page(client, case)
    assert (values["year"], values["month"]) == (["2026"], ["3"])
    suggestion = _suggestion(client, case)["suggestion"]
    assert (suggestion["year"], suggestion["month"]) == (2026, 3)


def test_answers_the_report_leaves_open_stay_empty(people: dict[str, Any]) -> None:
    """"I don't know" and a date the statistics cannot hold are left for the counsellor: nothing
    is preselected, and the day received does not stand in for a date the reporter gave."""
    case = _received(occurred_on=date(1998, 5, 1), area_of_life="", incident_type="", district="unknown",
                     people_affected=None, motives=[])
    client = logged_in(people["owner"])
    values, _html = _page(client, case)
    assert values["year"] == [] and values["month"] == [""]
    assert values["area_of_life"] == [""] and values["incident_type"] == [""]
    assert values["people_affected"] == [] and values["motives"] == []
    assert values["district"] == ["unknown"]
    suggestion = _suggestion(client, case)["suggestion"]
    assert suggestion["year"] is None and suggestion["month"] is None
    assert suggestion["area_of_life"] is None and suggestion["incident_type"] is None
    assert suggestion["people_affected"] is None and suggestion["motives"] == []


def test_suggestion_keeps_only_valid_codes(fallback_org: Any, submit: Callable[..., Any]) -> None:
    case = submit().case
    report = {
        "occurred_on": "", "occurred_month": "2025-13", "district": "99999", "area_of_life": "unknown",
        "incident_type": "murder", "motives": ["racism", "nonsense", 7], "people_affected": True,
    }
    suggestion = suggestion_from_report(case, report)
    assert suggestion == {
        "incident_type": None, "motives": ["racism"], "antisemitism_forms": [], "area_of_life": None,
        "district": None, "year": None, "month": None, "channel": "online_form", "people_affected": None,
    }
    assert suggestion_from_report(case, {"district": "online", "occurred_on": "2025-02-30"})["year"] is None
    assert suggestion_from_report(case, {"district": "online"})["district"] == "online"


# ------------------------------------------------------------------------------ the report beside the form


def test_description_is_shown_beside_the_form(people: dict[str, Any]) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    for member in ("owner", "colleague"):
        _values, html = _page(logged_in(people[member]), case)
        report = html.index('id="report-heading"')
        form = html.index('id="classification-heading"')
        assert report < html.index("Prefill-Marker 0815") < form < html.index('id="classification-form"')
        # The reported date, next to the day received, written like every date on staff pages.
        with translation.override("en"):
            assert date_format(date(2025, 11, 14), "SHORT_DATE_FORMAT") in html[report:form]
        assert "2025-11-14" not in html[report:form]
        assert 'id="prefill-source"' in html and "prefilled from the report" in html


@pytest.mark.parametrize("member", ["outsider", "coordinator"])
def test_who_may_not_see_the_case_gets_404(people: dict[str, Any], member: str) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    client = logged_in(people[member])
    page = client.get(f"/staff/cases/{case.pk}/classify/")
    assert page.status_code == 404
    assert b"Prefill-Marker" not in page.content
    api = client.get(f"/api/v1/cases/{case.pk}/classification/")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_api_needs_a_staff_session_and_the_unlocked_key(people: dict[str, Any]) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/cases/{case.pk}/classification/")
    assert anonymous.status_code == 401
    locked = logged_in(people["owner"])
    del locked.cookies[settings.UNLOCK_COOKIE_NAME]
    response = locked.get(f"/api/v1/cases/{case.pk}/classification/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_unlocked"
    page = locked.get(f"/staff/cases/{case.pk}/classify/")
    assert page.status_code == 302 and page["Location"].startswith("/staff/unlock/")


# ------------------------------------------------------------------------------ confirm or correct


def test_counsellor_confirms_the_suggestion_as_it_stands(people: dict[str, Any]) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    client = logged_in(people["owner"])
    values, _html = _page(client, case)
    response = client.post(f"/staff/cases/{case.pk}/classify/", values)
    assert response.status_code == 302
    record = StatisticsRecord.objects.get(incident_id=case.incident_id)
    assert (record.year, record.month) == (2025, 11)
    assert record.motives == ["anti_black_racism", "racism"]
    assert (record.district, record.area_of_life, record.people_affected) == ("03241", "transport", 2)


def test_classified_incident_prefills_from_its_record(people: dict[str, Any]) -> None:
    case = _received(occurred_on=date(2025, 11, 14))
    classification_save(actor=people["colleague"].membership.user, case=case, data={
        "incident_type": "threat", "motives": ["antisemitism"], "antisemitism_forms": ["modern"],
        "area_of_life": "public_space", "district": "online", "year": 2025, "month": 10,
        "channel": "phone", "people_affected": None,
    })
    client = logged_in(people["owner"])
    values, html = _page(client, case)
    assert values["incident_type"] == ["threat"]
    assert values["motives"] == ["antisemitism"] and values["antisemitism_forms"] == ["modern"]
    assert (values["year"], values["month"], values["district"]) == (["2025"], ["10"], ["online"])
    assert values["channel"] == ["phone"] and values["people_affected"] == []
    assert "already classified" in html and "Update classification" in html
    assert "Prefill-Marker 0815" in html  # the report is still shown beside it

    answer = _suggestion(client, case)
    assert answer["current"]["incident_type"] == "threat"
    assert (answer["current"]["year"], answer["current"]["month"]) == (2025, 10)
    assert answer["suggestion"]["incident_type"] == "assault"  # the report's, for comparison

    response = client.post(f"/staff/cases/{case.pk}/classify/", {**values, "month": ["9"]})
    assert response.status_code == 302
    assert StatisticsRecord.objects.get().month == 9


def test_duplicate_prefills_from_its_originals_record(people: dict[str, Any]) -> None:
    original = _received(occurred_on=date(2025, 11, 14))
    duplicate = _received(occurred_on=date(2025, 11, 15), incident_type="threat")
    classification_save(actor=None, case=original, data={
        "incident_type": "assault", "motives": ["racism"], "area_of_life": "transport", "district": "03241",
        "year": 2025, "month": 11, "channel": "online_form",
    })
    client = logged_in(people["owner"])
    marked = client.post(f"/staff/cases/{duplicate.pk}/duplicate/", {"original": original.reference})
    assert marked.status_code == 302
    values, html = _page(client, duplicate)
    assert values["incident_type"] == ["assault"]
    assert "already classified" in html
    current = _suggestion(client, duplicate)["current"]
    assert current["incident_key"] == str(StatisticsRecord.objects.get(incident_id=original.incident_id).incident_key)
