"""The tamper-evident audit log (SPEC §3.9, §5): the keyed MAC chain, anchors, the action
vocabulary and `verify_audit_chain`."""

from __future__ import annotations

import ast
import hashlib
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from reporting import crypto
from reporting.audit import (
    GENESIS,
    AuditAction,
    _entry_digest,
    _entry_mac,
    _timestamp,
    audit_anchor_create,
    audit_chain_key_existing,
    audit_log,
    audit_verify_chain,
)
from reporting.models import AuditAnchor, AuditEntry, AuditHead
from reporting.services import Submitted, message_post, note_add, reporter_open

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ("reporting", "counselling", "stats", "meldestelle")
# What a message about a break may say: an entry id and a fixed reason, nothing taken from data.
BREAK_MESSAGE = re.compile(r"Audit chain broken( at entry \d+)?: [A-Za-z ()'?,:-]+\.")
MARKER = "CANARY-7f3a9c-audit"


ACTIONS = (AuditAction.CASE_VIEWED, AuditAction.CASE_TAKEN, AuditAction.NOTE_ADDED)


def _append(count: int, **kwargs: Any) -> list[AuditEntry]:
    entries = []
    for number in range(count):
        with transaction.atomic():
            entries.append(
                audit_log(
                    actor=None, action=ACTIONS[number % len(ACTIONS)], case_id=1000 + number,
                    organisation_id=7, data={"n": number, "tags": ["b", "a"], "z": 1, "a": 2},
                    **kwargs,
                )
            )
    return entries


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "created_at": _timestamp(entry.created_at), "actor_id": entry.actor_id, "actor_label": entry.actor_label,
        "action": entry.action, "organisation_id": entry.organisation_id, "case_id": entry.case_id,
        "data": entry.data,
    }


def _sha256_link(prev_hash: str, entry: AuditEntry) -> str:
    return _entry_digest(prev_hash=prev_hash, **_fields(entry))


def _rechain(start: int, *, link: Callable[[str, AuditEntry], str], version: int | None = None,
             head_mac: Callable[[str], str] = lambda last: "") -> None:
    """What a database writer without the environment key does after changing the log: walk
    from the first changed row to the end, recompute every link with what they have, and
    re-point the head."""
    rows = list(AuditEntry.objects.order_by("id"))
    prev = GENESIS
    for row in rows:
        if row.pk >= start:
            if version is not None:
                row.chain_version = version
            digest = link(prev, row)
            AuditEntry.objects.filter(pk=row.pk).update(
                prev_hash=prev, entry_hash=digest, chain_version=row.chain_version
            )
            row.entry_hash = digest
        prev = row.entry_hash
    AuditHead.objects.filter(id=1).update(last_hash=prev, head_mac=head_mac(prev))


def _legacy_entries(count: int) -> list[AuditEntry]:
    """Entries as the unkeyed version wrote them (plain SHA-256 chain, version 1)."""
    head, _created = AuditHead.objects.get_or_create(id=1)
    entries = []
    for number in range(count):
        entry = AuditEntry(
            created_at=datetime(2026, 1, 5, 10, number, tzinfo=ZoneInfo("UTC")), actor_id=None,
            actor_label="system", action=AuditAction.CASE_VIEWED.value, organisation_id=3, case_id=50 + number,
            data={"n": number}, prev_hash=head.last_hash, chain_version=AuditEntry.ChainVersion.SHA256,
        )
        entry.entry_hash = _sha256_link(head.last_hash, entry)
        entry.save()
        # Migration 0012 gives every existing entry its id as its place on the chain.
        entry.chain_position = entry.pk
        entry.save(update_fields=["chain_position"])
        head.last_hash = entry.entry_hash
        head.last_position = entry.pk
        entries.append(entry)
    head.head_mac = ""
    head.save()
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


def broken_at(*args: str) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_chain", *args, stdout=StringIO())
    message = str(excinfo.value)
    assert BREAK_MESSAGE.fullmatch(message), message
    return message


def test_intact_chain_verifies(chain: list[AuditEntry]) -> None:
    assert "intact (5 entries)" in verify()
    assert chain[0].prev_hash == GENESIS
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    head = AuditHead.objects.get()
    assert head.last_hash == chain[-1].entry_hash
    assert head.head_mac == crypto.audit_head_mac(settings.AUDIT_CHAIN_KEY, last_mac=head.last_hash)


