"""A notice task that runs again (cluster stopped mid-task, broker re-delivery) sends what is
missing and nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from counselling import notifications, tasks
from reporting.models import NoticeSent
from reporting.services import NewOrganisation, Submitted


@pytest.fixture
def case_with_two_counsellors(
    make_org: Callable[..., NewOrganisation], make_member: Callable[..., Any], submit: Callable[..., Submitted],
    mailoutbox: list[Any],
) -> Submitted:
    org = make_org("landesstelle", is_fallback=True, statewide=True)
    make_member(org, username="alice")
    make_member(org, username="bob")
    submitted = submit()
    mailoutbox.clear()  # the submission's own notice, sent inline in tests
    return submitted


def _queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(
        notifications, "async_task", lambda name, *args, **kwargs: calls.append((name, args, kwargs))
    )
    return calls


def _run(call: tuple[str, tuple[Any, ...], dict[str, Any]]) -> int:
    name, args, kwargs = call
    return getattr(tasks, name.rsplit(".", 1)[1])(*args, **kwargs)


def test_a_new_case_notice_run_twice_reaches_each_counsellor_once(
    case_with_two_counsellors: Submitted, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = _queued(monkeypatch)
    notifications.queue_new_case_notice(case_with_two_counsellors.case.pk)

    assert _run(queued[0]) == 2
    assert _run(queued[0]) == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.org", "bob@example.org"]


def test_a_notice_interrupted_before_sending_is_sent_when_the_task_runs_again(
    case_with_two_counsellors: Submitted, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = _queued(monkeypatch)
    notifications.queue_new_message_notice(case_with_two_counsellors.case.pk)
    real_send_mail = notifications.send_mail
    attempts: list[str] = []

    def mail_server_down_for_bob(subject: str, body: str, sender: Any, to: list[str]) -> int:
        attempts.append(to[0])
        if to[0].startswith("bob"):
            raise ConnectionError("mail server went away")
        return real_send_mail(subject, body, sender, to)

    monkeypatch.setattr(notifications, "send_mail", mail_server_down_for_bob)
    with pytest.raises(ConnectionError):
        _run(queued[0])
    monkeypatch.setattr(notifications, "send_mail", real_send_mail)

    assert _run(queued[0]) == 1  # only bob's was missing
    assert _run(queued[0]) == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.org", "bob@example.org"]
    assert NoticeSent.objects.count() == 2


def test_two_separate_events_each_send_their_notice(
    case_with_two_counsellors: Submitted, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = _queued(monkeypatch)
    notifications.queue_new_message_notice(case_with_two_counsellors.case.pk)
    notifications.queue_new_message_notice(case_with_two_counsellors.case.pk)

    assert [_run(call) for call in queued] == [2, 2]
    assert len(mailoutbox) == 4
