"""One source for the places (issue 15, step 5): reporting/data/districts.csv, read by
reporting.places alone; the form, the API, the staff pages and the statistics all offer the
same 45 districts plus online and unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from counselling.forms import district_choices
from reporting import places
from reporting.forms import ReportForm
from stats import tables
from stats.services import district_choices as classification_places

ROOT = Path(__file__).resolve().parents[2]
ALL = {*places.district_keys(), "online", "unknown"}


def test_the_data_file_holds_the_45_districts() -> None:
    assert len(places.districts()) == 45 and len(set(places.district_keys())) == 45
    assert set(places.place_keys()) == ALL
    assert {district.nuts2 for district in places.districts()} == {"DE91", "DE92", "DE93", "DE94"}


@pytest.mark.django_db
def test_every_list_of_places_is_the_one_list(client: Any, fallback_org: Any) -> None:
    form_places = {code for code, _label in ReportForm().fields["district"].choices}
    api_places = {entry["code"] for entry in client.get("/api/v1/taxonomy/").json()["places"]}
    assert form_places == api_places == {code for code, _label in district_choices()} == ALL
    assert set(classification_places()) == ALL
    assert set(tables.district_keys()) == set(places.district_keys())
    assert tables.district_names() == places.district_names()


def test_only_reporting_places_reads_the_data_file() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for folder in ("reporting", "counselling", "stats", "meldestelle", "privacy")
        for path in (ROOT / folder).rglob("*.py")
        if '"districts.csv"' in path.read_text(encoding="utf-8") and "migrations" not in path.parts
    ]
    assert readers == ["reporting/places.py"]
    assert "District" not in {model.__name__ for model in apps.get_app_config("reporting").get_models()}