def test_entries_are_macs_under_the_environment_key(chain: list[AuditEntry]) -> None:
    for entry in chain:
        assert entry.chain_version == AuditEntry.ChainVersion.HMAC_SHA256
        assert entry.entry_hash == _entry_mac(settings.AUDIT_CHAIN_KEY, prev_hash=entry.prev_hash, **_fields(entry))
        # Not what anyone can compute without the key.
        assert entry.entry_hash != _sha256_link(entry.prev_hash, entry)


def test_a_different_key_fails_the_whole_chain(chain: list[AuditEntry], settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY = bytes(32)

    assert f"entry {chain[0].pk}:" in broken_at()


def test_empty_log_verifies(db: None) -> None:
    assert "intact (0 entries)" in verify()


def test_command_exits_non_zero_and_logs_an_error_when_broken(
    chain: list[AuditEntry], caplog: pytest.LogCaptureFixture
) -> None:
    AuditEntry.objects.filter(pk=chain[2].pk).update(action="tests.audit.forged", data={"n": "CANARY-in-data"})
    with caplog.at_level(logging.ERROR), pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_chain", stdout=StringIO())
    # CommandError from the command line means exit status 1.
    assert excinfo.value.returncode == 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "reporting.audit"]
    assert [r.getMessage() for r in errors] == [f"Audit chain broken at entry {chain[2].pk}: it was altered or written without the chain key."]
    assert "CANARY" not in caplog.text and "forged" not in caplog.text and "forged" not in str(excinfo.value)


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
        ("chain_version", 1),
        ("chain_version", 3),
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


# A process that can write the database but lacks AUDIT_CHAIN_KEY (review F-13): it changes
# the log, recomputes every later link with what it has, and re-points the head.
REWRITERS: dict[str, dict[str, Any]] = {
    "plain SHA-256": {"link": _sha256_link, "head_mac": lambda last: hashlib.sha256(last.encode()).hexdigest()},
    "plain SHA-256 as unkeyed entries": {"link": _sha256_link, "version": 1},
    "a wrong key": {
        "link": lambda prev, row: _entry_mac(b"w" * 32, prev_hash=prev, **_fields(row)),
        "head_mac": lambda last: crypto.audit_head_mac(b"w" * 32, last_mac=last),
    },
}


@pytest.mark.parametrize("rewriter", sorted(REWRITERS))
def test_edit_and_rechain_without_the_key_is_detected(chain: list[AuditEntry], rewriter: str) -> None:
    target = chain[2]
    AuditEntry.objects.filter(pk=target.pk).update(action=AuditAction.CASE_SHREDDED.value, case_id=4242)
    _rechain(target.pk, **REWRITERS[rewriter])

    assert f"entry {target.pk}:" in broken_at()


@pytest.mark.parametrize("rewriter", sorted(REWRITERS))
def test_delete_and_rechain_without_the_key_is_detected(chain: list[AuditEntry], rewriter: str) -> None:
    """The review's proof of concept: remove entries (say, the shreds), rechain, re-point."""
    AuditEntry.objects.filter(pk__in=[chain[1].pk, chain[3].pk]).delete()
    _rechain(chain[2].pk, **REWRITERS[rewriter])

    assert f"entry {chain[2].pk}:" in broken_at()


def test_truncating_and_re_pointing_the_head_is_detected(chain: list[AuditEntry]) -> None:
    """Cutting entries off the end leaves every remaining link intact; the head's MAC is what
    a writer without the key cannot redo."""
    AuditEntry.objects.filter(pk__in=[entry.pk for entry in chain[-2:]]).delete()
    AuditHead.objects.filter(id=1).update(last_hash=chain[-3].entry_hash)

    assert f"entry {chain[-3].pk}:" in broken_at()


