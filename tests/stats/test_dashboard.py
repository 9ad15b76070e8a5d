"""Internal dashboard and publishing page: who sees what, unsuppressed figures, export audit."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from counselling.models import Membership
from reporting.models import AuditEntry
from stats.models import Publication
from tests.helpers import logged_in

URLS = ("/staff/statistics/", "/staff/statistics/export.csv?year=2024",
        "/staff/statistics/publish/")


@pytest.fixture
def two_orgs(make_org, make_member, submit, classify):
    north = make_org("north", statewide=True)
    south = make_org("south", is_fallback=True, statewide=True)
    north_case = submit(partner="north").case
    assert north_case.organisation_id == north.organisation.pk
    classify(north_case, incident_type="threat")
    for _ in range(2):
        case = submit(partner="south").case
        assert case.organisation_id == south.organisation.pk
        classify(case, incident_type="assault")
    return north, south


def test_anonymous_is_sent_to_login_and_counsellor_gets_404(two_orgs, make_member) -> None:
    north, _south = two_orgs
    for url in URLS:
        response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")
    c = logged_in(make_member(north))
    for url in URLS:
        assert c.get(url).status_code == 404


def test_coordinator_without_totp_is_sent_to_login(two_orgs, make_member, client) -> None:
    client.force_login(make_member(None, role=Membership.Role.COORDINATOR).membership.user)
    response = client.get(URLS[0])
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_coordinator_sees_everything_unsuppressed(two_orgs, make_member) -> None:
    c = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    html = c.get("/staff/statistics/?year=2024").content.decode()
    assert 'data-total="3"' in html
    assert "fewer than" not in html
    assert 'data-key="threat">' in html
    threat_row = html.split('data-key="threat">', 1)[1].split("</tr>", 1)[0]
    assert 'data-value="1"' in threat_row
    filtered = c.get(f"/staff/statistics/?year=2024&organisation={two_orgs[1].organisation.pk}")
    assert 'data-total="2"' in filtered.content.decode()
    by_type = c.get("/staff/statistics/?year=2024&incident_type=threat&motive=racism")
    assert 'data-total="1"' in by_type.content.decode()


def test_partner_admin_sees_own_organisation_only(two_orgs, make_member) -> None:
    north, south = two_orgs
    c = logged_in(make_member(north, role=Membership.Role.PARTNER_ADMIN))
    html = c.get(f"/staff/statistics/?year=2024&organisation={south.organisation.pk}").content.decode()
    assert 'data-total="1"' in html
    assert c.get("/staff/statistics/publish/").status_code == 404


def test_export_is_csv_and_audited(two_orgs, make_member) -> None:
    c = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    response = c.get("/staff/statistics/export.csv?year=2024")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["value"] == "3"
    entry = AuditEntry.objects.get(action="stats.exported")
    assert entry.data["year"] == 2024


def test_coordinator_publishes_on_the_page(two_orgs, make_member) -> None:
    c = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    assert c.get("/staff/statistics/publish/").status_code == 200
    response = c.post("/staff/statistics/publish/", {"year": "2024", "note": ""})
    assert response.status_code == 302
    assert response["Location"] == "/en/statistics/2024/"
    assert Publication.objects.get().tables["total"]["value"] == 3
    again = c.post("/staff/statistics/publish/", {"year": "2024", "note": ""})
    assert again.status_code == 200
    assert "needs a note" in again.content.decode()
    assert Publication.objects.count() == 1
    assert AuditEntry.objects.filter(action="stats.published").count() == 1


def test_release_the_audit_cannot_finish_is_refused_and_nothing_is_visible(two_orgs, make_member, settings) -> None:
    settings.STATS_AUDIT_TIME_LIMIT = 1e-9
    c = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    response = c.post("/staff/statistics/publish/", {"year": "2024", "note": ""})
    assert response.status_code == 200
    assert "nothing was published" in response.content.decode()
    assert not Publication.objects.exists()
    assert c.get("/en/statistics/2024/").status_code == 404
    assert not AuditEntry.objects.filter(action="stats.published").exists()


def test_refused_correction_names_the_figures_it_could_not_protect(make_org, make_member, submit, classify) -> None:
    make_org("solo", is_fallback=True)
    cases = [submit().case for _ in range(5)]
    for case in cases:
        classify(case)
    c = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    assert c.post("/staff/statistics/publish/", {"year": "2024", "note": ""}).status_code == 302
    classify(cases[0], incident_type="threat")
    response = c.post("/staff/statistics/publish/", {"year": "2024", "note": "One reclassified"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "nothing was published" in page
    assert 'id="unprotected-cells"' in page and "By type of incident, Threat" in page
    assert Publication.objects.count() == 1
