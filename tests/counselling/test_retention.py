"""Retention (SPEC §5): closed cases are crypto-shredded after the organisation's period."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from counselling.retention import cases_due_for_deletion, retention_purge
from counselling.tasks import purge_expired_task
from reporting.models import AuditEntry, Case, CaseGrant, Message
from reporting.services import (
    FileInput,
    Submitted,
    attachment_add,
    case_set_status,
    message_post,
    organisation_update,
    reporter_open,
)
from reporting.taxonomy import CaseStatus

CLOSED_AT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze the clock the services read (`django.utils.timezone.now`)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


@pytest.fixture
def closed_case(
    fallback_org: Any, submit: Callable[..., Submitted], make_member: Callable[..., Any]
) -> Callable[..., Submitted]:
    counsellor = make_member(fallback_org).membership.user

    def make(status: str = CaseStatus.CLOSED, at: datetime = CLOSED_AT) -> Submitted:
        with frozen(at - timedelta(days=2)):
            submitted = submit()
        with frozen(at):
            case_set_status(actor=counsellor, case=submitted.case, status=status)
        return submitted

    return make


def exists(submitted: Submitted) -> bool:
    return Case.objects.filter(pk=submitted.case.pk).exists()


def test_closed_case_is_kept_a_day_before_the_period_ends(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case()

    assert retention_purge(now=CLOSED_AT + timedelta(days=364)) == 0
    assert exists(submitted)
    assert retention_purge(now=CLOSED_AT + timedelta(days=365) - timedelta(seconds=1)) == 0
    assert exists(submitted)


def test_closed_case_is_shredded_when_the_period_ends(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case()
    case_id = submitted.case.pk

    assert retention_purge(now=CLOSED_AT + timedelta(days=365)) == 1

    assert not Case.objects.filter(pk=case_id).exists()
    assert not CaseGrant.objects.filter(case_id=case_id).exists()
    assert not Message.objects.filter(case_id=case_id).exists()
    assert reporter_open(receipt=submitted.receipt_code or "") is None
    shredded = AuditEntry.objects.get(action="reporting.case.shredded", case_id=case_id)
    assert shredded.actor_id is None
    assert shredded.data["reason"] == "retention"


def test_first_daily_run_after_the_period_ends_shreds(closed_case: Callable[..., Submitted]) -> None:
    # Closed at 15:30 Berlin time; the 03:00 run 365 days later is too early, the next one not.
    submitted = closed_case()
    anniversary = (CLOSED_AT + timedelta(days=365)).astimezone(BERLIN).date()
    run_on_anniversary = datetime(anniversary.year, anniversary.month, anniversary.day, 3, tzinfo=BERLIN)

    with frozen(run_on_anniversary):
        assert purge_expired_task() == 0
    with frozen(run_on_anniversary + timedelta(days=1)):
        assert purge_expired_task() == 1
    assert not exists(submitted)


def test_referred_case_follows_the_normal_period(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case(status=CaseStatus.REFERRED)

    assert retention_purge(now=CLOSED_AT + timedelta(days=31)) == 0
    assert retention_purge(now=CLOSED_AT + timedelta(days=365)) == 1
    assert not exists(submitted)


def test_rejected_case_is_shredded_after_thirty_days(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case(status=CaseStatus.REJECTED)

    assert retention_purge(now=CLOSED_AT + timedelta(days=29)) == 0
    assert exists(submitted)
    assert retention_purge(now=CLOSED_AT + timedelta(days=30)) == 1
    assert not exists(submitted)


def test_organisation_setting_decides_the_period(
    closed_case: Callable[..., Submitted], fallback_org: Any
) -> None:
    organisation_update(actor=None, organisation=fallback_org.organisation, retention_days=90,
                        rejected_retention_days=7)
    closed = closed_case()
    rejected = closed_case(status=CaseStatus.REJECTED)

    due = set(cases_due_for_deletion(CLOSED_AT + timedelta(days=7)).values_list("pk", flat=True))
    assert due == {rejected.case.pk}
    due = set(cases_due_for_deletion(CLOSED_AT + timedelta(days=90)).values_list("pk", flat=True))
    assert due == {rejected.case.pk, closed.case.pk}


def test_each_organisation_keeps_its_own_period(
    make_org: Callable[..., Any], make_member: Callable[..., Any], submit: Callable[..., Submitted]
) -> None:
    short = make_org("short", is_fallback=True)
    long = make_org("long", statewide=False, districts=["03241"])
    organisation_update(actor=None, organisation=short.organisation, retention_days=10)
    cases = {}
    for name, org, district in (("short", short, "03101"), ("long", long, "03241")):
        with frozen(CLOSED_AT - timedelta(days=1)):
            submitted = submit(district=district)
        assert submitted.case.organisation_id == org.organisation.pk
        with frozen(CLOSED_AT):
            case_set_status(actor=make_member(org).membership.user, case=submitted.case, status=CaseStatus.CLOSED)
        cases[name] = submitted

    assert retention_purge(now=CLOSED_AT + timedelta(days=10)) == 1
    assert not exists(cases["short"])
    assert exists(cases["long"])


@pytest.mark.parametrize("status", [CaseStatus.NEW, CaseStatus.IN_PROGRESS])
def test_open_cases_are_never_shredded(
    status: str, submit: Callable[..., Submitted], fallback_org: Any, make_member: Callable[..., Any]
) -> None:
    with frozen(CLOSED_AT):
        submitted = submit()
        if status != CaseStatus.NEW:
            case_set_status(actor=make_member(fallback_org).membership.user, case=submitted.case, status=status)

    assert retention_purge(now=CLOSED_AT + timedelta(days=3650)) == 0
    assert exists(submitted)


def test_reopened_case_is_not_shredded(
    closed_case: Callable[..., Submitted], fallback_org: Any, make_member: Callable[..., Any]
) -> None:
    submitted = closed_case()
    with frozen(CLOSED_AT + timedelta(days=10)):
        case_set_status(
            actor=make_member(fallback_org).membership.user, case=submitted.case, status=CaseStatus.IN_PROGRESS
        )

    assert retention_purge(now=CLOSED_AT + timedelta(days=3650)) == 0
    assert exists(submitted)


def test_reporter_message_after_closing_restarts_the_clock(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case()
    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None
    wrote_at = CLOSED_AT + timedelta(days=200)
    with frozen(wrote_at):
        message_post(case=access.case, case_key=access.case_key, body="One more thing.", actor=None)
    # A reporter's time is kept to the hour only (reporting.traces); the clock starts there.
    stored = wrote_at.replace(minute=0)
    assert Case.objects.get(pk=submitted.case.pk).last_reporter_activity_at == stored

    assert retention_purge(now=CLOSED_AT + timedelta(days=365)) == 0
    assert retention_purge(now=stored + timedelta(days=365) - timedelta(minutes=1)) == 0
    assert exists(submitted)
    assert retention_purge(now=stored + timedelta(days=365)) == 1
    assert not exists(submitted)


def test_reporter_file_after_closing_restarts_the_clock(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case(status=CaseStatus.REJECTED)
    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None
    added_at = CLOSED_AT + timedelta(days=20)
    with frozen(added_at):
        attachment_add(
            case=access.case, case_key=access.case_key, actor=None,
            item=FileInput(name="evidence.pdf", content=b"%PDF-1.4 test", content_type="application/pdf"),
        )

    assert retention_purge(now=CLOSED_AT + timedelta(days=30)) == 0
    assert exists(submitted)
    assert retention_purge(now=added_at + timedelta(days=30)) == 1
    assert not exists(submitted)


def test_counsellor_message_after_closing_does_not_restart_the_clock(
    closed_case: Callable[..., Submitted], fallback_org: Any, make_member: Callable[..., Any]
) -> None:
    submitted = closed_case()
    counsellor = make_member(fallback_org).membership.user
    with frozen(CLOSED_AT + timedelta(days=100)):
        # A counsellor's key comes from the grant; the reporter's receipt opens the same key.
        access = reporter_open(receipt=submitted.receipt_code or "")
        assert access is not None
        message_post(case=access.case, case_key=access.case_key, body="Closing note.", actor=counsellor)

    assert retention_purge(now=CLOSED_AT + timedelta(days=365)) == 1


def test_one_failing_case_does_not_stop_the_others(
    closed_case: Callable[..., Submitted], caplog: pytest.LogCaptureFixture
) -> None:
    first = closed_case()
    second = closed_case()
    third = closed_case()
    import reporting.services

    real_shred = reporting.services.case_shred

    def flaky_shred(*, actor: Any, case: Case, reason: str) -> None:
        if case.pk == second.case.pk:
            raise RuntimeError("storage unavailable")
        real_shred(actor=actor, case=case, reason=reason)

    with mock.patch("counselling.retention.case_shred", side_effect=flaky_shred), caplog.at_level(logging.ERROR):
        assert retention_purge(now=CLOSED_AT + timedelta(days=365)) == 2

    assert not exists(first)
    assert exists(second)
    assert not exists(third)
    assert str(second.case.pk) in caplog.text
    assert "storage unavailable" not in caplog.text
    # Next night it goes.
    assert retention_purge(now=CLOSED_AT + timedelta(days=366)) == 1


def test_statistics_records_survive_retention(
    closed_case: Callable[..., Submitted], fallback_org: Any, make_member: Callable[..., Any]
) -> None:
    try:
        from stats.models import StatisticsRecord
        from stats.services import Classification, classification_save
    except ImportError as exc:  # the statistics app is built alongside; don't fail on its absence
        pytest.skip(f"statistics classification not available yet: {exc}")
    submitted = closed_case()
    classification_save(
        actor=make_member(fallback_org).membership.user, case=submitted.case,
        data=Classification(
            incident_type="offensive_behaviour", motives=("racism",), area_of_life="transport",
            district="03241", year=2026, month=2, channel="online_form",
        ),
    )
    record_id = StatisticsRecord.objects.get(incident_id=submitted.case.incident_id).pk

    assert retention_purge(now=CLOSED_AT + timedelta(days=365)) == 1

    assert not exists(submitted)
    record = StatisticsRecord.objects.get(pk=record_id)
    assert not record.incident.cases.exists()
    assert (record.incident_type, record.motives, record.incident.counts) == ("offensive_behaviour", ["racism"], True)


def test_command_purges_and_reports_the_count(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case()
    out = StringIO()

    with frozen(CLOSED_AT + timedelta(days=365)):
        call_command("purge_expired", "--dry-run", stdout=out)
        assert "1 case(s) due" in out.getvalue()
        assert exists(submitted)

        out = StringIO()
        call_command("purge_expired", stdout=out)
    assert "1 case(s) crypto-shredded" in out.getvalue()
    assert not exists(submitted)


def test_command_with_nothing_due(closed_case: Callable[..., Submitted]) -> None:
    submitted = closed_case()
    out = StringIO()
    with frozen(CLOSED_AT + timedelta(days=1)):
        call_command("purge_expired", stdout=out)
    assert "0 case(s)" in out.getvalue()
    assert exists(submitted)


def test_daily_schedule_exists_after_migrate(db: None) -> None:
    schedule = Schedule.objects.get(name="retention-purge")

    assert schedule.func == "counselling.tasks.purge_expired_task"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats < 0
    local = schedule.next_run.astimezone(BERLIN)
    assert (local.hour, local.minute) == (3, 0)


def test_schedule_migration_is_idempotent(db: None) -> None:
    from django.apps import apps

    migration = importlib.import_module("counselling.migrations.0002_retention_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)

    assert Schedule.objects.filter(name="retention-purge").count() == 1


def test_next_run_is_the_next_three_oclock_in_berlin() -> None:
    migration = importlib.import_module("counselling.migrations.0002_retention_schedule")

    assert migration.next_run_at(datetime(2026, 6, 1, 0, 30, tzinfo=UTC)) == datetime(2026, 6, 1, 3, tzinfo=BERLIN)
    assert migration.next_run_at(datetime(2026, 6, 1, 1, 0, tzinfo=UTC)) == datetime(2026, 6, 2, 3, tzinfo=BERLIN)
    assert timezone.is_aware(migration.next_run_at(timezone.now()))
