"""The counselling work of SPEC §5.1 through the staff API and the case page: contacts,
interventions, the criminal-justice track, deadlines with reminders, referrals, the outcome
at closing. Texts are ciphertext at rest; codes stay plain; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from counselling.casework import deadline_reminders_run
from counselling.models import CaseOutcome, Contact, Deadline, Intervention, JusticeTrack, Referral
from reporting.models import Case, OutcomeQuestion
from reporting.services import case_shred, help_service_save
from tests.helpers import case_state, case_world, logged_in

pytestmark = pytest.mark.django_db

SECRET = "Casework-Secret-7f3a"


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    world = case_world(make_org, make_member, submit)
    world["client"] = logged_in(world["owner"])
    world["service"] = help_service_save(actor=None, name="Legal aid (Demo)", kind="legal_advice",
                                         referral_only=True)
    return world


def _post(client: Any, case: Case, path: str, payload: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/cases/{case.pk}/{path}/", payload, content_type="application/json")


def _table_bytes() -> bytes:
    """Every row of the casework tables as one byte string, read with SQL."""
    found = b""
    with connection.cursor() as cursor:
        for table in ("counselling_contact", "counselling_intervention", "counselling_referral",
                      "counselling_caseoutcome", "counselling_justicetrack", "counselling_deadline"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            for row in cursor.fetchall():
                found += b"|".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    return found


def test_documented_work_reads_back_and_is_ciphertext_at_rest(world: dict[str, Any]) -> None:
    client, case = world["client"], world["case"]
    for path, payload in (
        ("contacts", {"mode": "phone", "duration_minutes": 45, "who": f"{SECRET} who", "note": f"{SECRET} c"}),
        ("interventions", {"code": "complaint_letter", "note": f"{SECRET} i"}),
        ("justice", {"reported_to_police": "yes", "politically_motivated": "no", "proceedings": "investigation",
                     "outcome": "pending", "note": f"{SECRET} j"}),
        ("deadlines", {"kind": "agg_claim", "due_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
                       "label": f"{SECRET} d"}),
        ("referrals", {"service": world["service"].pk, "reason": "legal", "note": f"{SECRET} r"}),
    ):
        response = _post(client, case, path, payload)
        assert response.status_code in (200, 201), (path, response.content)
    work = client.get(f"/api/v1/cases/{case.pk}/casework/").json()
    assert work["contacts"][0] | {"id": 0} == {
        "id": 0, "mode": "phone", "mode_label": "Phone", "author": "owner", "occurred_on": timezone.localdate().isoformat(),
        "duration_minutes": 45, "who": f"{SECRET} who", "note": f"{SECRET} c"}
    assert [i["code"] for i in work["interventions"]] == ["complaint_letter"]
    assert work["justice"]["reported_to_police"] == "yes" and work["justice"]["note"] == f"{SECRET} j"
    assert work["deadlines"][0]["label"] == f"{SECRET} d" and work["deadlines"][0]["reminder_state"] == "waiting"
    assert work["referrals"][0]["service_name"] == "Legal aid (Demo)"
    # The case page shows it too.
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert f"{SECRET} who" in page and "Legal aid (Demo)" in page
    # At rest: codes in plain text, nothing the counsellor wrote.
    stored = _table_bytes()
    assert SECRET.encode() not in stored
    assert b"complaint_letter" in stored and b"phone" in stored


def test_colleague_reads_copy_holder_reads_outsider_gets_404(world: dict[str, Any]) -> None:
    case = world["case"]
    assert _post(world["client"], case, "contacts", {"mode": "mailbox"}).status_code == 201
    assert logged_in(world["colleague"]).get(f"/api/v1/cases/{case.pk}/casework/").status_code == 200
    outsider = logged_in(world["outsider"])
    before = case_state(case.pk)
    assert outsider.get(f"/api/v1/cases/{case.pk}/casework/").status_code == 404
    assert _post(outsider, case, "contacts", {"mode": "mailbox"}).status_code == 404
    assert case_state(case.pk) == before and Contact.objects.count() == 1


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("contacts", {"mode": "pigeon"}, "mode"),
    ("contacts", {"mode": "phone", "duration_minutes": 0}, "duration_minutes"),
    ("contacts", {"mode": "phone", "occurred_on": "2999-01-01"}, "occurred_on"),
    ("interventions", {"code": "public_action"}, "code"),  # no consent to publication
    ("deadlines", {"kind": "agg_claim", "due_on": "2001-01-01"}, "due_on"),
    ("referrals", {"service": "nowhere", "reason": "legal"}, "service"),
    ("referrals", {"service": 987654, "reason": "legal"}, "service"),  # no such directory entry
    ("close", {"outcome": "won_the_lottery"}, "outcome"),
    ("justice", {"reported_to_police": "maybe", "politically_motivated": "no", "proceedings": "none",
                 "outcome": "pending"}, "reported_to_police"),
])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    world: dict[str, Any], path: str, payload: dict[str, Any], field: str,
) -> None:
    case = world["case"]
    before = case_state(case.pk)
    response = _post(world["client"], case, path, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert case_state(case.pk) == before
    for model in (Contact, Intervention, Referral, CaseOutcome, Deadline, JusticeTrack):
        assert not model.objects.exists()


def test_closing_with_an_outcome_closes_and_asks_the_reporter(world: dict[str, Any]) -> None:
    case = world["case"]
    response = _post(world["client"], case, "close", {"outcome": "resolved", "wishes": f"{SECRET} wish"})
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.status == "closed"
    work = world["client"].get(f"/api/v1/cases/{case.pk}/casework/").json()
    assert work["outcome"] == {"outcome": "resolved", "label": "Resolved", "wishes": f"{SECRET} wish"}
    assert OutcomeQuestion.objects.filter(case=case, answer="").count() == 1


def test_closing_without_asking_asks_nothing(world: dict[str, Any]) -> None:
    response = _post(world["client"], world["case"], "close", {"outcome": "not_reachable", "status": "referred",
                                                               "ask_reporter": False})
    assert response.status_code == 201
    assert not OutcomeQuestion.objects.exists()


def test_page_forms_document_a_contact_and_refuse_bad_input(world: dict[str, Any]) -> None:
    client, case = world["client"], world["case"]
    response = client.post(f"/staff/cases/{case.pk}/casework/contact/", {"mode": "video", "note": "via page"})
    assert response.status_code == 302
    assert Contact.objects.get().mode == "video"
    response = client.post(f"/staff/cases/{case.pk}/casework/contact/", {"mode": "carrier-pigeon"}, follow=True)
    assert "Some answers need another look" in response.content.decode()
    assert Contact.objects.count() == 1


def test_shredding_keeps_the_codes_and_drops_the_text(world: dict[str, Any]) -> None:
    case = world["case"]
    _post(world["client"], case, "contacts", {"mode": "phone", "note": SECRET})
    _post(world["client"], case, "close", {"outcome": "resolved", "wishes": SECRET})
    case_shred(actor=None, case=case, reason="retention")
    contact = Contact.objects.get()
    assert contact.case_id is None and contact.mode == "phone" and bytes(contact.details_ciphertext) == b""
    assert CaseOutcome.objects.get().outcome == "resolved"
    assert bytes(CaseOutcome.objects.get().details_ciphertext) == b""


# ------------------------------------------------------------------------------ reminders


def _deadline(world: dict[str, Any], days: int, remind: int) -> Deadline:
    due = (timezone.localdate() + timedelta(days=days)).isoformat()
    response = _post(world["client"], world["case"], "deadlines", {"kind": "court_date", "due_on": due,
                                                                   "remind_days_before": remind, "label": SECRET})
    assert response.status_code == 201
    return Deadline.objects.get(pk=response.json()["id"])


def test_reminder_is_sent_once_when_due_and_says_nothing_of_the_case(world: dict[str, Any]) -> None:
    _deadline(world, days=30, remind=7)  # not due yet
    due = _deadline(world, days=5, remind=7)
    mail.outbox.clear()
    assert deadline_reminders_run() == 1
    assert len(mail.outbox) >= 1
    for message in mail.outbox:
        assert SECRET not in message.body and world["case"].reference not in message.body
        assert f"/staff/cases/{world['case'].pk}/" in message.body
    due.refresh_from_db()
    assert due.reminder_state == "sent"
    mail.outbox.clear()
    assert deadline_reminders_run() == 0 and mail.outbox == []


def test_failed_reminder_is_shown_and_retried(world: dict[str, Any], settings: Any, monkeypatch: Any) -> None:
    due = _deadline(world, days=1, remind=3)

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise OSError("mail server down")

    monkeypatch.setattr("counselling.casework.send_mail", refuse)
    assert deadline_reminders_run() == 0
    due.refresh_from_db()
    assert due.reminder_state == "failed" and due.reminder_attempts == 1
    page = world["client"].get(f"/staff/cases/{world['case'].pk}/").content.decode()
    assert "Reminder e-mail failed; retrying" in page
    monkeypatch.undo()
    mail.outbox.clear()
    assert deadline_reminders_run() == 1
    due.refresh_from_db()
    assert due.reminder_state == "sent" and due.reminder_attempts == 2 and mail.outbox


def test_done_deadline_is_not_reminded(world: dict[str, Any]) -> None:
    due = _deadline(world, days=1, remind=3)
    response = _post(world["client"], world["case"], "deadlines/done", {"deadline": due.pk})
    assert response.status_code == 200
    assert deadline_reminders_run() == 0


