"""Anti-abuse (SPEC §4.4): honeypot, form timestamp, proof of work, submission limits."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest

from reporting import abuse
from reporting.models import Case
from tests.helpers import REPORT_FORM_URL as URL
from tests.helpers import REPORTS, assert_error, nothing_stored, post_json, report, solve

pytestmark = pytest.mark.django_db

GENERIC = "We could not accept this submission."


def test_honeypot_gets_the_generic_error_and_nothing_is_stored(client: Any, fallback_org: Any, form_data: Any) -> None:
    response = client.post(URL, form_data(homepage="http://spam.example"))
    assert response.status_code == 400
    assert GENERIC in response.content.decode()
    assert nothing_stored()


def test_missing_or_forged_timestamp_is_refused(client: Any, fallback_org: Any, form_data: Any) -> None:
    assert client.post(URL, form_data(form_ts=None)).status_code == 400
    assert client.post(URL, form_data(form_ts="1700000000")).status_code == 400
    assert nothing_stored()


def test_too_fast_is_refused(client: Any, fallback_org: Any, form_data: Any, settings: Any) -> None:
    settings.REPORT_MIN_FORM_SECONDS = 3
    response = client.post(URL, form_data(form_ts=abuse.form_timestamp(time.time())))
    assert response.status_code == 400 and GENERIC in response.content.decode()
    assert nothing_stored()
    slow = client.post(URL, form_data(form_ts=abuse.form_timestamp(time.time() - 4)))
    assert slow.status_code == 200


def test_expired_form_asks_to_send_again_and_keeps_the_text(client: Any, fallback_org: Any, form_data: Any) -> None:
    old = abuse.form_timestamp(time.time() - abuse.FORM_MAX_AGE_SECONDS - 10)
    response = client.post(URL, form_data(form_ts=old, description="my long text 4711"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Your answers are still here" in html and "my long text 4711" in html
    assert nothing_stored()


def test_html_form_solved_pow_uses_normal_limit_and_no_pow_the_stricter(
    client: Any, fallback_org: Any, form_data: Any, settings: Any
) -> None:
    settings.REPORT_POW_DIFFICULTY = 4
    settings.REPORT_RATE_PER_HOUR_NO_POW = 1
    settings.REPORT_RATE_PER_HOUR = 3
    assert client.post(URL, form_data()).status_code == 200  # no nonce: accepted
    refused = client.post(URL, form_data(description="second, kept 4711"))
    assert refused.status_code == 429
    assert "second, kept 4711" in refused.content.decode()
    assert "Nothing is lost" in refused.content.decode()
    challenge = abuse.challenge_issue()
    solved = client.post(URL, form_data(challenge=challenge, nonce=solve(challenge, 4)))
    assert solved.status_code == 200
    # the same challenge a second time no longer counts as solved
    assert client.post(URL, form_data(challenge=challenge, nonce=solve(challenge, 4))).status_code == 429
    assert Case.objects.count() == 2


def test_api_requires_a_solved_single_use_challenge(client: Any, fallback_org: Any, settings: Any) -> None:
    settings.REPORT_POW_DIFFICULTY = 6
    assert_error(post_json(client, REPORTS, report()), 400, "pow_required")
    challenge = client.get("/api/v1/reports/challenge/").json()["challenge"]
    wrong = next(str(n) for n in range(1000) if str(n) != solve(challenge, 6)
                 and hashlib.sha256(f"{challenge}:{n}".encode()).digest()[0] != 0)
    assert_error(post_json(client, REPORTS, report(challenge=challenge, nonce=wrong)), 400, "pow_invalid")
    assert_error(post_json(client, REPORTS, report(challenge="forged:token", nonce="1")), 400, "pow_invalid")
    assert nothing_stored()
    nonce = solve(challenge, 6)
    assert post_json(client, REPORTS, report(challenge=challenge, nonce=nonce)).status_code == 201
    assert_error(post_json(client, REPORTS, report(challenge=challenge, nonce=nonce)), 400, "pow_invalid")
    assert Case.objects.count() == 1


def test_per_address_limit_gives_429_and_stores_nothing(client: Any, fallback_org: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_HOUR = 2
    for _ in range(2):
        assert post_json(client, REPORTS, report()).status_code == 201
    error = assert_error(post_json(client, REPORTS, report()), 429, "throttled")
    assert "Nothing was stored" in error["message"]
    assert Case.objects.count() == 2
    # another address is not affected
    assert post_json(client, REPORTS, report(), REMOTE_ADDR="198.51.100.7").status_code == 201


def test_global_limit_gives_429(client: Any, fallback_org: Any, form_data: Any, settings: Any) -> None:
    settings.REPORT_GLOBAL_RATE_PER_MINUTE = 1
    assert post_json(client, REPORTS, report()).status_code == 201
    assert_error(post_json(client, REPORTS, report(), REMOTE_ADDR="198.51.100.8"), 429)
    assert client.post(URL, form_data(), REMOTE_ADDR="198.51.100.9").status_code == 429
    assert Case.objects.count() == 1


def test_validation_errors_do_not_use_up_the_limit(client: Any, fallback_org: Any, form_data: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_HOUR = 1
    for _ in range(3):
        assert client.post(URL, form_data(description="")).status_code == 400
    assert client.post(URL, form_data()).status_code == 200
