"""The daily audit anchor (SPEC §3.9): stored, e-mailed to the coordinators with nothing but
the anchor, and usable with `verify_audit_chain --anchor`."""

from __future__ import annotations

import importlib
import logging
import re
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from counselling.audit_anchor import anchor_mail, send_audit_anchor
from counselling.models import Membership
from counselling.tasks import audit_anchor_task
from reporting.audit import AuditAction
from reporting.models import AuditAnchor, AuditEntry, AuditHead
from tests.canary import scan_mail

MARKER = "CANARY-anchor-3d9e71"
BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR_VALUE = re.compile(r"[0-9]+:[0-9a-f]{64}")


@pytest.fixture
def world(fallback_org: Any, make_member: Any, submit: Any) -> dict[str, Any]:
    submitted = submit(description=f"{MARKER} description", place_details=f"{MARKER} place")
    inactive = make_member(None, username="coord-gone", role=Membership.Role.COORDINATOR)
    inactive.membership.user.is_active = False
    inactive.membership.user.save()
    return {
        "case": submitted.case,
        "coordinators": [
            make_member(None, username="coord-a", role=Membership.Role.COORDINATOR),
            make_member(None, username="coord-b", role=Membership.Role.COORDINATOR),
        ],
        "admin": make_member(fallback_org, username="admin", role=Membership.Role.PARTNER_ADMIN),
        "counsellor": make_member(fallback_org, username="counsellor"),
    }


def run_daily(capture: Any) -> AuditAnchor:
    with capture(execute=True):
        anchor_id = audit_anchor_task()
    assert anchor_id is not None
    return AuditAnchor.objects.get(pk=anchor_id)


def test_anchor_task_stores_the_head_and_mails_it_to_every_coordinator(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    head_before = AuditEntry.objects.order_by("-id").first()
    assert head_before is not None
    mail.outbox.clear()

    anchor = run_daily(django_capture_on_commit_callbacks)

    assert (anchor.last_entry_id, anchor.head_hash) == (head_before.pk, head_before.entry_hash)
    assert anchor.chain_intact and anchor.broken_at_entry is None
    assert AuditHead.objects.get().last_hash != anchor.head_hash  # the anchoring is audited after it
    assert AuditEntry.objects.filter(action=AuditAction.ANCHORED, data__anchor=anchor.pk).exists()
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "coord-a@example.org", "coord-b@example.org",
    ]
    subject, body = anchor_mail(anchor)
    for message in mail.outbox:
        assert (message.subject, message.body) == (subject, body)
        assert not message.attachments and not getattr(message, "alternatives", [])
        # Nothing but the anchor: with it taken out, no digit, id, date or reference remains.
        assert ANCHOR_VALUE.findall(message.body) == [anchor.value, anchor.value]
        rest = message.subject + message.body.replace(anchor.value, "")
        assert not re.search(r"[0-9]", rest)
        assert world["case"].reference not in rest
    assert scan_mail([MARKER, world["case"].reference]) == []


def test_the_mailed_anchor_detects_a_later_truncation(
    world: dict[str, Any], make_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # A database writer keeps a copy of the head row as it is now ...
    saved_head = AuditHead.objects.values("last_hash", "head_mac").get()
    kept_until = AuditEntry.objects.get(entry_hash=saved_head["last_hash"]).pk
    make_member(None, username="coord-c", role=Membership.Role.COORDINATOR)  # ... the log grows
    mail.outbox.clear()
    anchor = run_daily(django_capture_on_commit_callbacks)
    received = ANCHOR_VALUE.search(mail.outbox[0].body)
    assert received is not None and received.group() == anchor.value
    out = StringIO()
    call_command("verify_audit_chain", "--anchor", received.group(), stdout=out)
    assert f"holds the anchor at entry {anchor.last_entry_id}" in out.getvalue()

    # ... and later cuts it back: the last entries go, the old head row and no anchor row remain.
    AuditEntry.objects.filter(pk__gt=kept_until).delete()
    AuditHead.objects.filter(id=1).update(**saved_head)
    AuditAnchor.objects.all().delete()
    call_command("verify_audit_chain", stdout=StringIO())  # on its own, the shortened log looks whole

    with pytest.raises(CommandError, match=f"entry {anchor.last_entry_id}: it was anchored but is gone"):
        call_command("verify_audit_chain", "--anchor", received.group(), stdout=StringIO())


def test_a_broken_chain_is_logged_recorded_and_still_anchored(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    target = AuditEntry.objects.filter(case_id=world["case"].pk).first()
    assert target is not None
    AuditEntry.objects.filter(pk=target.pk).update(data={"note": MARKER})
    mail.outbox.clear()

    with caplog.at_level(logging.ERROR):
        anchor = run_daily(django_capture_on_commit_callbacks)

    assert not anchor.chain_intact and anchor.broken_at_entry == target.pk
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [f"Audit chain broken at entry {target.pk}: it was altered or written without the chain key."]
    assert MARKER not in caplog.text
    assert len(mail.outbox) == 2  # the anchor goes out all the same
    assert all(MARKER not in message.body for message in mail.outbox)


def test_each_coordinator_gets_an_anchor_once_when_the_task_runs_again(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    anchor = run_daily(django_capture_on_commit_callbacks)
    mail.outbox.clear()

    # A re-delivered task (same notice id) sends nothing twice; a new one sends again.
    notice = "f" * 32
    assert send_audit_anchor(anchor.pk, notice_id=notice) == 2
    assert send_audit_anchor(anchor.pk, notice_id=notice) == 0
    assert len(mail.outbox) == 2
    assert send_audit_anchor(anchor.pk + 1000, notice_id="e" * 32) == 0


def test_nothing_is_anchored_or_mailed_for_an_empty_log(
    make_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_member(None, role=Membership.Role.COORDINATOR)
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert audit_anchor_task() is None

    assert not AuditAnchor.objects.exists() and mail.outbox == []


def test_schedule_exists_after_migrate(db: None) -> None:
    schedule = Schedule.objects.get(name="audit-anchor")
    assert schedule.func == "counselling.tasks.audit_anchor_task"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats < 0
    local = schedule.next_run.astimezone(BERLIN)
    assert (local.hour, local.minute) == (6, 0)


def test_schedule_migration_is_idempotent(db: None) -> None:
    from django.apps import apps

    migration = importlib.import_module("counselling.migrations.0005_audit_anchor_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)
    assert Schedule.objects.filter(name="audit-anchor").count() == 1
