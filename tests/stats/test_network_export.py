"""The per-incident export for monitoring networks (SPEC §6) through the versioned RIAS
crosswalk, against a fixed sample; only consented incidents; empty is a valid file."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from counselling.models import Membership
from reporting.services.consent import consent_set
from stats.models import StatisticsRecord
from stats.networks import COLUMNS, crosswalk, network_export
from stats.services import classification_save
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

YEAR = 2025

# (consent_network, classification overrides) → expected (type, forms, targeted, assembly) or None
SAMPLE = [
    (True, {"incident_type": "assault", "antisemitism_forms": ["israel_related", "post_shoah"]},
     ("angriff", "israelbezogener_antisemitismus;post_schoa_antisemitismus", "", "no")),
    (True, {"incident_type": "property_damage", "targeted": True}, ("gezielte_sachbeschaedigung", "", "yes", "no")),
    (True, {"incident_type": "property_damage", "targeted": False}, ("verletzendes_verhalten", "", "no", "no")),
    (True, {"incident_type": "property_damage"}, ("gezielte_sachbeschaedigung", "", "unknown", "no")),
    (True, {"incident_type": "offensive_behaviour", "assembly": True}, ("verletzendes_verhalten", "", "", "yes")),
    (True, {"incident_type": "discrimination"}, None),  # no RIAS type
    (True, {"incident_type": "threat", "motives": ["racism"]}, None),  # not antisemitic
    (False, {"incident_type": "mass_mailing"}, None),  # no consent
]


def _record(submit: Any, consent: bool, overrides: dict[str, Any]) -> StatisticsRecord:
    case = submit(consent_network=consent).case
    data = {"incident_type": "assault", "motives": ["antisemitism"], "area_of_life": "online", "district": "online",
            "year": YEAR, "month": 4, "channel": "online_form", **overrides}
    return classification_save(actor=None, case=case, data=data)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_crosswalk_export_matches_the_fixed_sample(make_org: Any, submit: Any) -> None:
    make_org("home", is_fallback=True)
    expected = {}
    for consent, overrides, outcome in SAMPLE:
        record = _record(submit, consent, overrides)
        if outcome is not None:
            expected[str(record.incident_key)] = outcome
    rows = _rows(network_export(actor=None, network="rias", year=YEAR))
    assert {row["incident_key"]: (row["network_incident_type"], row["network_forms"], row["rias_targeted"],
                                  row["rias_assembly"]) for row in rows} == expected
    assert {row["crosswalk"] for row in rows} == {"rias-v1"}
    assert {(row["year"], row["month"], row["district"], row["area_of_life"]) for row in rows} == {
        (str(YEAR), "4", "online", "online")}


def test_withdrawn_consent_leaves_later_exports(make_org: Any, submit: Any) -> None:
    make_org("home", is_fallback=True)
    submitted = submit(consent_network=True)
    classification_save(actor=None, case=submitted.case, data={
        "incident_type": "assault", "motives": ["antisemitism"], "area_of_life": "online", "district": "online",
        "year": YEAR, "month": 4, "channel": "online_form"})
    assert len(_rows(network_export(actor=None, network="rias", year=YEAR))) == 1
    consent_set(case=submitted.case, contact=True, statistics=True, network=False, publication=False)
    assert _rows(network_export(actor=None, network="rias", year=YEAR)) == []


def test_export_without_consented_incident_is_an_empty_valid_file(make_org: Any, submit: Any) -> None:
    make_org("home", is_fallback=True)
    _record(submit, False, {})
    text = network_export(actor=None, network="rias", year=YEAR)
    assert text == ",".join(COLUMNS) + "\n"
    assert _rows(text) == []


def test_crosswalk_file_is_versioned_and_maps_every_code() -> None:
    walk = crosswalk("rias")
    assert walk.version == 1
    from reporting.taxonomy import AntisemitismForm, IncidentType

    assert set(walk.mapping["incident_type"]) == set(IncidentType.values)
    assert set(walk.mapping["antisemitism_form"]) == set(AntisemitismForm.values)


def test_export_endpoints(make_org: Any, make_member: Any, submit: Any) -> None:
    org = make_org("home", is_fallback=True)
    _record(submit, True, {})
    admin = logged_in(make_member(org, role=Membership.Role.PARTNER_ADMIN))
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    counsellor = logged_in(make_member(org))
    assert len(_rows(admin.get(f"/api/v1/exports/rias/?year={YEAR}").content.decode())) == 1
    assert len(_rows(b"".join([coordinator.get(f"/staff/exports/rias.csv?year={YEAR}").content]).decode())) == 1
    assert counsellor.get(f"/api/v1/exports/rias/?year={YEAR}").status_code == 404
    assert coordinator.get(f"/api/v1/exports/nowhere/?year={YEAR}").status_code == 404
    assert coordinator.get("/api/v1/exports/rias/?year=abc").status_code == 400


def _as_page_form(data: dict[str, Any]) -> dict[str, Any]:
    """Classification values as the classification page's form posts them."""
    form = {key: value for key, value in data.items() if key not in ("targeted", "assembly")}
    if "targeted" in data:
        form["targeted"] = "yes" if data["targeted"] else "no"
    if data.get("assembly"):
        form["assembly"] = "on"
    return form


