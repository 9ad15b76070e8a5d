"""Consent by purpose (SPEC §5.1): asked at submission, changed in the follow-up (page and API),
followed by the statistics, the network export and the chronicle; the approval flow of a
public summary and the anonymous outcome question."""

from __future__ import annotations

from typing import Any

import pytest

from counselling.casework import case_close_with_outcome
from reporting.models import ChronicleEntry, Incident, OutcomeQuestion, PublicSummary
from reporting.services import case_mark_duplicate
from reporting.services.consent import consent_set, summary_draft
from stats.models import Publication
from stats.selectors import counted_records
from stats.services import classification_save, statistics_publish
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

YEAR = 2024


def _classify(case: Any, **overrides: Any) -> None:
    classification_save(actor=None, case=case, data={
        "incident_type": "assault", "motives": ["antisemitism"], "area_of_life": "public_space",
        "district": "03241", "year": YEAR, "month": 5, "channel": "online_form", **overrides})


def _json(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def org(make_org: Any) -> Any:
    return make_org("home", is_fallback=True)


def test_consent_given_at_submission_lands_on_case_and_incident(org: Any, submit: Any) -> None:
    case = submit(consent_statistics=False, consent_network=True, consent_publication=True).case
    assert (case.consent_statistics, case.consent_network, case.consent_publication) == (False, True, True)
    incident = Incident.objects.get(pk=case.incident_id)
    assert (incident.consent_statistics, incident.consent_network, incident.consent_publication) == (False, True, True)


def test_api_submission_takes_the_purposes(org: Any, client: Any) -> None:
    response = _json(client, "/api/v1/reports/", {
        "description": "Someone shouted at us.", "consent": True, "consent_network": True,
        "consent_statistics": False})
    assert response.status_code == 201, response.content
    from reporting.models import Case

    case = Case.objects.get()
    assert case.consent_network is True and case.consent_statistics is False


def test_withdrawing_statistics_takes_the_incident_out_of_later_releases_only(org: Any, submit: Any) -> None:
    # Everything in one cell, so that disclosure control has nothing to hide in either release.
    kept = [submit() for _ in range(5)]
    withdrawn = submit()
    for submitted in [*kept, withdrawn]:
        _classify(submitted.case)
    assert counted_records(year=YEAR).count() == 6
    first = statistics_publish(actor=None, year=YEAR)
    response = logged_out_followup_consent(withdrawn.receipt_code, statistics=False)
    assert response.status_code == 200
    assert sorted(r.incident_id for r in counted_records(year=YEAR)) == sorted(s.case.incident_id for s in kept)
    statistics_publish(actor=None, year=YEAR, note="A reporter withdrew consent.")
    frozen = Publication.objects.get(year=YEAR, version=1)
    assert frozen.tables == first.tables  # the earlier frozen release stays as it was
    assert Publication.objects.get(year=YEAR, version=2).change["removed"] == 1


def logged_out_followup_consent(receipt: str, **purposes: bool) -> Any:
    from django.test import Client

    values = {"contact": True, "statistics": True, "network": False, "publication": False, **purposes}
    return _json(Client(HTTP_ACCEPT_LANGUAGE="en"), "/api/v1/followup/consent/", {"receipt": receipt, **values})


def test_follow_up_page_changes_consent(org: Any, submit: Any, client: Any) -> None:
    submitted = submit()
    page = client.post("/en/followup/", {"receipt": submitted.receipt_code}).content.decode()
    assert 'id="consent_statistics"' in page and "checked" in page
    response = client.post("/en/followup/consent/", {"receipt": submitted.receipt_code,
                                                     "consent_contact": "on", "consent_network": "on"})
    assert response.status_code == 200
    assert "Your choices have been saved." in response.content.decode()
    submitted.case.refresh_from_db()
    assert (submitted.case.consent_statistics, submitted.case.consent_network) == (False, True)


def test_a_purpose_holds_for_an_incident_only_while_every_report_consents(org: Any, submit: Any) -> None:
    original, duplicate = submit(consent_network=True), submit(consent_network=False)
    case_mark_duplicate(actor=None, case=duplicate.case, original=original.case)
    assert Incident.objects.get(pk=original.case.incident_id).consent_network is False
    consent_set(case=duplicate.case, contact=True, statistics=True, network=True, publication=False)
    assert Incident.objects.get(pk=original.case.incident_id).consent_network is True


# ------------------------------------------------------------------------------ public summaries


@pytest.fixture
def summary_world(org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    member = make_member(org, username="counsellor")
    submitted = submit(consent_publication=True)
    return {"member": member, "case": submitted.case, "receipt": submitted.receipt_code,
            "staff": logged_in(member)}


def _draft(world: dict[str, Any], text: str) -> int:
    response = _json(world["staff"], f"/api/v1/cases/{world['case'].pk}/summary/", {"text": text})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_approved_summary_is_published(summary_world: dict[str, Any], client: Any) -> None:
    summary_id = _draft(summary_world, "A man was insulted at a tram stop in a large city.")
    page = client.post("/en/followup/", {"receipt": summary_world["receipt"]}).content.decode()
    assert "A man was insulted at a tram stop" in page
    response = client.post("/en/followup/summary/", {"receipt": summary_world["receipt"], "summary": summary_id,
                                                     "answer": "approve"})
    assert response.status_code == 200
    chronicle = client.get("/en/statistics/chronicle/").content.decode()
    assert "A man was insulted at a tram stop" in chronicle
    assert client.get("/api/v1/chronicle/").json()["results"][0]["text"].startswith("A man was insulted")


def test_vetoed_summary_is_never_published(summary_world: dict[str, Any], client: Any) -> None:
    summary_id = _draft(summary_world, "Vetoed text about an incident.")
    response = _json(client, "/api/v1/followup/summary/", {"receipt": summary_world["receipt"],
                                                           "summary": summary_id, "answer": "veto"})
    assert response.status_code == 200
    assert PublicSummary.objects.get().state == "vetoed"
    assert not ChronicleEntry.objects.exists()
    assert "Vetoed text" not in client.get("/en/statistics/chronicle/").content.decode()
    # A vetoed summary cannot be approved afterwards.
    response = _json(client, "/api/v1/followup/summary/", {"receipt": summary_world["receipt"],
                                                           "summary": summary_id, "answer": "approve"})
    assert response.status_code == 400 and not ChronicleEntry.objects.exists()


def test_never_answered_summary_is_never_published(summary_world: dict[str, Any], client: Any) -> None:
    _draft(summary_world, "Waiting text about an incident.")
    assert PublicSummary.objects.get().state == "pending"
    assert not ChronicleEntry.objects.exists()
    assert "Nothing has been published yet." in client.get("/en/statistics/chronicle/").content.decode()


def test_withdrawing_publication_takes_the_summary_off_the_chronicle(summary_world: dict[str, Any]) -> None:
    summary_id = _draft(summary_world, "Published, then withdrawn.")
    from django.test import Client

    reporter = Client(HTTP_ACCEPT_LANGUAGE="en")
    _json(reporter, "/api/v1/followup/summary/", {"receipt": summary_world["receipt"], "summary": summary_id,
                                                  "answer": "approve"})
    assert ChronicleEntry.objects.count() == 1
    logged_out_followup_consent(summary_world["receipt"], publication=False)
    assert not ChronicleEntry.objects.exists()
    assert PublicSummary.objects.get().state == "withdrawn"


def test_no_summary_without_consent_to_publication(org: Any, make_member: Any, submit: Any) -> None:
    member = make_member(org)
    case = submit().case
    response = _json(logged_in(member), f"/api/v1/cases/{case.pk}/summary/", {"text": "Something."})
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_publication_consent"
    assert not PublicSummary.objects.exists()
    from reporting.services import ServiceError

    with pytest.raises(ServiceError):
        summary_draft(case=case, case_key=b"\x00" * 32, text="x", actor=None)


# ------------------------------------------------------------------------------ the outcome question


def test_outcome_question_is_answered_anonymously_and_counted(org: Any, make_member: Any, submit: Any,
                                                               client: Any) -> None:
    member = make_member(org, role="partner_admin")
    submitted = submit()
    case_close_with_outcome(actor=member.membership.user, case=submitted.case, internal_key=b"\x01" * 32,
                            outcome="resolved")
    page = client.post("/en/followup/", {"receipt": submitted.receipt_code}).content.decode()
    assert "Did you get what you needed?" in page
    response = client.post("/en/followup/outcome/", {"receipt": submitted.receipt_code, "answer": "partly"})
    assert response.status_code == 200 and "Thank you for your answer." in response.content.decode()
    question = OutcomeQuestion.objects.get()
    assert question.answer == "partly" and question.case_id is None  # detached from the case
    assert "Did you get what you needed?" not in client.post(
        "/en/followup/", {"receipt": submitted.receipt_code}).content.decode()
    figures = logged_in(member).get("/api/v1/counselling-statistics/").json()["organisations"][0]
    assert figures["outcome_answers"]["partly"] == 1
    # A second answer is refused; a bad one too.
    response = _json(client, "/api/v1/followup/outcome/", {"receipt": submitted.receipt_code, "answer": "yes"})
    assert response.status_code == 400


def test_no_question_for_a_reporter_who_does_not_want_contact(org: Any, make_member: Any, submit: Any) -> None:
    member = make_member(org)
    submitted = submit(consent_contact=False)
    case_close_with_outcome(actor=member.membership.user, case=submitted.case, internal_key=b"\x01" * 32,
                            outcome="resolved")
    assert not OutcomeQuestion.objects.exists()
