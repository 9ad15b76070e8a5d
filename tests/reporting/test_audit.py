"""The tamper-evident audit log (SPEC §5): the hash chain and `verify_audit_chain`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from reporting.audit import GENESIS, audit_log, audit_verify_chain
from reporting.models import AuditEntry, AuditHead
from reporting.services import Submitted, message_post, note_add, reporter_open

MARKER = "CANARY-7f3a9c-audit"


def _append(count: int, **kwargs: Any) -> list[AuditEntry]:
    entries = []
    for number in range(count):
        with transaction.atomic():
            entries.append(
                audit_log(
                    actor=None, action=f"tests.audit.entry{number}", case_id=1000 + number,
                    organisation_id=7, data={"n": number, "tags": ["b", "a"], "z": 1, "a": 2},
                    **kwargs,
                )
            )
    return entries


@pytest.fixture
def chain(db: None) -> list[AuditEntry]:
    # Only the entries written here: the chain starts at GENESIS.
    assert not AuditEntry.objects.exists()
    return _append(5)


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def broken_at() -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_chain", stdout=StringIO())
    return str(excinfo.value)


def test_intact_chain_verifies(chain: list[AuditEntry]) -> None:
    assert "intact (5 entries)" in verify()
    assert chain[0].prev_hash == GENESIS
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    assert AuditHead.objects.get().last_hash == chain[-1].entry_hash


def test_empty_log_verifies(db: None) -> None:
    assert "intact (0 entries)" in verify()


def test_command_exits_non_zero_when_broken(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(pk=chain[2].pk).update(action="tests.audit.forged")
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", stdout=StringIO())
    # CommandError from the command line means exit status 1.
    assert CommandError("x").returncode == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", "shift"),
        ("actor_id", 99),
        ("actor_label", "someone-else"),
        ("action", "tests.audit.forged"),
        ("organisation_id", 8),
        ("case_id", 4242),
        ("data", {"n": 2, "tags": ["b", "a"], "z": 1, "a": 3}),
        ("prev_hash", "f" * 64),
        ("entry_hash", "e" * 64),
    ],
)
@pytest.mark.parametrize("position", [0, 2, 4])
def test_editing_any_field_is_detected(
    chain: list[AuditEntry], field: str, value: Any, position: int
) -> None:
    target = chain[position]
    if value == "shift":
        value = target.created_at + timedelta(microseconds=1)
    AuditEntry.objects.filter(pk=target.pk).update(**{field: value})

    assert f"entry {target.pk}:" in broken_at()
    problem = audit_verify_chain()
    assert problem is not None and problem.entry_id == target.pk


def test_edit_and_rehash_is_detected_at_the_next_entry(chain: list[AuditEntry]) -> None:
    """A forger who recomputes the edited entry's own hash still breaks the link after it."""
    from reporting.audit import _entry_digest

    target = chain[1]
    forged = _entry_digest(
        prev_hash=target.prev_hash, created_at=target.created_at.isoformat(), actor_id=None,
        actor_label="system", action="tests.audit.forged", organisation_id=7,
        case_id=target.case_id, data=target.data,
    )
    AuditEntry.objects.filter(pk=target.pk).update(action="tests.audit.forged", entry_hash=forged)

    assert f"entry {chain[2].pk}:" in broken_at()


@pytest.mark.parametrize(("position", "named"), [(0, 1), (2, 3)])
def test_deleting_an_entry_names_the_one_after_the_gap(
    chain: list[AuditEntry], position: int, named: int
) -> None:
    AuditEntry.objects.filter(pk=chain[position].pk).delete()

    assert f"entry {chain[named].pk}:" in broken_at()


