"""Counselling statistics for the funder (SPEC §5.1) against a fixed sample: partner admins see
their organisation, the coordinator all; the figures survive shredding where they should."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.utils import timezone

from counselling.casework import case_close_with_outcome, contact_add, intervention_add
from counselling.models import Membership
from reporting.services import case_shred, message_post
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db
KEY = b"\x02" * 32


def test_funder_figures_match_the_fixed_sample(make_org: Any, make_member: Any, submit: Any) -> None:
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    admin = make_member(home, role=Membership.Role.PARTNER_ADMIN)
    actor = admin.membership.user
    a, b, c = (submit().case for _ in range(3))
    for mode in ("phone", "phone", "in_person"):
        contact_add(actor=actor, case=a, internal_key=KEY, mode=mode)
    contact_add(actor=actor, case=b, internal_key=KEY, mode="mailbox")
    intervention_add(actor=actor, case=a, internal_key=KEY, code="complaint_letter")
    intervention_add(actor=actor, case=b, internal_key=KEY, code="rights_info")
    intervention_add(actor=actor, case=b, internal_key=KEY, code="rights_info")
    message_post(case=a, case_key=b"\x03" * 32, body="reply", actor=actor)
    case_close_with_outcome(actor=actor, case=a, internal_key=KEY, outcome="resolved", ask_reporter=False)
    case_close_with_outcome(actor=actor, case=b, internal_key=KEY, outcome="ended_by_person", ask_reporter=False)
    case_shred(actor=None, case=b, reason="retention")  # its codes stay counted
    year = timezone.localdate().year

    response = logged_in(admin).get(f"/api/v1/counselling-statistics/?year={year}")
    assert response.status_code == 200
    [figures] = response.json()["organisations"]
    assert figures["organisation"] == "home"
    assert figures["cases"] == 2  # a and c; b was shredded
    assert figures["people_counselled"] == 2  # a and b had contacts
    assert figures["contacts"] == {"in_person": 1, "phone": 2, "video": 0, "email": 0, "mailbox": 1, "outreach": 0}
    assert figures["interventions"]["complaint_letter"] == 1 and figures["interventions"]["rights_info"] == 2
    assert sum(figures["interventions"].values()) == 3
    assert figures["outcomes"]["resolved"] == 1 and figures["outcomes"]["ended_by_person"] == 1
    assert figures["first_replies"] == 1 and figures["first_reply_within_deadline"] == 1
    assert c.first_reply_at is None

    coordinator = logged_in(make_member(None, role=Membership.Role.COORDINATOR))
    everyone = coordinator.get(f"/api/v1/counselling-statistics/?year={year}").json()["organisations"]
    assert {o["organisation"] for o in everyone} == {"home", "other"}
    assert next(o for o in everyone if o["organisation"] == "other")["cases"] == 0

    rows = list(csv.reader(io.StringIO(logged_in(admin).get(
        f"/staff/counselling-statistics/export.csv?year={year}").content.decode())))
    assert rows[0] == ["organisation", "year", "figure", "code", "value"]
    assert ["home", str(year), "contacts", "phone", "2"] in rows
    assert ["home", str(year), "people_counselled", "", "2"] in rows
    page = logged_in(admin).get(f"/staff/counselling-statistics/?year={year}").content.decode()
    assert 'data-figure="people_counselled">2<' in page
    assert other.organisation.name not in page


def test_counsellors_and_outsiders_get_no_funder_figures(make_org: Any, make_member: Any) -> None:
    home = make_org("home", is_fallback=True)
    counsellor = logged_in(make_member(home))
    assert counsellor.get("/api/v1/counselling-statistics/").status_code == 404
    assert counsellor.get("/staff/counselling-statistics/").status_code == 404
    admin = logged_in(make_member(home, role=Membership.Role.PARTNER_ADMIN))
    assert admin.get("/api/v1/counselling-statistics/?year=next").status_code == 400
