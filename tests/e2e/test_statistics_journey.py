"""Journey: a counsellor classifies, the coordinator publishes, the public page shows it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from counselling.models import Membership
from stats.models import StatisticsRecord
from stats.services import classification_save
from tests.helpers import logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(context: Any, live_server: Any, member: Any) -> None:
    """A staff session from the real login (TOTP, and the organisation key unlocked: the
    classification page shows the decrypted report), handed to the browser as its cookies."""
    client = logged_in(member)
    context.clear_cookies()
    context.add_cookies([
        {"name": name, "value": client.cookies[name].value, "url": live_server.url}
        for name in (settings.SESSION_COOKIE_NAME, settings.UNLOCK_COOKIE_NAME) if name in client.cookies
    ])


def test_classify_publish_and_read_public_page(
    live_server: Any, page: Any, fallback_org: Any, make_member: Any, submit: Any
) -> None:
    year = timezone.localdate().year - 1
    counsellor = make_member(fallback_org)
    coordinator = make_member(None, role=Membership.Role.COORDINATOR)
    cases = [submit().case for _ in range(7)]
    base = {
        "incident_type": "offensive_behaviour", "motives": ["racism"], "area_of_life": "transport",
        "district": "03241", "year": year, "month": 4, "channel": "online_form",
    }
    for case in cases[1:4]:
        classification_save(actor=counsellor.membership.user, case=case, data=base)
    for case in cases[4:]:
        classification_save(actor=counsellor.membership.user, case=case,
                            data={**base, "motives": ["xenophobia"], "incident_type": "assault"})

    # The counsellor classifies the first case on its page, in the browser.
    _log_in(page.context, live_server, counsellor)
    page.goto(f"{live_server.url}/staff/cases/{cases[0].pk}/classify/")
    page.select_option("#id_incident_type", "threat")
    page.check("input[name=motives][value=racism]")
    page.check("input[name=motives][value=antisemitism]")
    page.select_option("#id_area_of_life", "public_space")
    page.select_option("#id_district", "03241")
    page.fill("#id_year", str(year))
    page.select_option("#id_month", "6")
    page.select_option("#id_channel", "phone")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    record = StatisticsRecord.objects.get(incident_id=cases[0].incident_id)
    assert record.motives == ["antisemitism", "racism"]

    # The coordinator publishes the year.
    _log_in(page.context, live_server, coordinator)
    page.goto(f"{live_server.url}/staff/statistics/publish/")
    page.select_option("#id_year", str(year))
    page.locator("button[name=publish]").click()
    page.wait_for_url(f"**/de/statistics/{year}/")

    # The public page, as an anonymous visitor.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/en/statistics/{year}/")
    assert page.locator("[data-total]").first.get_attribute("data-total") == "7"
    assert page.locator("svg.district-map path.district").count() == 45
    assert page.get_by_text("© GeoBasis-DE / BKG 2021 (Daten verändert)").is_visible()
    motive_row = page.locator('table[data-table="motive"] tr[data-key="racism"] td')
    assert motive_row.inner_text().strip() == "4"
    # Antisemitism (1) is hidden, and xenophobia (3, the next smallest) with it: both read the
    # same neutral way, with the mark explained by the legend under the table.
    for hidden in ("antisemitism", "xenophobia"):
        cell = page.locator(f'table[data-table="motive"] tr[data-key="{hidden}"] td')
        assert cell.get_attribute("data-suppressed") == "true"
        assert cell.locator("[aria-hidden=true]").inner_text() == "•"
        assert cell.locator(".kern-sr-only").inner_text() == "not published to protect individuals"
    legend = page.locator('#table-motive [data-legend="suppressed"]')
    assert legend.is_visible()
    assert "not published to protect individuals" in legend.inner_text()
    assert page.get_by_text("fewer than").count() == 0
    page.screenshot(path=str(settings.BASE_DIR / "var" / "statistics-journey.png"), full_page=True)
