"""The public API (SPEC §7): taxonomy, partners, submission, follow-up; JSON errors, no 500s."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reporting.models import Case
from reporting.services import (
    case_keys_for_organisation,
    message_post,
    organisation_update,
    report_decrypt,
    reporter_open,
)
from tests.helpers import REPORTS, assert_error, make_jpeg, nothing_stored, post_json, report

pytestmark = pytest.mark.django_db

def test_taxonomy_lists_codes_with_labels_in_the_requested_language(client: Any) -> None:
    english = client.get("/api/v1/taxonomy/", HTTP_ACCEPT_LANGUAGE="en").json()
    codes = {entry["code"] for entry in english["incident_types"]}
    assert "assault" in codes and "discrimination" in codes
    assert {"code": "antisemitism", "label": "Antisemitism"} in english["motives"]
    places = {entry["code"] for entry in english["places"]}
    assert len(places) == 47 and {"online", "unknown", "03241"} <= places
    assert english["language"] == "en"
    assert client.get("/api/v1/taxonomy/", HTTP_ACCEPT_LANGUAGE="de").json()["language"] == "de"


def test_partners_lists_active_organisations_only(client: Any, make_org: Any) -> None:
    make_org("aktiv", statewide=False, districts=["03241"], public_contact="info@example.org")
    paused = make_org("pausiert")
    organisation_update(actor=None, organisation=paused.organisation, active=False)
    page = client.get("/api/v1/partners/", HTTP_ACCEPT_LANGUAGE="en").json()
    body = page["results"]
    assert [entry["slug"] for entry in body] == ["aktiv"]
    assert body[0]["districts"][0]["code"] == "03241"
    assert "Hannover" in body[0]["coverage_text"]
    assert body[0]["public_contact"] == "info@example.org"


def test_challenge_has_token_and_difficulty(client: Any, settings: Any) -> None:
    settings.REPORT_POW_DIFFICULTY = 8
    body = client.get("/api/v1/reports/challenge/").json()
    assert body["difficulty"] == 8 and len(body["challenge"]) > 16


def test_submit_json_returns_receipt_and_reference(client: Any, fallback_org: Any) -> None:
    response = post_json(client, REPORTS, report(extra_field="ignored", language="tr"))
    assert response.status_code == 201
    body = response.json()
    access = reporter_open(receipt=body["receipt"])
    assert access is not None and access.case.reference == body["reference"]
    assert access.case.channel == "api" and access.case.language == "tr"
    content = report_decrypt(case=access.case, case_key=access.case_key)
    assert content["occurred_on"] == "2025-01-02"


def test_submit_multipart_with_files(client: Any, fallback_org: Any) -> None:
    response = client.post(REPORTS, {**report(), "consent": "true", "motives": ["racism", "xenophobia"],
                                      "files": [SimpleUploadedFile("a.jpg", make_jpeg(), "image/jpeg")]})
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.attachments.count() == 1 and case.motives == ["racism", "xenophobia"]


def test_submit_works_without_session_or_csrf(fallback_org: Any) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    assert post_json(strict, REPORTS, report()).status_code == 201
    assert "sessionid" not in strict.cookies


def test_a_partner_chosen_through_the_api_receives_the_report_and_a_paused_one_is_refused(
    client: Any, fallback_org: Any, make_org: Any,
) -> None:
    chosen = make_org("beratung-nord", statewide=True)
    assert post_json(client, REPORTS, report(partner="beratung-nord")).status_code == 201
    assert Case.objects.get().organisation_id == chosen.organisation.pk
    organisation_update(actor=None, organisation=chosen.organisation, active=False)
    error = assert_error(post_json(client, REPORTS, report(partner="beratung-nord")), 400, "invalid")
    assert "Please choose an organisation" in " ".join(error["fields"]["partner"])
    assert Case.objects.count() == 1


@pytest.mark.parametrize(("payload", "field", "text"), [
    (report(description=""), "description", "Please tell us in your own words"),
    (report(consent=False), "consent", "Please confirm that you agree"),
    (report(occurred_on="2025-13-01"), "occurred_on", "Please enter the day as a date"),
    (report(occurred_on="2999-01-01"), "occurred_on", "in the future"),
    (report(occurred_on="", occurred_month="2999-01"), "occurred_month", "in the future"),
    (report(district="00000"), "district", "Please choose a district"),
    (report(motives=["racism", "made_up"]), "motives", "Please choose from the list"),
    (report(motives=5), "motives", ""),
    (report(description=12), "description", ""),
    (report(consent="maybe"), "consent", ""),
    (report(people_affected="many"), "people_affected", ""),
    (report(partner="unknown-org"), "partner", "Please choose an organisation"),
    (report(language="xx"), "language", ""),
    (report(contact="phone"), "contact_phone", "Please enter your phone number"),
])
def test_invalid_reports_get_400_with_fields_and_store_nothing(
    client: Any, fallback_org: Any, payload: dict[str, Any], field: str, text: str
) -> None:
    error = assert_error(post_json(client, REPORTS, payload), 400, "invalid")
    assert field in error["fields"]
    assert text in " ".join(error["fields"][field])
    assert nothing_stored()


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "null"])
def test_malformed_json_gets_400(client: Any, fallback_org: Any, body: str) -> None:
    assert_error(post_json(client, REPORTS, body), 400, "malformed")
    assert nothing_stored()


def test_oversized_json_gets_413(client: Any, fallback_org: Any) -> None:
    assert_error(post_json(client, REPORTS, report(description="x" * 2_000_000)), 413, "too_large")
    assert nothing_stored()


def test_unsupported_body_type_gets_415(client: Any, fallback_org: Any) -> None:
    response = client.post(REPORTS, "description=x", content_type="text/plain")
    assert_error(response, 415)
    assert nothing_stored()


def test_file_too_large_gets_413_and_wrong_type_415(client: Any, fallback_org: Any, settings: Any) -> None:
    settings.REPORT_MAX_FILE_BYTES = 500
    big = SimpleUploadedFile("a.jpg", make_jpeg(size=(300, 300)), "image/jpeg")
    error = assert_error(client.post(REPORTS, {**report(), "consent": "true", "files": [big]}), 413, "too_large")
    assert "files" in error["fields"]
    settings.REPORT_MAX_FILE_BYTES = 10_000_000
    fake = SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>", "application/pdf")
    assert_error(client.post(REPORTS, {**report(), "consent": "true", "files": [fake]}), 415)
    settings.REPORT_MAX_FILES = 1
    two = [SimpleUploadedFile(f"{i}.jpg", make_jpeg(), "image/jpeg") for i in range(2)]
    assert_error(client.post(REPORTS, {**report(), "consent": "true", "files": two}), 413)
    assert nothing_stored()


def test_followup_shows_status_and_messages_and_marks_them_read(
    client: Any, fallback_org: Any, make_member: Any, submit: Any
) -> None:
    submitted = submit()
    case = submitted.case
    staff = make_member(fallback_org).membership.user
    keys = case_keys_for_organisation(case=case, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    message_post(case=case, case_key=keys.case_key, body="Hello, how can we help?", actor=staff)
    body = post_json(client, "/api/v1/followup/", {"receipt": submitted.receipt_code.lower()}).json()
    assert body["status"] == "new" and body["reference"] == case.reference
    assert body["messages"][0] == {**body["messages"][0], "direction": "staff", "body": "Hello, how can we help?",
                                   "unread": True}
    case.refresh_from_db()
    assert case.reporter_unread is False
    again = post_json(client, "/api/v1/followup/", {"receipt": submitted.receipt_code}).json()
    assert again["messages"][0]["unread"] is False


def test_followup_message_and_delete(client: Any, fallback_org: Any, submit: Any) -> None:
    submitted = submit()
    response = post_json(client, "/api/v1/followup/messages/", {"receipt": submitted.receipt_code, "body": "Thanks"})
    assert response.status_code == 201
    assert response.json()["messages"][-1]["direction"] == "reporter"
    assert_error(post_json(client, "/api/v1/followup/messages/", {"receipt": submitted.receipt_code, "body": ""}),
                 400, "invalid")
    assert post_json(client, "/api/v1/followup/delete/", {"receipt": submitted.receipt_code}).json() == {"deleted": True}
    assert Case.objects.count() == 0
    assert_error(post_json(client, "/api/v1/followup/", {"receipt": submitted.receipt_code}), 404, "not_found")


@pytest.mark.parametrize("payload", [{"receipt": "AAAA-BBBB-CCCC-DDDD"}, {"receipt": "nonsense"},
                                     {"receipt": 12}, {}])
def test_followup_bad_receipts_get_one_answer(client: Any, fallback_org: Any, payload: Any) -> None:
    response = post_json(client, "/api/v1/followup/", payload)
    assert response.status_code in (400, 404)
    if response.status_code == 404:
        assert response.json()["error"]["message"] == "This code does not open a report. Please check it and try again."


def test_schema_documents_the_public_endpoints(client: Any) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    text = response.content.decode()
    for path in ("/api/v1/taxonomy/", "/api/v1/partners/", "/api/v1/reports/", "/api/v1/reports/challenge/",
                 "/api/v1/followup/", "/api/v1/followup/messages/", "/api/v1/followup/delete/"):
        assert path in text
    # The one error schema of the whole API (meldestelle.api.ERROR).
    assert '"#/components/schemas/Error"' in text and "ReportIn" in text


def test_report_shapes_checked_at_once_in_threads_keep_their_own_answers() -> None:
    # The report's JSON shape copies its declared fields shallowly for each request (issue 16):
    # requests checked at once in the server's threads must still each get their own verdict.
    from concurrent.futures import ThreadPoolExecutor

    from reporting.api_views import ReportIn

    good = {"description": "Someone shouted at us.", "motives": ["racism"], "people_affected": 2}
    bad = {"description": 5, "motives": "racism", "people_affected": 0}

    def check(number: int) -> tuple[bool, set[str], Any]:
        shape = ReportIn(data=good if number % 2 else bad)
        valid = shape.is_valid()
        return valid, set(shape.errors), shape.validated_data if valid else None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(check, range(400)))
    for number, (valid, errors, data) in enumerate(results):
        if number % 2:
            assert valid and errors == set()
            assert data["motives"] == ["racism"] and data["people_affected"] == 2
        else:
            assert not valid and errors == {"description", "motives", "people_affected"}
    # And the declared fields were never bound to any of those requests.
    assert all(field.field_name is None and field.parent is None for field in ReportIn._declared_fields.values())