def test_head_reset_to_genesis_is_detected(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.all().delete()
    AuditHead.objects.filter(id=1).update(last_hash=GENESIS, head_mac="")

    # A head row is only ever written together with an entry: an empty log keeps none.
    assert broken_at() == "Audit chain broken: every entry was removed."


def test_head_re_pointed_at_no_entry_is_detected(chain: list[AuditEntry]) -> None:
    AuditHead.objects.filter(id=1).update(last_hash="a" * 64, head_mac="")

    assert f"entry {chain[-1].pk}: it is the last one left" in broken_at()


def _anchor_now() -> str:
    anchor = audit_anchor_create(verdict=audit_verify_chain())
    assert anchor is not None
    return anchor.value


def test_the_current_anchor_verifies(chain: list[AuditEntry]) -> None:
    value = _anchor_now()
    _append(2)

    out = verify_with(value)

    assert f"holds the anchor at entry {chain[-1].pk}" in out
    assert "intact (8 entries)" in out  # five, the anchoring entry, two more


def verify_with(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit_chain", "--anchor", *args, stdout=out)
    return out.getvalue()


def test_truncation_back_to_an_earlier_copy_is_detected_against_the_anchor(chain: list[AuditEntry]) -> None:
    """A writer who kept yesterday's head row deletes today's entries and puts it back: the
    chain and its head are then exactly yesterday's, valid MACs included. Only an anchor kept
    outside the database shows what is missing."""
    saved_head = AuditHead.objects.values("last_hash", "head_mac").get()
    _append(3)
    kept_by_coordinators = _anchor_now()  # the e-mailed value
    _append(1)
    assert "intact" in verify_with(kept_by_coordinators)

    AuditEntry.objects.filter(pk__gt=chain[-1].pk).delete()
    AuditHead.objects.filter(id=1).update(**saved_head)
    AuditAnchor.objects.all().delete()  # the rows in the database go too; the e-mails stay

    assert "intact (5 entries)" in verify()  # on its own, the shortened log looks whole
    message = broken_at("--anchor", kept_by_coordinators)
    anchored_id = int(kept_by_coordinators.split(":")[0])
    assert message == f"Audit chain broken at entry {anchored_id}: it was anchored but is gone (the log was cut back)."


def test_stored_anchors_are_checked_on_every_run(chain: list[AuditEntry]) -> None:
    saved_head = AuditHead.objects.values("last_hash", "head_mac").get()
    _append(1)
    anchored_id = int(_anchor_now().split(":")[0])
    AuditEntry.objects.filter(pk__gt=chain[-1].pk).delete()
    AuditHead.objects.filter(id=1).update(**saved_head)

    assert f"entry {anchored_id}: it was anchored but is gone" in broken_at()


def test_an_anchor_whose_hash_differs_is_reported(chain: list[AuditEntry]) -> None:
    entry_id, entry_hash = _anchor_now().split(":")
    other = "0" * 64 if entry_hash != "0" * 64 else "1" * 64

    message = broken_at("--anchor", f"{entry_id}:{other}")

    assert message == f"Audit chain broken at entry {entry_id}: it no longer has the anchored hash (the log was rewritten)."


@pytest.mark.parametrize("value", ["", "12", "12:abc", "x:" + "0" * 64, "12:" + "g" * 64, "1" * 19 + ":" + "0" * 64])
def test_a_malformed_anchor_is_refused(chain: list[AuditEntry], value: str) -> None:
    with pytest.raises(CommandError, match="Not an anchor"):
        call_command("verify_audit_chain", "--anchor", value, stdout=StringIO())


def test_anchor_records_the_head_and_is_itself_audited(chain: list[AuditEntry]) -> None:
    anchor = audit_anchor_create(verdict=None)

    assert anchor is not None
    assert (anchor.last_entry_id, anchor.head_hash, anchor.chain_intact) == (chain[-1].pk, chain[-1].entry_hash, True)
    assert anchor.value == f"{chain[-1].pk}:{chain[-1].entry_hash}"
    last = AuditEntry.objects.order_by("-id").first()
    assert last is not None and last.action == AuditAction.ANCHORED
    assert last.data == {"anchor": anchor.pk, "entry": chain[-1].pk}
    assert "intact (6 entries)" in verify()


def test_no_anchor_for_an_empty_log(db: None) -> None:
    assert audit_anchor_create(verdict=None) is None
    assert not AuditAnchor.objects.exists() and not AuditEntry.objects.exists()


# --------------------------------------------------------------------------------------------
# Entries from before the chain was keyed


def _key_existing() -> AuditEntry | None:
    with transaction.atomic():
        entry: AuditEntry | None = audit_chain_key_existing(
            entry_model=AuditEntry, head_model=AuditHead, key=settings.AUDIT_CHAIN_KEY
        )
    return entry


def test_unkeyed_entries_are_closed_by_a_keyed_genesis(db: None) -> None:
    legacy = _legacy_entries(3)
    genesis = _key_existing()
    _append(2)

    assert genesis is not None
    assert genesis.action == AuditAction.CHAIN_KEYED and genesis.data == {"unkeyed_entries": 3}
    assert genesis.prev_hash == legacy[-1].entry_hash
    assert "intact (6 entries)" in verify()
    assert _key_existing() is None  # only once


def test_the_migration_keys_an_existing_chain_and_leaves_an_empty_one(db: None) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reporting.migrations.0008_audit_chain_keyed_entry")
    migration.key_the_chain(apps, None)
    assert not AuditEntry.objects.exists()

    _legacy_entries(2)
    with transaction.atomic():
        migration.key_the_chain(apps, None)
    assert AuditEntry.objects.order_by("-id").values_list("action", flat=True).first() == AuditAction.CHAIN_KEYED
    assert "intact (3 entries)" in verify()


def test_an_unkeyed_log_without_the_keyed_genesis_is_not_intact(db: None) -> None:
    legacy = _legacy_entries(3)

    assert f"entry {legacy[-1].pk}: it is followed by no entry with the chain key" in broken_at()


def test_rewriting_the_unkeyed_prefix_after_keying_is_detected(db: None) -> None:
    legacy = _legacy_entries(3)
    genesis = _key_existing()
    assert genesis is not None
    AuditEntry.objects.filter(pk=legacy[1].pk).update(case_id=4242)
    # SHA-256 is public: the unkeyed links can be redone, up to the keyed entry.
    _rechain(legacy[1].pk, link=_sha256_link)
    AuditEntry.objects.filter(pk=genesis.pk).update(prev_hash=genesis.prev_hash)

    assert f"entry {genesis.pk}:" in broken_at()


def test_downgrading_the_keyed_chain_to_unkeyed_entries_is_detected(chain: list[AuditEntry]) -> None:
    """Turning every entry into a version-1 entry with plain SHA-256 leaves a chain that was
    never keyed: refused, since migration 0008 keys every chain that has entries."""
    _rechain(chain[0].pk, link=_sha256_link, version=1)

    assert f"entry {chain[-1].pk}: it is followed by no entry with the chain key" in broken_at()


def test_an_unkeyed_entry_after_the_keyed_chain_is_detected(chain: list[AuditEntry]) -> None:
    _rechain(chain[3].pk, link=_sha256_link, version=1)

    assert f"entry {chain[3].pk}: it lacks the chain key's MAC after the chain was keyed" in broken_at()


def test_keyed_genesis_must_follow_unkeyed_entries(db: None) -> None:
    _legacy_entries(2)
    first_keyed = _append(1)[0]  # a keyed entry without the genesis (not what 0008 writes)

    assert f"entry {first_keyed.pk}: it follows entries without the chain key but does not key the chain" in broken_at()


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
            actor=None, action=AuditAction.STATS_EXPORTED,
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
        audit_log(actor=None, action=AuditAction.CASE_VIEWED)


# --------------------------------------------------------------------------------------------
# The action vocabulary


@pytest.mark.parametrize("action", ["tests.audit.loose", "reporting.case.Submitted", "", 42, None])
def test_audit_log_refuses_an_action_outside_the_enumeration(db: None, action: Any) -> None:
    with transaction.atomic(), pytest.raises(ValueError, match="not an audit action"):
        audit_log(actor=None, action=action)
    assert not AuditEntry.objects.exists()


def test_audit_log_takes_the_stored_value_of_a_member(db: None) -> None:
    with transaction.atomic():
        entry = audit_log(actor=None, action=AuditAction.CASE_SHREDDED.value)  # type: ignore[arg-type]
    assert entry.action == "reporting.case.shredded"
    assert type(AuditEntry.objects.get().action) is str


def _app_sources() -> list[tuple[Path, ast.Module]]:
    sources = []
    for app in APP_DIRS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                sources.append((path, ast.parse(path.read_text(), filename=str(path))))
    return sources


def _action_problems(expression: ast.expr) -> list[str]:
    """An action argument must be `AuditAction.<MEMBER>` (or a choice between such)."""
    if isinstance(expression, ast.IfExp):
        return _action_problems(expression.body) + _action_problems(expression.orelse)
    if (isinstance(expression, ast.Attribute) and isinstance(expression.value, ast.Name)
            and expression.value.id == "AuditAction"):
        return [] if expression.attr in AuditAction.__members__ else [f"AuditAction.{expression.attr} does not exist"]
    return [f"{ast.unparse(expression)} is not an AuditAction member"]


def test_every_audit_log_call_in_the_code_names_an_enumeration_member() -> None:
    calls, problems = 0, []
    for path, tree in _app_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in ("audit_log", "audit_entry_waiting"):
                continue
            if name == "audit_entry_waiting" and path == ROOT / "reporting" / "audit.py":
                continue  # audit_log's own deferred entry: the action its caller named
            calls += 1
            action = next((keyword.value for keyword in node.keywords if keyword.arg == "action"), None)
            if action is None:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: no action")
                continue
            problems += [f"{path.relative_to(ROOT)}:{node.lineno}: {p}" for p in _action_problems(action)]
    assert calls >= 30  # the walk found the writers
    assert problems == []


def test_action_strings_are_written_only_in_the_enumeration() -> None:
    """The timeline, the digest and the pages compare with members, never with a copy of the
    string, so renaming a member cannot leave a reader behind."""
    values = {action.value for action in AuditAction}
    found = []
    for path, tree in _app_sources():
        if path == ROOT / "reporting" / "audit.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in values:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert found == []


def test_every_member_is_namespaced_and_unique() -> None:
    values = [action.value for action in AuditAction]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"(reporting|counselling|stats)\.[a-z_]+(\.[a-z_]+)?", value) for value in values)
    assert max(len(value) for value in values) <= AuditEntry._meta.get_field("action").max_length  # type: ignore[operator]


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
                    audit_log(actor=None, action=AuditAction.CASE_VIEWED, data={"w": number, "i": index})
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