@pytest.mark.parametrize("through", ["page", "api"])
def test_the_rias_additions_set_by_a_counsellor_reach_the_export(
    make_org: Any, make_member: Any, submit: Any, through: str
) -> None:
    """The counsellor sets "targeted" and "assembly" on the classification page or through the
    classification API; the RIAS export shows them as in the fixed sample."""
    org = make_org("home", is_fallback=True)
    counsellor = logged_in(make_member(org))
    expected = {}
    for consent, overrides, outcome in SAMPLE:
        case = submit(consent_network=consent).case
        data = {"incident_type": "assault", "motives": ["antisemitism"], "area_of_life": "online",
                "district": "online", "year": YEAR, "month": 4, "channel": "online_form", **overrides}
        if through == "page":
            response = counsellor.post(f"/staff/cases/{case.pk}/classify/", _as_page_form(data))
            assert response.status_code == 302, response.content[:500]
        else:
            response = counsellor.post(f"/api/v1/cases/{case.pk}/classification/", data,
                                       content_type="application/json")
            assert response.status_code == 201, response.content
        if outcome is not None:
            expected[str(StatisticsRecord.objects.get(incident_id=case.incident_id).incident_key)] = outcome
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    rows = _rows(coordinator.get(f"/api/v1/exports/rias/?year={YEAR}").content.decode())
    assert {row["incident_key"]: (row["network_incident_type"], row["network_forms"], row["rias_targeted"],
                                  row["rias_assembly"]) for row in rows} == expected


def test_the_classification_page_shows_the_rias_additions_it_saved(
    make_org: Any, make_member: Any, submit: Any
) -> None:
    org = make_org("home", is_fallback=True)
    counsellor = logged_in(make_member(org))
    damage, insult = submit(consent_network=True).case, submit(consent_network=True).case
    base = {"motives": ["antisemitism"], "area_of_life": "online", "district": "online", "year": YEAR,
            "month": 4, "channel": "online_form"}
    page = counsellor.get(f"/staff/cases/{damage.pk}/classify/").content.decode()
    assert 'name="targeted"' in page and 'name="assembly"' in page
    counsellor.post(f"/staff/cases/{damage.pk}/classify/", {**base, "incident_type": "property_damage",
                                                              "targeted": "no"})
    counsellor.post(f"/staff/cases/{insult.pk}/classify/", {**base, "incident_type": "offensive_behaviour",
                                                              "assembly": "on"})
    assert StatisticsRecord.objects.get(incident_id=damage.incident_id).targeted is False
    assert StatisticsRecord.objects.get(incident_id=insult.incident_id).assembly is True
    page = counsellor.get(f"/staff/cases/{damage.pk}/classify/").content.decode()
    assert '<option value="no" selected>' in page
    page = counsellor.get(f"/staff/cases/{insult.pk}/classify/").content.decode()
    assert re.search(r'<input type="checkbox" name="assembly"[^>]*checked', page)
