"""Inbox tabs, filters, counts, overdue by working days; manual entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from counselling.selectors import working_days_before
from reporting.models import Case
from reporting.services import case_set_status, case_take, case_transfer
from tests.helpers import logged_in as _client

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _refs(response: Any) -> set[int]:
    return {case.pk for case in response.context["page"].object_list}


def test_working_days_skip_weekends() -> None:
    wednesday = datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN)
    assert working_days_before(wednesday, 3) == datetime(2026, 3, 6, 10, 0, tzinfo=BERLIN)  # Friday before
    saturday = datetime(2026, 3, 14, 10, 0, tzinfo=BERLIN)
    assert working_days_before(saturday, 1) == datetime(2026, 3, 13, 0, 0, tzinfo=BERLIN)


def test_tabs_filters_and_counts(make_org: Any, make_member: Any, submit: Any) -> None:
    org = make_org(is_fallback=True)
    member, colleague = make_member(org), make_member(org)
    new = submit(district="03241", motives=["racism"]).case
    mine = submit(motives=["antisemitism"]).case
    theirs = submit().case
    closed = submit().case
    case_take(actor=member.membership.user, case=mine)
    case_set_status(actor=member.membership.user, case=mine, status="in_progress")
    case_take(actor=colleague.membership.user, case=theirs)
    case_set_status(actor=member.membership.user, case=closed, status="closed")
    old = submit().case
    Case.objects.filter(pk=old.pk).update(created_at=datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN))
    client = _client(member)
    # Taking a case sets it in progress: only the untaken ones are new.
    assert _refs(client.get("/staff/?tab=new")) == {new.pk, old.pk}
    assert _refs(client.get("/staff/?tab=mine")) == {mine.pk}
    assert _refs(client.get("/staff/?tab=open")) == {new.pk, mine.pk, theirs.pk, old.pk}
    assert _refs(client.get("/staff/?tab=overdue")) == {old.pk}
    assert _refs(client.get("/staff/?tab=closed")) == {closed.pk}
    assert _refs(client.get("/staff/?tab=open&district=03241")) == {new.pk}
    assert _refs(client.get("/staff/?tab=open&motive=antisemitism")) == {mine.pk}
    assert _refs(client.get("/staff/?tab=open&motive=racism")) == {new.pk}
    assert _refs(client.get("/staff/?tab=open&assignee=none")) == {new.pk, old.pk}
    assert _refs(client.get(f"/staff/?tab=open&assignee={colleague.membership.user.pk}")) == {theirs.pk}
    assert _refs(client.get("/staff/?tab=closed&status=closed")) == {closed.pk}
    counts = {key: count for key, _label, count in client.get("/staff/").context["tabs"]}
    assert counts == {"new": 2, "mine": 1, "open": 4, "overdue": 1, "closed": 1, "copies": 0}
    # Answering the reporter takes a case off the overdue list.
    Case.objects.filter(pk=old.pk).update(first_reply_at=datetime(2026, 1, 6, 9, 0, tzinfo=BERLIN))
    assert _refs(client.get("/staff/?tab=overdue")) == set()


def test_inbox_shows_only_own_organisation_and_decrypts_nothing(make_org: Any, make_member: Any,
                                                                  submit: Any) -> None:
    org = make_org(is_fallback=True)
    other = make_org("other", statewide=False)
    submit(description="Inbox-Marker")
    own = _client(make_member(org))
    foreign = _client(make_member(other))
    assert len(_refs(own.get("/staff/"))) == 1
    assert b"Inbox-Marker" not in own.get("/staff/").content
    assert _refs(foreign.get("/staff/")) == set()


def _counts(client: Client, query: str = "") -> dict[str, int]:
    return {key: count for key, _label, count in client.get(f"/staff/?{query}").context["tabs"]}


@pytest.mark.parametrize("keep_copy", [True, False])
def test_copies_tab_lists_cases_transferred_with_a_copy(make_org: Any, make_member: Any, submit: Any,
                                                        keep_copy: bool) -> None:
    home = make_org("home", is_fallback=True)
    other = make_org("other", name="Other Counselling", statewide=False)
    sender, receiver = make_member(home), make_member(other)
    stays = submit(district="03241").case
    moved = submit(district="03241").case
    case_transfer(actor=sender.membership.user, case=moved, to_organisation=other.organisation,
                  org_private_key=home.private_key, keep_copy=keep_copy)
    case_take(actor=receiver.membership.user, case=moved)
    own, new_owner = _client(sender), _client(receiver)

    copies = {moved.pk} if keep_copy else set()
    assert _refs(own.get("/staff/?tab=copies")) == copies
    for tab in ("new", "mine", "open", "overdue", "closed"):
        assert _refs(own.get(f"/staff/?tab={tab}")) <= {stays.pk}
    assert _counts(own) == {"new": 1, "mine": 0, "open": 1, "overdue": 0, "closed": 0, "copies": len(copies)}
    # Filters narrow the copies like any tab.
    assert _refs(own.get("/staff/?tab=copies&district=03241")) == copies
    assert _refs(own.get("/staff/?tab=copies&district=01001")) == set()
    assert _counts(own, "district=01001")["copies"] == 0

    # The receiver has it among its own cases, not as a copy.
    assert _refs(new_owner.get("/staff/?tab=open")) == {moved.pk}
    assert _refs(new_owner.get("/staff/?tab=mine")) == {moved.pk}
    assert _refs(new_owner.get("/staff/?tab=copies")) == set()
    assert _counts(new_owner) == {"new": 0, "mine": 1, "open": 1, "overdue": 0, "closed": 0, "copies": 0}

    page = own.get("/staff/?tab=copies")
    if keep_copy:
        # The responsible organisation, not its assignee; the copy opens.
        assert b"Other Counselling" in page.content and b"Responsible organisation" in page.content
        assert receiver.membership.user.username.encode() not in page.content
        assert own.get(f"/staff/cases/{moved.pk}/").status_code == 200
    else:
        assert b"No cases here." in page.content


def test_copies_tab_in_staff_api(make_org: Any, make_member: Any, submit: Any) -> None:

    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    sender = make_member(home)
    moved = submit().case
    case_transfer(actor=sender.membership.user, case=moved, to_organisation=other.organisation,
                  org_private_key=home.private_key, keep_copy=True)
    client = _client(sender, api=True)
    listing = client.get("/api/v1/cases/?tab=copies").json()
    assert [item["id"] for item in listing["results"]] == [moved.pk]
    assert listing["count"] == 1 and listing["counts"]["copies"] == 1 and listing["counts"]["open"] == 0
    assert listing["results"][0]["organisation"] == "other"
    assert client.get("/api/v1/cases/?tab=open").json()["results"] == []


def test_inbox_queries_do_not_grow_with_cases(make_org: Any, make_member: Any, submit: Any) -> None:
    org = make_org(is_fallback=True)
    member = make_member(org)
    client = _client(member)
    for _ in range(3):
        case_take(actor=member.membership.user, case=submit().case)
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/")
    for _ in range(6):
        case_take(actor=member.membership.user, case=submit().case)
    with CaptureQueriesContext(connection) as many:
        client.get("/staff/")
    assert len(many) == len(few)


def test_inbox_paginates_fifty(make_org: Any, make_member: Any, submit: Any) -> None:
    from reporting.services import ReportInput, report_submit

    org = make_org(is_fallback=True)
    for _ in range(51):
        report_submit(report=ReportInput(description="x"), organisation=org.organisation)
    client = _client(make_member(org))
    assert len(_refs(client.get("/staff/?tab=open"))) == 50
    assert len(_refs(client.get("/staff/?tab=open&page=2"))) == 1


def test_manual_entry_creates_case_with_channel_and_no_receipt(make_org: Any, make_member: Any) -> None:
    org = make_org(is_fallback=True)
    member = make_member(org)
    client = _client(member)
    assert client.get("/staff/cases/new/").status_code == 200
    response = client.post("/staff/cases/new/", {
        "channel": "phone", "description": "Called in: Manual-Marker", "district": "03241",
        "motives": ["racism"], "incident_type": "threat", "language": "de",
    })
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/staff/cases/{case.pk}/"
    assert case.channel == "phone" and case.receipt_lookup is None and case.reporter_wrapped_key is None
    assert case.organisation_id == org.organisation.pk and case.district == "03241"
    assert case.staff_unread is False
    page = client.get(response["Location"])
    assert b"Manual-Marker" in page.content and b"Phone" in page.content


def test_manual_entry_refuses_online_form_channel(make_org: Any, make_member: Any) -> None:
    client = _client(make_member(make_org(is_fallback=True)))
    response = client.post("/staff/cases/new/", {"channel": "online_form", "description": "x",
                                                 "district": "unknown", "language": "de"})
    assert response.status_code == 200 and not Case.objects.exists()
