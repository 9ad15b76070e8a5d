"""Issue 20's journey in real Chromium: a counsellor documents a contact and an intervention
and closes the case with an outcome; the reporter changes a consent on the follow-up page; a
counsellor records a phone call with the caller's consent and refers them to a service of the
one help directory, kept for referrals only."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from counselling.models import CaseOutcome, Contact, Intervention, Referral
from reporting.models import Case, Incident
from reporting.services import ReportInput, help_service_save, organisation_create, report_submit
from tests.helpers import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plain_http_cookies(settings: Any) -> None:
    settings.SECURE_COOKIES = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False


def _log_in(page: Any, base: str, user: Any) -> None:
    page.goto(base + "/staff/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/staff/")


def test_counsellor_records_a_call_with_consent_and_refers_to_the_directory(
    live_server: Any, page: Any, plain_http_cookies: None,
) -> None:
    from counselling.services import member_create

    home = organisation_create(actor=None, slug="home", name="Home", is_fallback=True, languages=["de"])
    counsellor = member_create(actor=None, organisation=home.organisation, username="ben", password=PASSWORD,
                               org_private_key=home.private_key).membership.user
    lawyer = help_service_save(actor=None, name="Kanzlei Gleichbehandlung (Demo)", kind="legal_advice",
                               referral_only=True)
    base = live_server.url
    _log_in(page, base, counsellor)

    page.goto(base + "/staff/cases/new/")
    page.select_option("#id_channel", "phone")
    page.fill("#id_description", "Caller was insulted at the bakery.")
    page.check("#id_motives_0")
    page.uncheck("#id_consent_contact")  # the caller does not want to be called back
    page.check("#id_consent_network")
    page.click("#manual-entry-form button[type=submit]")
    page.wait_for_url(f"{base}/staff/cases/*/")
    case = Case.objects.get()
    assert (case.channel, case.consent_contact, case.consent_statistics, case.consent_network,
            case.consent_publication) == ("phone", False, True, True, False)

    page.click("#casework details:has(#referral-form) > summary")
    page.select_option("#referral-service", str(lawyer.pk))
    page.select_option("#referral-reason", "legal")
    page.click("#referral-form button[type=submit]")
    expect(page.locator("#referrals")).to_contain_text("Kanzlei Gleichbehandlung (Demo)")
    assert Referral.objects.get().service_id == lawyer.pk

    # The caller phones again and withdraws the network export: the counsellor records it.
    page.wait_for_load_state("networkidle")
    given = page.locator("#consent [data-purpose=network]").inner_text()
    page.click("#casework details:has(#consent-form) > summary")
    assert page.locator("#consent-network").is_checked() and not page.locator("#consent-contact").is_checked()
    page.uncheck("#consent-network")
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#consent [data-purpose=network]")).not_to_have_text(given)
    assert Incident.objects.get(pk=case.incident_id).consent_network is False


def test_counsellor_documents_and_closes_reporter_changes_consent(
    live_server: Any, page: Any, plain_http_cookies: None,
) -> None:
    from counselling.services import member_create

    home = organisation_create(actor=None, slug="home", name="Home", is_fallback=True, languages=["de"])
    counsellor = member_create(actor=None, organisation=home.organisation, username="anna", password=PASSWORD,
                               org_private_key=home.private_key).membership.user
    submitted = report_submit(report=ReportInput(description="Casework journey at the market", motives=["racism"]))
    case = submitted.case
    base = live_server.url

    page.goto(base + "/staff/login/")
    page.fill("#id_username", counsellor.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", totp_code(counsellor))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/staff/")
    page.goto(f"{base}/staff/cases/{case.pk}/")

    # A contact by phone.
    page.click("#casework details:has(#contact-form) > summary")
    page.select_option("#contact-mode", "phone")
    page.fill("#contact-duration", "40")
    page.fill("#contact-note", "Talked about the options.")
    page.click("#contact-form button[type=submit]")
    # With JavaScript the case page answers in place (static/js/staff.js), without a new URL.
    expect(page.locator("#contacts")).to_contain_text("Talked about the options.")
    page.wait_for_load_state("networkidle")

    # An intervention.
    page.click("#casework details:has(#intervention-form) > summary")
    page.select_option("#intervention-code", "complaint_letter")
    page.click("#intervention-form button[type=submit]")
    expect(page.locator("#interventions li")).to_have_count(1)
    page.wait_for_load_state("networkidle")  # the page is swapped in place once the answer is in

    # Close with an outcome (the reporter is asked whether they got what they needed).
    page.select_option("#close-outcome", "partly_resolved")
    page.fill("#close-wishes", "An apology from the shop.")
    page.click("#close-form button[type=submit]")
    expect(page.locator("#outcome")).to_contain_text("An apology from the shop.")
    assert Case.objects.get(pk=case.pk).status == "closed"
    assert Contact.objects.get().mode == "phone" and Intervention.objects.get().code == "complaint_letter"
    assert CaseOutcome.objects.get().outcome == "partly_resolved"

    # The reporter opens the follow-up page, answers the question and withdraws statistics consent.
    reporter = page.context.browser.new_context(locale="de-DE").new_page()
    reporter.goto(base + "/en/followup/")
    reporter.fill("input[name=receipt]", submitted.receipt_code or "")
    reporter.click("main form button[type=submit]")
    # Opened in the browser (bundle/followup.js): it says a question waits; the answer and the
    # choices are on the page the server shows, one press away.
    reporter.locator("[data-slot=outcome-question]").wait_for(state="visible")
    reporter.click("section[aria-labelledby=sec-more] form button[type=submit]")
    reporter.wait_for_selector("#consent-choices")
    assert reporter.locator("#outcome-question").count() == 1
    assert reporter.locator("#consent_statistics").is_checked()
    reporter.uncheck("#consent_statistics")
    reporter.check("#consent_network")
    reporter.click("#save-consent")
    reporter.wait_for_selector("text=Your choices have been saved.")
    assert not reporter.locator("#consent_statistics").is_checked()
    incident = Incident.objects.get(pk=case.incident_id)
    assert incident.consent_statistics is False and incident.consent_network is True
    reporter.context.close()
