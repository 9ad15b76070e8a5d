"""Manual entry (SPEC §5): a case that came by phone, in person or by letter, recorded on the
staff page or through ``POST /api/v1/cases/``, with the person's consent by purpose (SPEC
§5.1). The statistics and the network export follow it exactly as an online reporter's
choice, and a counsellor records a later change for such a case (the person has no receipt
code to change it themselves)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from reporting.audit import AuditAction
from reporting.models import AuditEntry, Case, Incident
from stats.models import Publication
from stats.selectors import counted_records
from stats.services import statistics_publish
from tests.helpers import assert_error, case_state, case_world, logged_in, post_json

pytestmark = pytest.mark.django_db

YEAR = 2025
PURPOSES = ("contact", "statistics", "network", "publication")


def _entry(**overrides: Any) -> dict[str, Any]:
    return {"channel": "phone", "description": "Called in: Manual-Consent-Marker", "district": "03241",
            "motives": ["antisemitism"], "incident_type": "assault", "language": "de",
            "consent_contact": True, "consent_statistics": True, "consent_network": False,
            "consent_publication": False, **overrides}


def _consent(case_id: int) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    case = Case.objects.get(pk=case_id)
    incident = Incident.objects.get(pk=case.incident_id)
    return (tuple(getattr(case, f"consent_{p}") for p in PURPOSES),
            (incident.consent_statistics, incident.consent_network, incident.consent_publication))


def _classify(client: Any, case_id: int) -> None:
    response = post_json(client, f"/api/v1/cases/{case_id}/classification/", {
        "incident_type": "assault", "motives": ["antisemitism"], "area_of_life": "public_space",
        "district": "03241", "year": YEAR, "month": 5, "channel": "phone"})
    assert response.status_code == 201, response.content


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    world = case_world(make_org, make_member, submit)
    world["client"] = logged_in(world["owner"])
    return world


def test_the_page_records_the_consent_the_person_gave(world: dict[str, Any]) -> None:
    client = world["client"]
    page = client.get("/staff/cases/new/").content.decode()
    assert 'id="consent"' in page
    assert 'name="consent_statistics" class="kern-form-check__checkbox" id="id_consent_statistics" checked' in page
    response = client.post("/staff/cases/new/", {
        "channel": "in_person", "description": "In person", "district": "unknown", "language": "de",
        "consent_statistics": "on", "consent_network": "on"})
    assert response.status_code == 302, response.content[:300]
    case = Case.objects.get(channel="in_person")
    assert _consent(case.pk) == ((False, True, True, False), (True, True, False))


def test_the_api_records_a_case_with_the_consent_the_person_gave(world: dict[str, Any]) -> None:
    client = world["client"]
    response = post_json(client, "/api/v1/cases/", _entry(consent_contact=False, consent_network=True))
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert body["reference"] == case.reference
    assert case.channel == "phone" and case.receipt_lookup is None and case.organisation_id == world["home"].organisation.pk
    assert _consent(case.pk) == ((False, True, True, False), (True, True, False))
    assert AuditEntry.objects.filter(action=AuditAction.CASE_MANUAL_ENTRY, case_id=case.pk).count() == 1
    detail = client.get(f"/api/v1/cases/{case.pk}/").content.decode()
    assert "Manual-Consent-Marker" in detail


@pytest.mark.parametrize(("payload", "fields"), [
    ({"consent_contact": None, "consent_statistics": None, "consent_network": None, "consent_publication": None},
     {"consent_contact", "consent_statistics", "consent_network", "consent_publication"}),
    ({"channel": "online_form"}, {"channel"}),
    ({"district": "atlantis"}, {"district"}),
    ({"motives": ["boredom"]}, {"motives"}),
    ({"description": ""}, {"description"}),
])
def test_a_manual_entry_without_its_answers_is_a_400_and_records_nothing(
    world: dict[str, Any], payload: dict[str, Any], fields: set[str]
) -> None:
    before = Case.objects.count()
    body = {key: value for key, value in _entry(**payload).items() if value is not None}
    error = assert_error(post_json(world["client"], "/api/v1/cases/", body), 400, "invalid")
    assert set(error["fields"]) == fields
    assert Case.objects.count() == before


def test_only_members_of_an_organisation_record_cases(world: dict[str, Any]) -> None:
    before = Case.objects.count()
    assert post_json(logged_in(world["coordinator"]), "/api/v1/cases/", _entry()).status_code == 404
    assert post_json(logged_in(world["outsider"]), "/api/v1/cases/", _entry()).status_code == 201  # for their own
    assert Case.objects.filter(organisation=world["other"].organisation).count() == 1
    assert Case.objects.count() == before + 1


def test_statistics_and_network_export_follow_a_manual_entrys_consent(world: dict[str, Any]) -> None:
    client = world["client"]
    ids = {}
    for name, statistics, network in (("both", True, True), ("network only", False, True),
                                      ("statistics only", True, False), ("neither", False, False)):
        response = post_json(client, "/api/v1/cases/", _entry(consent_statistics=statistics, consent_network=network))
        ids[name] = response.json()["id"]
        _classify(client, ids[name])
    incidents = {name: Case.objects.get(pk=case_id).incident_id for name, case_id in ids.items()}
    assert {r.incident_id for r in counted_records(year=YEAR)} == {incidents["both"], incidents["statistics only"]}
    coordinator = logged_in(world["coordinator"])
    rows = list(csv.DictReader(io.StringIO(coordinator.get(f"/api/v1/exports/rias/?year={YEAR}").content.decode())))
    exported = {row["incident_key"] for row in rows}
    keys = {name: str(Incident.objects.get(pk=i).statistics_record.incident_key) for name, i in incidents.items()}
    assert exported == {keys["both"], keys["network only"]}


def test_a_withdrawal_the_counsellor_records_leaves_later_releases_and_exports_only(world: dict[str, Any]) -> None:
    client = world["client"]
    # Everything in one cell, so that disclosure control has nothing to hide in either release.
    ids = [post_json(client, "/api/v1/cases/", _entry(consent_network=True)).json()["id"] for _ in range(6)]
    for case_id in ids:
        _classify(client, case_id)
    first = statistics_publish(actor=None, year=YEAR)
    withdrawn = ids[-1]
    response = post_json(client, f"/api/v1/cases/{withdrawn}/consent/",
                         {"contact": True, "statistics": False, "network": False, "publication": False})
    assert response.status_code == 200, response.content
    assert _consent(withdrawn) == ((True, False, False, False), (False, False, False))
    entry = AuditEntry.objects.get(action=AuditAction.CONSENT_RECORDED, case_id=withdrawn)
    assert entry.actor_id == world["owner"].membership.user.pk
    assert len(counted_records(year=YEAR)) == 5
    coordinator = logged_in(world["coordinator"])
    rows = list(csv.DictReader(io.StringIO(coordinator.get(f"/api/v1/exports/rias/?year={YEAR}").content.decode())))
    assert len(rows) == 5
    statistics_publish(actor=None, year=YEAR, note="A person withdrew consent by phone.")
    assert Publication.objects.get(year=YEAR, version=1).tables == first.tables  # frozen release stays
    assert Publication.objects.get(year=YEAR, version=2).change["removed"] == 1
    timeline = client.get(f"/staff/cases/{withdrawn}/").content.decode()
    assert "Consent recorded for the person" in timeline


def test_the_case_page_records_a_change_for_a_hand_recorded_case(world: dict[str, Any]) -> None:
    client = world["client"]
    case_id = post_json(client, "/api/v1/cases/", _entry()).json()["id"]
    page = client.get(f"/staff/cases/{case_id}/").content.decode()
    assert 'id="consent-form"' in page
    response = client.post(f"/staff/cases/{case_id}/casework/consent/", {"consent_publication": "on"})
    assert response.status_code == 302
    assert _consent(case_id) == ((False, False, False, True), (False, False, True))
    # A colleague of the organisation may record it; an outsider gets 404 and changes nothing.
    colleague = logged_in(world["colleague"])
    assert post_json(colleague, f"/api/v1/cases/{case_id}/consent/",
                     {"contact": True, "statistics": True, "network": False, "publication": False}).status_code == 200
    before = case_state(case_id)
    outsider = logged_in(world["outsider"])
    assert post_json(outsider, f"/api/v1/cases/{case_id}/consent/",
                     {"contact": False, "statistics": False, "network": False, "publication": False}).status_code == 404
    assert outsider.post(f"/staff/cases/{case_id}/casework/consent/", {}).status_code == 404
    assert case_state(case_id) == before and _consent(case_id)[0] == (True, True, False, False)


def test_a_reporter_with_a_receipt_code_decides_alone(world: dict[str, Any]) -> None:
    client, case = world["client"], world["case"]
    before = _consent(case.pk)
    assert 'id="consent-form"' not in client.get(f"/staff/cases/{case.pk}/").content.decode()
    error = assert_error(post_json(client, f"/api/v1/cases/{case.pk}/consent/",
                                   {"contact": False, "statistics": False, "network": False, "publication": False}),
                         400, "reporter_decides")
    assert "receipt code" in error["message"]
    response = client.post(f"/staff/cases/{case.pk}/casework/consent/", {})
    assert response.status_code == 302
    assert _consent(case.pk) == before
    assert not AuditEntry.objects.filter(action=AuditAction.CONSENT_RECORDED).exists()


def test_consent_input_needs_all_four_answers(world: dict[str, Any]) -> None:
    client = world["client"]
    case_id = post_json(client, "/api/v1/cases/", _entry()).json()["id"]
    error = assert_error(post_json(client, f"/api/v1/cases/{case_id}/consent/", {"contact": True}), 400, "invalid")
    assert set(error["fields"]) == {"statistics", "network", "publication"}
    assert _consent(case_id)[0] == (True, True, False, False)
