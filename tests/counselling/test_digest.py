"""Issue 4: the optional daily digest instead of one notice per event."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule

from counselling.models import Membership
from counselling.notifications import send_digest
from counselling.services import NewMember, member_set_notify
from counselling.tasks import send_daily_digests
from reporting.models import Case
from reporting.services import case_keys_for_organisation, case_transfer, message_post
from tests.helpers import logged_in

BERLIN = ZoneInfo("Europe/Berlin")
MARKER = "DIGESTSECRET4711"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"  # the mails go out in the site language; assert the source texts


@contextmanager
def later(hours: int = 1) -> Iterator[None]:
    """The clock `hours` on: what a reporter causes is stored at the start of its hour, and the
    digest counts an hour once it has passed (reporting.traces)."""
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(hours=hours)):
        yield


def _mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def _digest_member(make_member: Callable[..., NewMember], org: Any, username: str = "digest") -> Membership:
    membership = make_member(org, username=username).membership
    return member_set_notify(membership=membership, mode=Membership.Notify.DIGEST)


def _reporter_message(org: Any, case: Case, body: str = "a message") -> None:
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=org.private_key)
    message_post(case=case, case_key=keys.case_key, body=body, actor=None)


def test_digest_member_gets_no_immediate_notice_but_one_digest_with_counts(
    fallback_org: Any, make_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    digest = _digest_member(make_member, fallback_org)
    make_member(fallback_org, username="immediate")
    with django_capture_on_commit_callbacks(execute=True):
        cases = [submit().case for _ in range(3)]
        _reporter_message(fallback_org, cases[0])
        _reporter_message(fallback_org, cases[1])
    other = make_org("other")  # after the reports, which the router would otherwise send there
    actor = make_member(other, username="actor").membership.user
    # Away and back: one transfer to the other organisation, one to ours.
    with django_capture_on_commit_callbacks(execute=True):
        case_transfer(actor=actor, case=cases[2], to_organisation=other.organisation,
                      org_private_key=fallback_org.private_key)
    with django_capture_on_commit_callbacks(execute=True):
        case_transfer(actor=actor, case=Case.objects.get(pk=cases[2].pk), to_organisation=fallback_org.organisation,
                      org_private_key=other.private_key)

    assert len(_mails_to("immediate@example.org")) == 3 + 2 + 1  # per event, as before
    assert _mails_to("digest@example.org") == []

    mail.outbox.clear()
    with later():
        assert send_daily_digests() == 1
    (digest_mail,) = mail.outbox
    assert digest_mail.to == ["digest@example.org"]
    assert digest_mail.subject == "Your daily summary from Meldestelle"
    assert "New reports: 3" in digest_mail.body
    assert "New messages from reporters: 2" in digest_mail.body
    assert "Cases transferred to your organisation: 1" in digest_mail.body
    assert "/staff/" in digest_mail.body
    digest.refresh_from_db()
    assert digest.last_digest_at is not None


def test_nothing_happened_sends_nothing(fallback_org: Any, make_member: Any) -> None:
    _digest_member(make_member, fallback_org)
    assert send_daily_digests() == 0
    assert mail.outbox == []


def test_second_run_sends_nothing_new(fallback_org: Any, make_member: Any, submit: Any) -> None:
    _digest_member(make_member, fallback_org)
    submit()
    with later():
        assert send_daily_digests() == 1
        assert send_daily_digests() == 0
        assert len(mail.outbox) == 1
        submit()  # something new after the last digest: the next one counts only that
    with later(2):
        assert send_daily_digests() == 1
    assert "New reports: 1" in mail.outbox[-1].body


def test_what_happens_in_the_hour_of_a_digest_goes_into_the_next(
    fallback_org: Any, make_member: Any, submit: Any,
) -> None:
    _digest_member(make_member, fallback_org)
    with later():
        assert send_daily_digests() == 0
        submit()  # after the run, in the same hour: stored at the start of that hour
    assert Case.objects.get().created_at.minute == 0
    with later(2):
        assert send_daily_digests() == 1
        assert "New reports: 1" in mail.outbox[-1].body


def test_only_the_members_own_organisation_counts(
    fallback_org: Any, make_org: Any, make_member: Any, submit: Any,
) -> None:
    submit()  # routed to the fallback organisation, the only one so far
    other = make_org("other")
    _digest_member(make_member, other, username="elsewhere")
    assert send_daily_digests() == 0


def test_digest_carries_no_content_district_motive_or_reference(
    fallback_org: Any, make_member: Any, submit: Any,
) -> None:
    _digest_member(make_member, fallback_org)
    case = submit(description=MARKER, place_details=MARKER, district="03101", motives=["antisemitism"]).case
    _reporter_message(fallback_org, case, body=MARKER)
    with later():
        assert send_daily_digests() == 1
    (digest_mail,) = mail.outbox
    text = digest_mail.subject + digest_mail.body
    for secret in (MARKER, case.reference, case.district, "antisemit", "Braunschweig"):
        assert secret.lower() not in text.lower()


def test_mode_none_gets_nothing(
    fallback_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    member = make_member(fallback_org, username="quiet").membership
    member_set_notify(membership=member, mode=Membership.Notify.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        _reporter_message(fallback_org, submit().case)
    assert send_daily_digests() == 0
    assert mail.outbox == []


def test_first_digest_without_a_window_covers_the_last_day(fallback_org: Any, make_member: Any, submit: Any) -> None:
    member = make_member(fallback_org, username="digest").membership
    Membership.objects.filter(pk=member.pk).update(notify=Membership.Notify.DIGEST, last_digest_at=None)
    old = submit().case
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    submit()
    with later():
        assert send_daily_digests() == 1
    assert "New reports: 1" in mail.outbox[0].body


def test_a_failed_mail_leaves_the_window_for_the_retry(fallback_org: Any, make_member: Any, submit: Any) -> None:
    member = _digest_member(make_member, fallback_org)
    before = Membership.objects.get(pk=member.pk).last_digest_at
    submit()
    with later(), mock.patch("counselling.notifications.send_mail", side_effect=ConnectionError("mail server down")), \
            pytest.raises(ConnectionError):
        send_daily_digests()
    assert Membership.objects.get(pk=member.pk).last_digest_at == before
    with later():
        assert send_digest(member.pk) is True
    assert len(mail.outbox) == 1


def test_digest_goes_out_in_the_site_language(settings: Any, fallback_org: Any, make_member: Any, submit: Any) -> None:
    settings.LANGUAGE_CODE = "de"
    _digest_member(make_member, fallback_org)
    submit()
    with later():
        assert send_daily_digests() == 1
    assert "Your daily summary" not in mail.outbox[0].subject


def test_schedule_exists_after_migrate(db: None) -> None:
    schedule = Schedule.objects.get(name="staff-digest")
    assert schedule.func == "counselling.tasks.send_daily_digests"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats < 0
    local = schedule.next_run.astimezone(BERLIN)
    assert (local.hour, local.minute) == (7, 0)


def test_schedule_migration_is_idempotent(db: None) -> None:
    from django.apps import apps

    migration = importlib.import_module("counselling.migrations.0004_digest_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)
    assert Schedule.objects.filter(name="staff-digest").count() == 1


def test_new_members_get_immediate_notices(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org).membership
    assert member.notify == Membership.Notify.IMMEDIATE


def test_member_changes_the_mode_on_their_page(
    fallback_org: Any, make_member: Any) -> None:
    new = make_member(fallback_org, username="self")
    client = logged_in(new)
    assert "/staff/notifications/" in client.get("/staff/password/").content.decode()
    page = client.get("/staff/notifications/")
    assert page.status_code == 200 and "One summary e-mail a day" in page.content.decode()

    response = client.post("/staff/notifications/", {"notify": "digest"})
    assert response.status_code == 302
    membership = Membership.objects.get(pk=new.membership.pk)
    assert membership.notify == Membership.Notify.DIGEST and membership.last_digest_at is not None

    assert client.post("/staff/notifications/", {"notify": "loud"}).status_code == 200
    assert Membership.objects.get(pk=new.membership.pk).notify == Membership.Notify.DIGEST

    client.post("/staff/notifications/", {"notify": "none"})
    assert Membership.objects.get(pk=new.membership.pk).notify == Membership.Notify.NONE


def test_notifications_page_needs_a_login(client: Any) -> None:
    response = client.get("/staff/notifications/")
    assert response.status_code in (302, 403)


def test_partner_admin_sees_each_members_mode(
    fallback_org: Any, make_member: Any) -> None:
    admin = make_member(fallback_org, username="boss", role=Membership.Role.PARTNER_ADMIN)
    _digest_member(make_member, fallback_org, username="summary")
    page = logged_in(admin).get("/staff/admin/").content.decode()
    assert "One summary e-mail a day" in page
