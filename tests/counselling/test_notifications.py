"""Staff e-mail in one place (issue 15, step 7): counselling.notifications sends the notices
and the digest; the case core only announces what happened (reporting.signals)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from counselling import notifications
from counselling.models import Membership
from counselling.services import member_set_notify
from reporting.services import case_transfer, message_post, reporter_open

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(notifications, "async_task", lambda name, *args, **kwargs: calls.append((name, args)))
    return calls


def test_events_of_the_case_core_queue_the_staff_notices(
    queued: list[tuple[str, tuple[Any, ...]]], fallback_org: Any, make_org: Any, submit: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = make_org("andere", statewide=True)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = submit()
    with django_capture_on_commit_callbacks(execute=True):
        access = reporter_open(receipt=submitted.receipt_code)
        message_post(case=access.case, case_key=access.case_key, body="Noch etwas", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        case_transfer(actor=None, case=submitted.case, to_organisation=other.organisation,
                      org_private_key=fallback_org.private_key)
    case_id = submitted.case.pk
    assert queued == [
        ("counselling.tasks.send_new_case_notice", (case_id, False)),
        ("counselling.tasks.send_new_message_notice", (case_id,)),
        ("counselling.tasks.send_new_case_notice", (case_id, True)),
    ]


def test_immediate_notices_go_to_the_members_who_chose_them(
    fallback_org: Any, make_member: Any, submit: Any, mailoutbox: list[Any],
) -> None:
    submitted = submit()
    mailoutbox.clear()
    chose = {mode: make_member(fallback_org, username=mode) for mode in Membership.Notify.values}
    for mode, member in chose.items():
        member_set_notify(membership=member.membership, mode=mode)
    assert notifications.send_new_case_notice(submitted.case.pk, notice_id="n") == 1
    assert [mail.to for mail in mailoutbox] == [[f"{Membership.Notify.IMMEDIATE}@example.org"]]


def test_the_case_core_holds_no_copy_of_staff_settings() -> None:
    """No string mirror of Membership.Notify, no staff URL, no staff model lookups in reporting."""
    pattern = re.compile(r'"immediate"|"digest"|"counselling:|membership__|\bMembership\b')
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "reporting").rglob("*.py")) if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line.split("#", 1)[0])
    ]
    assert found == []
