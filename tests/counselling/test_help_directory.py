"""The help directory (SPEC §4.0): the coordinator keeps it in the application, and the
reporter's help page shows it, with the emergency numbers and the partners' public contacts."""

from __future__ import annotations

from typing import Any

import pytest

from counselling.demo import load_demo_help
from counselling.models import Membership
from reporting.audit import AuditAction
from reporting.models import AuditEntry, HelpService
from reporting.services import help_service_save, organisation_update
from tests.helpers import logged_in

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
    for service in HelpService.objects.filter(is_demo=True):
        assert service.name in html and "(Demo)" in service.name


def test_without_entries_the_help_page_still_names_110_and_112(client: Any) -> None:
    html = client.get("/de/help/").content.decode()
    assert "110" in html and "112" in html
