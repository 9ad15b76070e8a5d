"""A counsellor's journey in real Chromium: login with TOTP, inbox, case, reply, transfer."""

from __future__ import annotations

from typing import Any

import pytest

from counselling.models import Membership
from reporting.services import (
    ReportInput,
    message_post,
    message_text,
    organisation_create,
    report_submit,
    reporter_open,
)
from tests.helpers import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plain_http_cookies(settings: Any) -> None:
    # The live server is http://localhost: Chromium would drop Secure cookies there.
    settings.SECURE_COOKIES = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False


def _login(page: Any, base: str, user: Any) -> None:
    page.goto(base + "/staff/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/staff/")


def test_counsellor_reads_replies_and_transfers(live_server: Any, page: Any, plain_http_cookies: None) -> None:
    from counselling.services import member_create

    home = organisation_create(actor=None, slug="home", name="Home", is_fallback=True, languages=["de"])
    other = organisation_create(actor=None, slug="other", name="Other", statewide=False, languages=["de"])
    counsellor = member_create(actor=None, organisation=home.organisation, username="anna", password=PASSWORD,
                               org_private_key=home.private_key).membership.user
    receiver = member_create(actor=None, organisation=other.organisation, username="omar", password=PASSWORD,
                             org_private_key=other.private_key, role=Membership.Role.COUNSELLOR).membership.user
    submitted = report_submit(report=ReportInput(description="Journey-Marker at the station", motives=["racism"]))
    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None
    message_post(case=access.case, case_key=access.case_key, body="Can someone call me back?", actor=None)
    base = live_server.url

    _login(page, base, counsellor)
    row = page.locator(f'tr[data-case="{submitted.case.pk}"]')
    assert row.locator("[data-unread]").count() == 1
    row.locator("a").first.click()
    page.wait_for_url(f"{base}/staff/cases/{submitted.case.pk}/")
    assert "Journey-Marker at the station" in page.locator("#report").inner_text()
    assert "Can someone call me back?" in page.locator("#timeline").inner_text()

    page.fill("#message-form textarea", "We will call you tomorrow.")
    page.click("#message-form button[type=submit]")  # sent without a page load (staff.js)
    page.locator("#timeline").get_by_text("We will call you tomorrow.").wait_for()
    assert page.url == f"{base}/staff/cases/{submitted.case.pk}/"

    # The reporter opens the case with the receipt and reads the reply.
    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None and access.case.reporter_unread is True
    replies = [message_text(message=m, case_key=access.case_key) for m in access.case.messages.filter(direction="staff")]
    assert replies == ["We will call you tomorrow."]

    # Transfer to the other organisation without keeping a copy (under "More").
    page.click("#more-actions summary")
    page.select_option("#transfer-form select", str(other.organisation.pk))
    page.click("#transfer-form button[type=submit]")
    page.wait_for_url(base + "/staff/")
    response = page.goto(f"{base}/staff/cases/{submitted.case.pk}/")
    assert response is not None and response.status == 404
    page.goto(base + "/staff/")
    page.click("nav.staff-nav button[type=submit]")  # log out
    page.wait_for_url(base + "/staff/login/")

    _login(page, base, receiver)
    page.locator(f'tr[data-case="{submitted.case.pk}"] a').first.click()
    assert "Journey-Marker at the station" in page.locator("#report").inner_text()
    assert "We will call you tomorrow." in page.locator("#timeline").inner_text()
