"""Two counsellors take the same new case at the same moment: exactly one of them wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from reporting.models import AuditEntry, Case
from reporting.services import NewOrganisation, ReportInput, ServiceError, case_take, report_submit

ROUNDS = 10


def _take_at_once(case: Case, users: list[Any]) -> list[str]:
    start = threading.Barrier(len(users))

    def take(user: Any) -> str:
        try:
            start.wait(timeout=30)
            case_take(actor=user, case=Case.objects.get(pk=case.pk))
            return "won"
        except ServiceError as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(users)) as pool:
        return list(pool.map(take, users))


def _counsellors(count: int) -> list[Any]:
    user_model = get_user_model()
    return [user_model.objects.create_user(username=f"counsellor{n}", password="x" * 12) for n in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_counsellors_take_the_same_case_at_once_exactly_one_wins_on_postgresql(
    receiving_org: NewOrganisation,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level races need PostgreSQL; the SQLite variant is below")
    _assert_one_winner_per_case(_counsellors(2))


@pytest.mark.django_db(transaction=True)
def test_two_counsellors_take_the_same_case_at_once_exactly_one_wins_on_sqlite(
    receiving_org: NewOrganisation,
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; PostgreSQL has its own test")
    _assert_one_winner_per_case(_counsellors(2))


def _assert_one_winner_per_case(users: list[Any]) -> None:
    submit: Callable[[int], Case] = lambda n: report_submit(  # noqa: E731
        report=ReportInput(description=f"case {n}", district="03241")
    ).case
    for round_number in range(ROUNDS):
        case = submit(round_number)
        outcomes = _take_at_once(case, users)
        assert sorted(outcomes) == ["already_taken", "won"], outcomes
        winner = users[outcomes.index("won")]
        assert Case.objects.get(pk=case.pk).assignee_id == winner.pk
        taken = AuditEntry.objects.filter(action="counselling.case.taken", case_id=case.pk)
        assert list(taken.values_list("actor_id", flat=True)) == [winner.pk]


@pytest.mark.django_db
def test_taking_a_case_one_already_holds_changes_nothing(receiving_org: NewOrganisation) -> None:
    (user,) = _counsellors(1)
    case = report_submit(report=ReportInput(description="x", district="03241")).case
    case_take(actor=user, case=case)
    again = case_take(actor=user, case=case)
    assert again.assignee_id == user.pk
    assert AuditEntry.objects.filter(action="counselling.case.taken", case_id=case.pk).count() == 1