# --------------------------------------------------------------------------------------------
# Entries chained after commit (version 3: the submission path, issue 16)


@pytest.fixture(autouse=False)
def after_commit(settings: Any) -> None:
    """Chaining after commit, as on PostgreSQL, whatever the database (on SQLite it is off)."""
    settings.AUDIT_CHAIN_AFTER_COMMIT = True


def _waiting(count: int) -> list[AuditEntry]:
    entries = []
    for number in range(count):
        with transaction.atomic():
            entries.append(audit_log(actor=None, action=AuditAction.CASE_SUBMITTED, case_id=2000 + number,
                                     organisation_id=7, data={"channel": "api", "files": 0}, deferred=True))
    return entries


def test_a_deferred_entry_waits_with_its_own_mac_and_the_next_writer_chains_it(db: None, after_commit: None) -> None:
    [first] = _waiting(1)
    first.refresh_from_db()
    assert first.chain_position is None and first.entry_hash is None and len(first.entry_mac) == 64
    assert audit_verify_chain() is None  # waiting is not a break
    # The next entry chained in a transaction takes what waits first.
    with transaction.atomic():
        later = audit_log(actor=None, action=AuditAction.CASE_VIEWED, case_id=1)
    first.refresh_from_db()
    assert first.chain_position is not None and later.chain_position == first.chain_position + 1
    assert later.prev_hash == first.entry_hash
    assert "intact" in verify()


