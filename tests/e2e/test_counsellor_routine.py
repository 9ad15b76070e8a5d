"""A counsellor's new-case routine in real Chromium (issue 19), counted.

From the inbox: open the case, look at the photo inline, take the case, send the first answer
from the organisation's template, save the prefilled classification, close the case. With
JavaScript that is at most six interactions and, after the case page has opened, no full page
load; without JavaScript the same six interactions work with a page load each.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from counselling.models import Membership
from counselling.replies import reply_template_save
from reporting.audit import AuditAction
from reporting.models import AuditEntry, Case
from reporting.services import (
    FileInput,
    ReportInput,
    message_text,
    organisation_create,
    report_submit,
    reporter_open,
)
from stats.models import StatisticsRecord
from tests.helpers import PASSWORD, jpeg_with_exif, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_INTERACTIONS = 6


@pytest.fixture
def plain_http_cookies(settings: Any) -> None:
    settings.SECURE_COOKIES = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def routine_case() -> dict[str, Any]:
    from counselling.services import member_create

    home = organisation_create(actor=None, slug="home", name="Home", is_fallback=True, languages=["de"])
    counsellor = member_create(actor=None, organisation=home.organisation, username="anna", password=PASSWORD,
                               org_private_key=home.private_key, role=Membership.Role.COUNSELLOR).membership.user
    reply_template_save(actor=None, organisation=home.organisation, kind="first_answer", language="de",
                        body="Danke für Ihre Meldung {reference}. Wir melden uns.")
    submitted = report_submit(
        report=ReportInput(description="Routine-Marker: they shouted at us on the tram", incident_type="assault",
                           occurred_on=date(2025, 3, 14), district="03241", area_of_life="transport",
                           motives=["racism"], role="affected", people_affected=1, wants_counselling=True),
        files=(FileInput("tram.jpg", jpeg_with_exif("Routine-Cam"), "image/jpeg"),),
    )
    return {"counsellor": counsellor, "case": submitted.case, "receipt": submitted.receipt_code}


def _login(page: Any, base: str, user: Any) -> None:
    page.goto(base + "/staff/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/staff/")


class Routine:
    """Counts what the counsellor does: every click is one interaction."""

    def __init__(self, page: Any, *, javascript: bool) -> None:
        self.page = page
        self.javascript = javascript
        self.interactions = 0

    def timeline_length(self) -> int:
        return int(self.page.evaluate("document.querySelectorAll('#timeline li').length"))

    def click(self, selector: str) -> None:
        self.interactions += 1
        self.page.click(selector)

    def act(self, selector: str) -> None:
        """Click a button of the case page and wait until the timeline shows the change."""
        before = self.timeline_length()
        if self.javascript:
            self.click(selector)
            self.page.wait_for_function("n => document.querySelectorAll('#timeline li').length > n", arg=before)
        else:
            with self.page.expect_navigation():
                self.click(selector)
            assert self.timeline_length() > before


def _routine(page: Any, base: str, data: dict[str, Any], *, javascript: bool) -> Routine:
    case = data["case"]
    _login(page, base, data["counsellor"])
    routine = Routine(page, javascript=javascript)

    # 1. Open the case from the inbox.
    with page.expect_navigation():
        routine.click(f'tr[data-case="{case.pk}"] a.inbox-case')
    page.wait_for_url(f"{base}/staff/cases/{case.pk}/")
    assert "Routine-Marker" in page.locator("#report").inner_text()
    loads: list[str] = []
    page.on("load", lambda _page: loads.append("load"))
    if javascript:
        page.evaluate("window.__sameDocument = true")

    # 2. Look at the photo, inline, without downloading it.
    routine.click('li[data-file] summary')
    picture = page.locator("li[data-file] img.case-file__picture")
    picture.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('li[data-file] img').naturalWidth > 0")
    assert picture.evaluate("img => img.naturalWidth") == 64

    # 3. Take it: assigned to me and in progress.
    routine.act("#take-form button[type=submit]")
    # 4. Reply from the template, which the reply box already holds (editable).
    box = page.locator("#message-form textarea")
    assert box.input_value() == f"Danke für Ihre Meldung {case.reference}. Wir melden uns."
    routine.act("#message-form button[type=submit]")
    # 5. Classify: the form is prefilled from the report.
    routine.act("#classification-form button[type=submit]")
    # 6. Close.
    routine.act('#status-form button[data-status="closed"]')

    if javascript:
        assert page.evaluate("window.__sameDocument === true"), "the case page was loaded again"
        assert loads == [], f"full page loads after opening the case: {loads}"
    return routine


def _assert_worked(data: dict[str, Any]) -> None:
    case = Case.objects.get(pk=data["case"].pk)
    assert case.status == "closed"
    assert case.assignee_id == data["counsellor"].pk
    assert StatisticsRecord.objects.filter(incident_id=case.incident_id, incident_type="assault",
                                           area_of_life="transport", year=2025, month=3).exists()
    assert AuditEntry.objects.filter(case_id=case.pk, action=AuditAction.ATTACHMENT_VIEWED).exists()
    assert not AuditEntry.objects.filter(case_id=case.pk, action=AuditAction.ATTACHMENT_DOWNLOADED).exists()
    access = reporter_open(receipt=data["receipt"] or "")
    assert access is not None
    replies = [message_text(message=m, case_key=access.case_key) for m in access.case.messages.all()]
    assert replies == [f"Danke für Ihre Meldung {case.reference}. Wir melden uns."]


def test_new_case_routine_takes_six_interactions_without_reload(
    live_server: Any, page: Any, plain_http_cookies: None, routine_case: dict[str, Any],
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    routine = _routine(page, live_server.url, routine_case, javascript=True)
    assert routine.interactions <= MAX_INTERACTIONS, routine.interactions
    _assert_worked(routine_case)
    # Wide screen: the report and the actions side by side.
    report = page.locator(".case-main").bounding_box()
    actions = page.locator(".case-side").bounding_box()
    assert report and actions and actions["x"] > report["x"] + report["width"] - 1


def test_new_case_routine_works_without_javascript(
    live_server: Any, nojs_page: Any, plain_http_cookies: None, routine_case: dict[str, Any],
) -> None:
    routine = _routine(nojs_page, live_server.url, routine_case, javascript=False)
    assert routine.interactions <= MAX_INTERACTIONS, routine.interactions
    _assert_worked(routine_case)


def test_inbox_sorts_and_filters_in_place(
    live_server: Any, page: Any, plain_http_cookies: None, routine_case: dict[str, Any],
) -> None:
    report_submit(report=ReportInput(description="A leaflet", incident_type="mass_mailing", motives=["racism"]))
    _login(page, live_server.url, routine_case["counsellor"])
    page.evaluate("window.__sameDocument = true")
    page.click('th[data-column="type"] a')
    page.wait_for_url("**sort=type**")
    first = page.locator("#inbox-table tbody tr").first.get_attribute("data-case")
    assert first == str(routine_case["case"].pk)  # the assault before the leaflet
    page.select_option("#f-motive", "antisemitism")
    page.click("#inbox-filters button[type=submit]")
    page.locator("#inbox-empty").wait_for()
    assert page.evaluate("window.__sameDocument === true")
    # Keyboard: the case links are reachable and arrow keys move between rows.
    page.goto(live_server.url + "/staff/?tab=open")
    page.locator("a.inbox-case").first.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('inbox-case')")
    assert page.evaluate("document.activeElement === document.querySelectorAll('a.inbox-case')[1]")