def test_deleting_the_last_entry_is_detected_by_the_head(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(pk=chain[-1].pk).delete()

    message = broken_at()
    assert f"entry {chain[-2].pk}:" in message
    assert "removed" in message


def test_deleting_every_entry_is_detected(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.all().delete()

    assert broken_at() == "Audit chain broken: every entry was removed."


def test_deleting_the_tail_and_the_head_is_detected(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(pk=chain[-1].pk).delete()
    AuditHead.objects.all().delete()

    assert f"entry {chain[-2].pk}:" in broken_at()


@pytest.mark.parametrize(("first", "second"), [(0, 4), (1, 2), (3, 4)])
def test_swapping_two_entries_is_detected(chain: list[AuditEntry], first: int, second: int) -> None:
    fields = ["created_at", "actor_id", "actor_label", "action", "organisation_id", "case_id",
              "data", "prev_hash", "entry_hash"]
    a, b = chain[first], chain[second]
    # entry_hash is unique: park one row's hash while the contents trade places.
    AuditEntry.objects.filter(pk=a.pk).update(entry_hash="0" * 64)
    AuditEntry.objects.filter(pk=b.pk).update(**{name: getattr(a, name) for name in fields})
    AuditEntry.objects.filter(pk=a.pk).update(**{name: getattr(b, name) for name in fields})

    assert f"entry {a.pk}:" in broken_at()


def test_entries_written_under_a_local_clock_verify(db: None) -> None:
    """Time stamps are hashed in UTC: the database hands them back in UTC whatever was written."""
    berlin = datetime(2026, 7, 1, 9, 15, 0, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    with mock.patch("django.utils.timezone.now", return_value=berlin):
        _append(2)
    with mock.patch("django.utils.timezone.now", return_value=berlin.replace(microsecond=0)):
        _append(1)

    assert "intact (3 entries)" in verify()


def test_data_round_trips_unicode_nesting_tuples_and_number_keys(db: None) -> None:
    with transaction.atomic():
        entry = audit_log(
            actor=None, action="tests.audit.nested",
            data={
                "ü": "ä", "list": [3, 1, {"b": None, "a": True}], "float": 1.5, "big": 2**40,
                "tuple": (1, 2), "by_id": {2: "x", 10: "y"},
            },
        )

    assert entry.data["by_id"] == {"2": "x", "10": "y"}
    assert "intact (1 entries)" in verify()


def test_audit_log_refuses_to_run_outside_a_transaction() -> None:
    # No database fixture: the check comes before any query.
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        audit_log(actor=None, action="tests.audit.loose")


def test_audit_data_never_holds_content(
    fallback_org: Any, submit: Callable[..., Submitted], make_member: Callable[..., Any]
) -> None:
    counsellor = make_member(fallback_org).membership.user
    submitted = submit(
        description=f"{MARKER} description", place_details=f"{MARKER} place",
        contact_email=f"{MARKER}@example.org", notify_email=f"notify-{MARKER}@example.org",
    )
    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None
    message_post(case=access.case, case_key=access.case_key, body=f"{MARKER} from reporter", actor=None)
    message_post(case=access.case, case_key=access.case_key, body=f"{MARKER} reply", actor=counsellor)
    from reporting.services import case_keys_for_organisation

    keys = case_keys_for_organisation(
        case=access.case, organisation=fallback_org.organisation, org_private_key=fallback_org.private_key
    )
    assert keys.internal_key is not None
    note_add(case=access.case, internal_key=keys.internal_key, body=f"{MARKER} note", actor=counsellor)

    entries = list(AuditEntry.objects.filter(case_id=submitted.case.pk))
    assert {e.action for e in entries} >= {
        "reporting.case.submitted", "reporting.message.from_reporter", "counselling.message.sent",
        "counselling.note.added",
    }
    receipt = (submitted.receipt_code or "").replace("-", "")
    for entry in AuditEntry.objects.all():
        text = repr(entry.data) + entry.actor_label + entry.action
        assert MARKER not in text
        assert receipt not in text.upper().replace("-", "")
    assert "intact" in verify()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_intact() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()  # the first writers also race to create the head
    writers, per_writer = 8, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            start.wait()
            for index in range(per_writer):
                with transaction.atomic():
                    audit_log(actor=None, action="tests.audit.concurrent", data={"w": number, "i": index})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    verdicts: list[object] = []
    writing = threading.Event()

    def verify_while_writing() -> None:
        # Verifying during appends must not raise false alarms.
        try:
            while writing.is_set():
                verdicts.append(audit_verify_chain())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    writing.set()
    checker = threading.Thread(target=verify_while_writing)
    checker.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writing.clear()
    checker.join()

    assert errors == []
    assert verdicts and all(verdict is None for verdict in verdicts)
    assert AuditEntry.objects.count() == writers * per_writer
    assert audit_verify_chain() is None
    assert "intact" in verify()
