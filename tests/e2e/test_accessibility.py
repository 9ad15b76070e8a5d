"""Automated accessibility check (axe-core, from npm) on reporter and public statistics pages,
in German and Arabic: no serious or critical violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
REPORTER_PAGES = ["", "report/", "followup/", "privacy/", "help/", "safety/"]


@pytest.fixture
def published_year(db: None) -> int:
    from counselling.demo import load_demo_help
    from reporting.services import organisation_create
    from stats.demo import load_demo_statistics
    from stats.models import Publication

    organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True,
                        public_contact="beratung@example.org, 0511 000 0000")
    load_demo_help()  # the help page with its directory
    load_demo_statistics()
    return Publication.objects.order_by("-year").values_list("year", flat=True).first()


@pytest.fixture
def axe_page(browser: Any) -> Any:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    # The site's CSP forbids injected scripts; the checker needs one.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def _serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {json.dumps([n['target'] for n in v['nodes']][:3])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["de", "ar", "fa"])
def test_reporter_pages_have_no_serious_violations(live_server: Any, axe_page: Any, published_year: int, language: str) -> None:
    problems = {}
    for path in REPORTER_PAGES:
        axe_page.goto(f"{live_server.url}/{language}/{path}")
        found = _serious_violations(axe_page)
        if found:
            problems[path or "start"] = found
    # The form with every error shown is a page of its own for a reporter.
    axe_page.goto(f"{live_server.url}/{language}/report/")
    axe_page.locator("#report-form button[type=submit]").click()
    found = _serious_violations(axe_page)
    if found:
        problems["report-with-errors"] = found
    # Files chosen with problems: the list of files with their states (enhance.js).
    axe_page.set_input_files("#id_files", [
        {"name": "notes.docx", "mimeType": "application/octet-stream", "buffer": b"PK\x03\x04 not a photo"},
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(32)},
    ])
    axe_page.locator("[data-file-state=error]").wait_for()
    found = _serious_violations(axe_page)
    if found:
        problems["report-with-file-states"] = found
    assert problems == {}


@pytest.mark.parametrize("language", ["de", "ar"])
def test_statistics_pages_have_no_serious_violations(live_server: Any, axe_page: Any, published_year: int, language: str) -> None:
    problems = {}
    for path in ("statistics/", f"statistics/{published_year}/", "statistics/methodology/"):
        response = axe_page.goto(f"{live_server.url}/{language}/{path}")
        if response.status == 404 and path.endswith("methodology/"):
            continue
        found = _serious_violations(axe_page)
        if found:
            problems[path] = found
    assert problems == {}


@pytest.mark.parametrize("language", ["de", "ar"])
def test_the_follow_up_opened_in_the_browser_has_no_serious_violations(
    live_server: Any, axe_page: Any, make_member: Any, language: str
) -> None:
    """The follow-up page bundle/followup.js fills in (SPEC §3.10), with a reply and one sent."""
    from reporting.services import (
        ReportInput,
        case_keys_for_organisation,
        message_post,
        organisation_create,
        report_submit,
    )

    org = organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    submitted = report_submit(report=ReportInput(description="Im Bus beleidigt."), files=())
    keys = case_keys_for_organisation(case=submitted.case, organisation=org.organisation,
                                      org_private_key=org.private_key)
    message_post(case=submitted.case, case_key=keys.case_key, body="Wir melden uns.", actor=member.membership.user)
    axe_page.goto(f"{live_server.url}/{language}/followup/")
    axe_page.fill("#id_receipt", submitted.receipt_code or "")
    axe_page.locator("#followup-enter button[type=submit]").click()
    axe_page.locator("form[data-slot=reply]").wait_for()
    problems = {}
    found = _serious_violations(axe_page)
    if found:
        problems["followup-in-the-browser"] = found
    axe_page.fill("#id_body", "Danke.")
    axe_page.locator("form[data-slot=reply] button[type=submit]").click()
    axe_page.locator("#notice:not([hidden])").wait_for()
    found = _serious_violations(axe_page)
    if found:
        problems["followup-reply-sent"] = found
    assert problems == {}
