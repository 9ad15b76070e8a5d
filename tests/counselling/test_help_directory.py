"""The help directory (SPEC §4.0): the coordinator keeps it in the application, and the
reporter's help page shows it, with the emergency numbers and the partners' public contacts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from counselling.demo import load_demo_help
from counselling.models import Membership, Referral
from reporting.audit import AuditAction
from reporting.models import AuditEntry, HelpService
from reporting.services import help_service_save, organisation_update
from tests.helpers import assert_error, case_world, logged_in, post_json

pytestmark = pytest.mark.django_db
URL = "/staff/help-directory/"


def _entry(**overrides: Any) -> dict[str, Any]:
    return {"name": "Sorgentelefon", "kind": "phone_counselling", "description": "Day and night",
            "phone": "0800 111 0 111", "web": "https://example.org/help", "languages": ["de", "tr"],
            "region": "nationwide", "position": "3", **overrides}


def test_the_coordinator_adds_changes_and_removes_an_entry_and_the_help_page_follows(
    make_member: Any, client: Any
) -> None:
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    assert coordinator.get(URL).status_code == 200
    response = coordinator.post(URL, _entry())
    assert response.status_code == 302
    service = HelpService.objects.get()
    assert service.phone == "0800 111 0 111" and service.languages == ["de", "tr"]
    page = client.get("/en/help/").content.decode()
    assert "Sorgentelefon" in page and 'href="tel:08001110111"' in page and "Türkçe" in page

    assert coordinator.post(f"{URL}{service.pk}/", _entry(phone="0800 222 0 222")).status_code == 302
    assert "tel:08002220222" in client.get("/en/help/").content.decode()
    assert coordinator.post(f"{URL}{service.pk}/delete/").status_code == 302
    assert not HelpService.objects.exists()
    assert "Sorgentelefon" not in client.get("/en/help/").content.decode()
    actions = list(AuditEntry.objects.filter(action__startswith="reporting.help_service").values_list("action", flat=True))
    assert actions == [AuditAction.HELP_SERVICE_SAVED, AuditAction.HELP_SERVICE_SAVED, AuditAction.HELP_SERVICE_DELETED]


def test_a_wrong_entry_is_refused_with_a_message_and_nothing_changes(make_member: Any) -> None:
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    response = coordinator.post(URL, _entry(phone="call me maybe", web="not a link", kind="nonsense"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please enter the number with digits only" in html and "Enter a valid URL." in html
    assert not HelpService.objects.exists()


@pytest.mark.parametrize("role", [Membership.Role.COUNSELLOR, Membership.Role.PARTNER_ADMIN])
def test_only_the_coordinator_keeps_the_directory(make_org: Any, make_member: Any, role: str) -> None:
    service = help_service_save(actor=None, name="Kept", kind="other")
    other = logged_in(make_member(make_org("partner-x"), role=role))
    assert other.get(URL).status_code == 404
    assert other.post(URL, _entry()).status_code == 404
    assert other.post(f"{URL}{service.pk}/", _entry(name="Changed")).status_code == 404
    assert other.post(f"{URL}{service.pk}/delete/").status_code == 404
    assert HelpService.objects.get().name == "Kept"


def test_the_help_page_shows_emergency_numbers_partners_and_the_demo_directory(
    client: Any, fallback_org: Any
) -> None:
    organisation_update(actor=None, organisation=fallback_org.organisation, public_contact="beratung@example.org")
    load_demo_help()
    load_demo_help()  # a second run changes nothing
    assert HelpService.objects.filter(kind=HelpService.Kind.EMERGENCY).count() == 2
    html = client.get("/en/help/").content.decode()
    assert 'href="tel:110"' in html and 'href="tel:112"' in html
    assert "beratung@example.org" in html and "Landesstelle" in html
    for service in HelpService.objects.filter(is_demo=True, referral_only=False):
        assert service.name in html and "(Demo)" in service.name
    referral_only = HelpService.objects.filter(referral_only=True)
    assert referral_only.exists()  # the demo keeps some services for counsellors' referrals
    for service in referral_only:
        assert service.name not in html


def test_without_entries_the_help_page_still_names_110_and_112(client: Any) -> None:
    html = client.get("/de/help/").content.decode()
    assert "110" in html and "112" in html


# --------------------------------------------------------------------------------------------
# One directory: the help page's entries are the ones counsellors refer people to (issue 20)

API = "/api/v1/directory/"


def test_the_coordinator_keeps_the_directory_through_the_api_and_the_help_page_follows(
    make_member: Any, client: Any
) -> None:
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    response = post_json(coordinator, API, {**_entry(position=3), "name": "Kanzlei Recht (Demo)",
                                            "kind": "legal_advice", "referral_only": True})
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["referral_only"] is True and entry["languages"] == ["de", "tr"]
    assert "Kanzlei Recht" not in client.get("/en/help/").content.decode()  # referrals only

    response = coordinator.patch(f"{API}{entry['id']}/", {"referral_only": False, "phone": "0511 123"},
                                 content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Kanzlei Recht (Demo)"  # what was not sent stays
    html = client.get("/en/help/").content.decode()
    assert "Kanzlei Recht" in html and 'href="tel:0511123"' in html
    assert coordinator.get(f"{API}{entry['id']}/").json()["phone"] == "0511 123"

    assert coordinator.delete(f"{API}{entry['id']}/").status_code == 204
    assert not HelpService.objects.exists()
    assert "Kanzlei Recht" not in client.get("/en/help/").content.decode()
    assert list(AuditEntry.objects.filter(action__startswith="reporting.help_service")
                .values_list("action", flat=True)) == [
        AuditAction.HELP_SERVICE_SAVED, AuditAction.HELP_SERVICE_SAVED, AuditAction.HELP_SERVICE_DELETED]


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": " ", "kind": "other"}, "name"),
    ({"name": "X", "kind": "nonsense"}, "kind"),
    ({"name": "X", "kind": "other", "phone": "call me maybe"}, "phone"),
    ({"name": "X", "kind": "other", "web": "not a link"}, "web"),
    ({"name": "X", "kind": "other", "languages": ["xx"]}, "languages"),
    ({"name": "X", "kind": "other", "position": -1}, "position"),
    ({"name": "X" * 201, "kind": "other"}, "name"),
])
def test_a_wrong_entry_through_the_api_is_a_400_naming_the_field(
    make_member: Any, payload: dict[str, Any], field: str
) -> None:
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    error = assert_error(post_json(coordinator, API, payload), 400, "invalid")
    assert field in error["fields"]
    assert not HelpService.objects.exists()
    kept = help_service_save(actor=None, name="Kept", kind="other")
    assert coordinator.patch(f"{API}{kept.pk}/", payload, content_type="application/json").status_code == 400
    kept.refresh_from_db()
    assert kept.name == "Kept" and kept.phone == ""


@pytest.mark.parametrize("role", [Membership.Role.COUNSELLOR, Membership.Role.PARTNER_ADMIN])
def test_members_read_the_directory_and_only_the_coordinator_changes_it(
    make_org: Any, make_member: Any, role: str
) -> None:
    shown = help_service_save(actor=None, name="Shown", kind="other", position=1)
    hidden = help_service_save(actor=None, name="For referrals", kind="legal_advice", referral_only=True, position=2)
    member = logged_in(make_member(make_org("partner-x"), role=role))
    listed = member.get(API).json()["results"]
    assert [(e["id"], e["referral_only"]) for e in listed] == [(shown.pk, False), (hidden.pk, True)]
    assert member.get(f"{API}{hidden.pk}/").json()["name"] == "For referrals"
    assert post_json(member, API, {"name": "Mine", "kind": "other"}).status_code == 404
    assert member.patch(f"{API}{shown.pk}/", {"name": "Mine"}, content_type="application/json").status_code == 404
    assert member.delete(f"{API}{shown.pk}/").status_code == 404
    assert sorted(HelpService.objects.values_list("name", flat=True)) == ["For referrals", "Shown"]
    assert Client().get(API).status_code == 401


def test_an_unknown_entry_is_a_404(make_member: Any) -> None:
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    assert coordinator.get(f"{API}987654/").status_code == 404
    assert coordinator.patch(f"{API}987654/", {"name": "X"}, content_type="application/json").status_code == 404
    assert coordinator.delete(f"{API}987654/").status_code == 404


def test_the_staff_page_keeps_an_entry_for_referrals_only(make_member: Any, client: Any) -> None:
    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    assert coordinator.post(URL, _entry(referral_only="on")).status_code == 302
    assert HelpService.objects.get().referral_only is True
    assert "Sorgentelefon" not in client.get("/en/help/").content.decode()
    assert "no, referrals only" in coordinator.get(URL).content.decode()


def test_counsellors_refer_to_entries_of_the_one_directory_on_the_page_and_through_the_api(
    make_org: Any, make_member: Any, submit: Any
) -> None:
    world = case_world(make_org, make_member, submit)
    case = world["case"]
    counsellor = logged_in(world["owner"])
    shown = help_service_save(actor=None, name="Sorgentelefon (Demo)", kind="phone_counselling")
    lawyer = help_service_save(actor=None, name="Kanzlei (Demo)", kind="legal_advice", referral_only=True)
    page = counsellor.get(f"/staff/cases/{case.pk}/").content.decode()
    assert f'<option value="{shown.pk}">Sorgentelefon (Demo)</option>' in page
    assert f'<option value="{lawyer.pk}">Kanzlei (Demo)' in page  # referral-only entries are offered too

    response = counsellor.post(f"/staff/cases/{case.pk}/casework/referral/",
                               {"service": lawyer.pk, "reason": "legal", "note": "Termin"})
    assert response.status_code == 302
    response = post_json(counsellor, f"/api/v1/cases/{case.pk}/referrals/", {"service": shown.pk,
                                                                             "reason": "psychological"})
    assert response.status_code == 201, response.content
    assert list(Referral.objects.order_by("pk").values_list("service_id", "reason")) == [
        (lawyer.pk, "legal"), (shown.pk, "psychological")]
    work = counsellor.get(f"/api/v1/cases/{case.pk}/casework/").json()
    assert [(r["service"], r["service_name"]) for r in work["referrals"]] == [
        (lawyer.pk, "Kanzlei (Demo)"), (shown.pk, "Sorgentelefon (Demo)")]

    # Removing an entry keeps its referrals (and the funder's count of them).
    coordinator = logged_in(world["coordinator"])
    assert coordinator.delete(f"{API}{lawyer.pk}/").status_code == 204
    assert Referral.objects.count() == 2
    work = counsellor.get(f"/api/v1/cases/{case.pk}/casework/").json()
    assert [r["service"] for r in work["referrals"]] == [None, shown.pk]
    year = timezone.localdate().year
    figures = coordinator.get(f"/api/v1/counselling-statistics/?year={year}").json()
    assert sum(org["referrals"] for org in figures["organisations"]) == 2
