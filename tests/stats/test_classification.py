"""classification_save: records, duplicates, shredding, audit, validation."""

from __future__ import annotations

import pytest

from reporting.models import AuditEntry
from reporting.services import case_mark_duplicate, case_shred
from stats.models import StatisticsRecord
from stats.services import ClassificationInvalid, classification_clean
from tests.helpers import logged_in


def test_classifying_writes_a_record_with_codes_only(fallback_org, submit, classify) -> None:
    case = submit().case
    record = classify(case, motives=["antisemitism"], antisemitism_forms=["modern"])
    assert record.incident_id == case.incident_id
    assert record.organisation_id == case.organisation_id
    assert record.motives == ["antisemitism"]
    assert record.antisemitism_forms == ["modern"]
    assert str(record.incident_key) != str(case.pk)
    entry = AuditEntry.objects.filter(action="counselling.case.classified").get()
    assert entry.case_id == case.pk
    assert entry.data["record"] == record.pk


def test_reclassifying_updates_the_same_record(fallback_org, submit, classify) -> None:
    case = submit().case
    first = classify(case, incident_type="assault")
    second = classify(case, incident_type="threat")
    assert first.pk == second.pk
    assert StatisticsRecord.objects.get().incident_type == "threat"


def test_duplicates_share_the_original_record(fallback_org, submit, classify) -> None:
    original = submit().case
    duplicate = submit().case
    case_mark_duplicate(actor=None, case=duplicate, original=original)
    record = classify(duplicate, incident_type="threat")
    assert record.incident_id == original.incident_id
    assert StatisticsRecord.objects.count() == 1
    classify(original, incident_type="assault")
    assert StatisticsRecord.objects.get().incident_type == "assault"


def test_duplicate_marked_after_classification_merges_into_original(fallback_org, submit, classify) -> None:
    original = submit().case
    later_duplicate = submit().case
    classify(original, incident_type="assault")
    classify(later_duplicate, incident_type="threat")
    case_mark_duplicate(actor=None, case=later_duplicate, original=original)
    # The original's classification stays; the duplicate's record goes with its incident.
    assert list(StatisticsRecord.objects.values_list("incident_id", "incident_type")) == [
        (original.incident_id, "assault")
    ]


def test_record_survives_shredding_of_its_only_case(fallback_org, submit, classify) -> None:
    case = submit().case
    record = classify(case)
    case_shred(actor=None, case=case, reason="reporter")
    record.refresh_from_db()
    assert record.incident.cases.count() == 0
    assert record.incident_type == "assault"
    assert record.incident.counts


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("incident_type", "murder"),
        ("motives", []),
        ("motives", ["racism", "nonsense"]),
        ("district", "99999"),
        ("area_of_life", ""),
        ("channel", "pigeon"),
        ("year", 1999),
        ("year", 9999),
        ("month", 13),
        ("month", "x"),
        ("people_affected", 0),
        ("people_affected", "many"),
    ],
)
def test_invalid_classification_is_refused_per_field(field, value) -> None:
    data = {
        "incident_type": "assault", "motives": ["racism"], "area_of_life": "work",
        "district": "online", "year": 2024, "month": 2, "channel": "phone",
    }
    data[field] = value
    with pytest.raises(ClassificationInvalid) as info:
        classification_clean(data)
    assert field in info.value.fields


def test_antisemitism_forms_dropped_without_antisemitism() -> None:
    clean = classification_clean({
        "incident_type": "assault", "motives": ["racism"], "area_of_life": "work",
        "district": "unknown", "year": 2024, "month": 2, "channel": "phone",
        "antisemitism_forms": ["modern"],
    })
    assert clean.antisemitism_forms == ()


# ----------------------------------------------------------------------------- the page


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "incident_type": "offensive_behaviour", "motives": ["racism", "xenophobia"],
        "area_of_life": "transport", "district": "03241", "year": "2024", "month": "7",
        "channel": "phone", "people_affected": "",
    }
    data.update(overrides)
    return data


def test_page_without_unlocked_key_sends_to_unlock(fallback_org, make_member, submit) -> None:
    """The page shows the decrypted report, so like the case page it needs the unlocked key."""
    case = submit(incident_type="threat", motives=["antiziganism"], district="03101").case
    c = logged_in(make_member(fallback_org), unlocked=False)  # logged in with TOTP, but the session holds no key
    response = c.get(f"/staff/cases/{case.pk}/classify/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/unlock/?next=")
    assert f"/staff/cases/{case.pk}/classify/" in response["Location"].replace("%2F", "/")


def test_page_with_errors_and_no_key_keeps_the_answers(fallback_org, make_member, submit) -> None:
    case = submit().case
    c = logged_in(make_member(fallback_org), unlocked=False)
    response = c.post(f"/staff/cases/{case.pk}/classify/", _form(motives=[]))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="report-locked"' in html
    assert "Someone shouted" not in html
    assert '<option value="transport" selected>' in html


def test_counsellor_classifies_on_the_page(fallback_org, make_member, submit) -> None:
    case = submit().case
    c = logged_in(make_member(fallback_org))
    response = c.post(f"/staff/cases/{case.pk}/classify/", _form())
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{case.pk}/"
    record = StatisticsRecord.objects.get()
    assert record.motives == ["racism", "xenophobia"]
    assert record.channel == "phone" and record.month == 7


def test_page_shows_errors_without_saving(fallback_org, make_member, submit) -> None:
    case = submit().case
    c = logged_in(make_member(fallback_org))
    response = c.post(f"/staff/cases/{case.pk}/classify/", _form(motives=[], year="2999"))
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not StatisticsRecord.objects.exists()


def test_page_of_other_organisation_is_404(fallback_org, make_org, make_member, submit) -> None:
    from counselling.models import Membership

    case = submit().case
    c = logged_in(make_member(make_org()))
    assert c.get(f"/staff/cases/{case.pk}/classify/").status_code == 404
    assert c.post(f"/staff/cases/{case.pk}/classify/", _form()).status_code == 404
    coordinator = make_member(None, role=Membership.Role.COORDINATOR)
    from django.test import Client

    assert logged_in(coordinator, Client(HTTP_ACCEPT_LANGUAGE="en")).get(f"/staff/cases/{case.pk}/classify/").status_code == 404
    assert not StatisticsRecord.objects.exists()


def test_page_needs_login_with_totp(fallback_org, make_member, submit, client) -> None:
    case = submit().case
    response = client.get(f"/staff/cases/{case.pk}/classify/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(make_member(fallback_org).membership.user)  # no TOTP verification
    response = client.get(f"/staff/cases/{case.pk}/classify/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
