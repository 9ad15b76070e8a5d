"""Follow-up pages (SPEC §4.2): status, thread, reply, files, delete; wrong codes cost rising
proof of work from the client that sent them (SPEC §4.4), never a lock on others."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from reporting.models import Case, Message
from reporting.services import (
    case_keys_for_organisation,
    case_set_status,
    message_post,
    reporter_open,
)
from tests.helpers import make_jpeg, post_json, solve

pytestmark = pytest.mark.django_db

GENERIC = "This code does not open a report. Please check it and try again."


def _zero_bits(challenge: str, nonce: int) -> int:
    digest = int.from_bytes(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest(), "big")
    return 256 - digest.bit_length()


def staff_reply(org: Any, make_member: Any, case: Case, body: str) -> Any:
    staff = make_member(org).membership.user
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=org.private_key)
    message_post(case=case, case_key=keys.case_key, body=body, actor=staff)
    return staff


def test_enter_code_page_is_a_form_without_the_code_in_the_url(client: Any) -> None:
    response = client.get("/en/followup/")
    html = response.content.decode()
    assert response.status_code == 200 and 'method="post"' in html and 'name="receipt"' in html


def test_status_thread_and_unread_markers(client: Any, fallback_org: Any, make_member: Any, submit: Any) -> None:
    submitted = submit()
    case = submitted.case
    staff = staff_reply(fallback_org, make_member, case, "We have read your report.")
    case_set_status(actor=staff, case=case, status="in_progress")
    case.refresh_from_db()
    assert case.reporter_unread is True
    response = client.post("/en/followup/", {"receipt": submitted.receipt_code})
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "In progress" in html and "A counsellor is working on your report." in html
    assert "We have read your report." in html and "(new)" in html
    assert submitted.receipt_code in html  # carried in the hidden field of the next steps
    case.refresh_from_db()
    assert case.reporter_unread is False
    assert "(new)" not in client.post("/en/followup/", {"receipt": submitted.receipt_code}).content.decode()


def test_reply_restarts_activity_and_notifies_staff_without_content(
    client: Any, fallback_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submitted = submit()
    make_member(fallback_org, username="counsellor")
    # A day back, since activity is stored to the hour only (reporting.traces).
    before = Case.objects.get().last_reporter_activity_at - timedelta(days=1)
    Case.objects.update(last_reporter_activity_at=before)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/followup/reply/", {"receipt": submitted.receipt_code, "body": "SECRETREPLY4711"},
                               follow=True)
    assert response.redirect_chain[0][1] == 303  # post/redirect/get
    assert response.status_code == 200
    assert "Your message has been sent." in response.content.decode()
    case = Case.objects.get()
    assert case.last_reporter_activity_at > before and case.staff_unread is True
    assert case.messages.get().direction == Message.Direction.FROM_REPORTER
    assert len(mail.outbox) == 1 and "SECRETREPLY4711" not in mail.outbox[0].body


def test_empty_reply_shows_the_message_at_the_field(client: Any, fallback_org: Any, submit: Any) -> None:
    submitted = submit()
    response = client.post("/en/followup/reply/", {"receipt": submitted.receipt_code, "body": " "})
    assert response.status_code == 400
    assert "Please write your message first." in response.content.decode()
    assert Message.objects.count() == 0


def test_adding_a_file(client: Any, fallback_org: Any, submit: Any) -> None:
    submitted = submit()
    photo = SimpleUploadedFile("evidence.jpg", make_jpeg(gps=True), "image/jpeg")
    response = client.post("/en/followup/files/", {"receipt": submitted.receipt_code, "files": [photo]}, follow=True)
    assert response.redirect_chain[0][1] == 303
    assert response.status_code == 200
    assert "evidence.jpg" in response.content.decode()
    assert Case.objects.get().attachments.count() == 1
    wrong = SimpleUploadedFile("x.jpg", b"GIF89a....", "image/gif")
    refused = client.post("/en/followup/files/", {"receipt": submitted.receipt_code, "files": [wrong]})
    assert refused.status_code == 415
    assert Case.objects.get().attachments.count() == 1


def test_delete_needs_confirmation_then_shreds(client: Any, fallback_org: Any, submit: Any) -> None:
    submitted = submit()
    confirm = client.post("/en/followup/delete/", {"receipt": submitted.receipt_code})
    assert confirm.status_code == 200 and "Yes, delete my report" in confirm.content.decode()
    assert Case.objects.count() == 1
    done = client.post("/en/followup/delete/", {"receipt": submitted.receipt_code, "confirm": "yes"})
    assert done.status_code == 200 and "has been deleted" in done.content.decode()
    assert Case.objects.count() == 0
    assert reporter_open(receipt=submitted.receipt_code) is None
    again = client.post("/en/followup/", {"receipt": submitted.receipt_code})
    assert GENERIC in again.content.decode()


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC-DDDD", "not a code", "x" * 500])
def test_wrong_codes_get_one_generic_answer(client: Any, fallback_org: Any, submit: Any, code: str) -> None:
    submit()
    response = client.post("/en/followup/", {"receipt": code})
    assert response.status_code == 400
    assert GENERIC in response.content.decode()


def _challenge_on(page: str) -> tuple[str, int]:
    match = re.search(r'name="challenge" value="([^"]+)" data-difficulty="(\d+)"', page)
    assert match, "the follow-up form carries no puzzle"
    return match.group(1), int(match.group(2))


def test_five_wrong_codes_make_the_next_try_cost_proof_of_work_on_pages_and_api(
    client: Any, fallback_org: Any, submit: Any, settings: Any
) -> None:
    submitted = submit()
    for _ in range(5):
        assert client.post("/en/followup/", {"receipt": "AAAA-BBBB-CCCC-DDDD"}).status_code == 400
    blocked = client.post("/en/followup/", {"receipt": submitted.receipt_code})
    assert blocked.status_code == 429
    page = blocked.content.decode()
    assert "your browser solves a small puzzle" in page and "please wait ten minutes" in page
    challenge, difficulty = _challenge_on(page)
    assert difficulty == settings.FOLLOWUP_POW_DIFFICULTY
    assert "js/pow.js" in page
    error = post_json(client, "/api/v1/followup/", {"receipt": submitted.receipt_code})
    assert error.status_code == 429 and error.json()["error"]["code"] == "pow_required"
    assert client.post("/en/followup/delete/", {"receipt": submitted.receipt_code, "confirm": "yes"}).status_code == 429
    assert Case.objects.count() == 1
    # another client may still open its report, without any puzzle
    assert client.post("/en/followup/", {"receipt": submitted.receipt_code}, REMOTE_ADDR="203.0.113.5").status_code == 200
    # with the puzzle solved, this client may try again: the code opens the report, and the
    # steps after it (reply, files, delete) need no more puzzles
    opened = client.post("/en/followup/", {
        "receipt": submitted.receipt_code, "challenge": challenge, "nonce": solve(challenge, difficulty),
    })
    assert opened.status_code == 200
    assert client.post("/en/followup/reply/", {"receipt": submitted.receipt_code, "body": "hello"}).status_code == 303


def test_every_further_wrong_code_doubles_the_work_and_a_proof_is_single_use(
    client: Any, fallback_org: Any, settings: Any
) -> None:
    for _ in range(5):
        assert post_json(client, "/api/v1/followup/", {"receipt": "AAAA-BBBB-CCCC-DDDD"}).status_code == 404
    seen = []
    for _ in range(3):
        offer = client.get("/api/v1/followup/challenge/").json()
        seen.append(offer["difficulty"])
        nonce = solve(offer["challenge"], offer["difficulty"])
        wrong = {"receipt": "AAAA-BBBB-CCCC-DDDD", "challenge": offer["challenge"], "nonce": nonce}
        assert post_json(client, "/api/v1/followup/", wrong).status_code == 404
        # the same proof a second time is refused before the code is looked at
        again = post_json(client, "/api/v1/followup/", wrong)
        assert again.status_code == 429 and again.json()["error"]["code"] == "pow_required"
    base = settings.FOLLOWUP_POW_DIFFICULTY
    assert seen == [base, base + 1, base + 2]
    # a proof of the old, smaller difficulty no longer suffices
    offer = client.get("/api/v1/followup/challenge/").json()
    assert offer["difficulty"] == base + 3
    weak = next(n for n in range(100_000) if _zero_bits(offer["challenge"], n) == base)
    response = post_json(client, "/api/v1/followup/", {
        "receipt": "AAAA-BBBB-CCCC-DDDD", "challenge": offer["challenge"], "nonce": str(weak),
    })
    assert response.status_code == 429


def test_the_rising_cost_stops_at_its_ceiling(client: Any, fallback_org: Any, settings: Any) -> None:
    settings.FOLLOWUP_MAX_FAILURES = 0
    settings.FOLLOWUP_POW_MAX_DIFFICULTY = settings.FOLLOWUP_POW_DIFFICULTY + 1
    for _ in range(4):
        offer = client.get("/api/v1/followup/challenge/").json()
        post_json(client, "/api/v1/followup/", {
            "receipt": "AAAA-BBBB-CCCC-DDDD", "challenge": offer["challenge"],
            "nonce": solve(offer["challenge"], offer["difficulty"]),
        })
    assert client.get("/api/v1/followup/challenge/").json()["difficulty"] == settings.FOLLOWUP_POW_MAX_DIFFICULTY


def test_no_puzzle_is_offered_before_any_wrong_code(client: Any) -> None:
    assert client.get("/api/v1/followup/challenge/").json() == {"challenge": "", "difficulty": 0}
    assert 'name="challenge"' not in client.get("/en/followup/").content.decode()


def test_new_case_notice_is_sent_and_holds_nothing_of_the_report(
    client: Any, fallback_org: Any, make_member: Any, form_data: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_member(fallback_org, username="counsellor")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/report/", form_data(description="MARKERDESC4711", place_details="MARKERPLACE"))
    code = re.search(rb'data-code="([0-9A-Z-]+)"', response.content).group(1).decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    text = message.subject + message.body
    for forbidden in ("MARKERDESC4711", "MARKERPLACE", code, Case.objects.get().reference, "03241", "Hannover",
                      "racism"):
        assert forbidden not in text
    assert "/staff/" in message.body