def test_altering_a_waiting_entry_is_detected(db: None, after_commit: None) -> None:
    [entry] = _waiting(1)
    AuditEntry.objects.filter(pk=entry.pk).update(data={"channel": "api", "files": 3})
    problem = audit_verify_chain()
    assert problem is not None and problem.entry_id == entry.pk


def test_a_forged_waiting_entry_is_detected(db: None, after_commit: None) -> None:
    _append(2)
    AuditEntry.objects.create(
        created_at=timezone.now(), actor_id=None, actor_label="system", action=AuditAction.CASE_SUBMITTED.value,
        data={}, chain_version=AuditEntry.ChainVersion.OWN_MAC_CHAINED_AFTER, entry_mac="0" * 64, nonce="1" * 32,
    )
    assert "written without the chain key" in broken_at()


def test_the_command_chains_waiting_entries_and_then_deleting_one_is_detected(db: None, after_commit: None) -> None:
    entries = _waiting(4)
    assert "intact (4 entries)" in verify()
    assert not AuditEntry.objects.filter(chain_position__isnull=True).exists()
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    assert f"at entry {entries[2].pk}" in broken_at()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_writer_chains_entries_committed_by_concurrent_transactions_in_a_verifiable_order() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises the whole database)")
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    writers, per_writer = 8, 12
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            start.wait()
            for index in range(per_writer):
                with transaction.atomic():
                    # Mostly submissions (chained after commit), now and then a staff action
                    # (chained in its transaction, taking whatever waits before it).
                    audit_log(actor=None, action=AuditAction.CASE_SUBMITTED, case_id=number * 100 + index,
                              data={"w": number, "i": index}, deferred=index % 4 != 3)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    # Every writer ran after its own commit: nothing is left waiting, without any help.
    entries = list(AuditEntry.objects.order_by("chain_position"))
    assert len(entries) == writers * per_writer
    assert [entry.chain_position for entry in entries] == list(range(1, len(entries) + 1))
    prev = GENESIS
    for entry in entries:
        assert entry.prev_hash == prev
        prev = entry.entry_hash or ""
    head = AuditHead.objects.get(id=1)
    assert head.last_hash == prev and head.last_position == len(entries)
    assert audit_verify_chain() is None
    # The order is verifiable: moving one entry's place breaks it.
    middle = entries[len(entries) // 2]
    AuditEntry.objects.filter(pk=middle.pk).update(chain_position=10_000)
    assert audit_verify_chain() is not None
