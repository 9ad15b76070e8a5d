"""Shredding leaves nothing in the database files (SPEC §3.9, review F-11): on PostgreSQL a task
vacuums the tables that held the deleted rows (and, after a rotation, the old wraps); on SQLite
`secure_delete` is on for every connection.

The PostgreSQL tests read the table files of the test database (found with
`pg_relation_filepath` under `data_directory`); they skip, saying why, where this process may
not read them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, connections
from django_q.models import Task

from counselling.keys import org_key_rotate
from counselling.models import Membership
from reporting import tasks
from reporting.models import (
    Attachment,
    Case,
    CaseGrant,
    Message,
    Note,
    Organisation,
    OrganisationKey,
)
from reporting.services import (
    FileInput,
    RotationReason,
    case_keys_for_organisation,
    case_shred,
    message_post,
    note_add,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the vacuum runs after a real commit

@pytest.fixture(autouse=True)
def _patient_vacuum(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """VACUUM FULL must wait for every older transaction on the server to end, other test
    sessions' included; give them time (the tests of a failing wait set their own). A fuzzing
    test in the other worker holds its transaction for minutes on a slow machine, so the wait
    and the task's timeout around it are longer than any test."""
    settings.SHRED_VACUUM_WAIT_SECONDS = 600
    monkeypatch.setattr("reporting.vacuum.VACUUM_TASK_TIMEOUT_SECONDS", 610)


SHRED_TABLES = ["reporting_attachment", "reporting_case", "reporting_casegrant", "reporting_message", "reporting_note"]


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: VACUUM and the table files")


def _database_directory() -> Path:
    """The test database's folder under the server's data directory, or skip saying why."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            data_directory = cursor.fetchone()[0]
            cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            oid = cursor.fetchone()[0]
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        pytest.skip(f"cannot locate or flush the table files (needs a superuser): {type(exc).__name__}")
    directory = Path(data_directory) / "base" / str(oid)
    try:
        next(directory.iterdir())
    except (OSError, StopIteration) as exc:
        pytest.skip(f"the table files in {directory} are not readable by this process: {type(exc).__name__}")
    return directory


def _relation_files(table: str) -> list[Path]:
    """The heap and TOAST files of a table, all segments."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_filepath(c.oid), "
            "CASE WHEN c.reltoastrelid <> 0 THEN pg_relation_filepath(c.reltoastrelid) END "
            "FROM pg_class c WHERE c.oid = %s::regclass", [table],
        )
        paths = [p for p in cursor.fetchone() if p]
        cursor.execute("SHOW data_directory")
        root = Path(cursor.fetchone()[0])
    files = []
    for relative in paths:
        base = root / relative
        files += [base, *sorted(base.parent.glob(base.name + ".[0-9]*"))]
    return [f for f in files if f.exists()]


def _found_in(files: Any, markers: dict[str, bytes]) -> set[str]:
    """Which markers are in the files; `files` is called after the checkpoint (which may
    remove files of rewritten tables)."""
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")  # dirty pages reach the files
    found = set()
    for path in files():
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            continue
        found |= {name for name, marker in markers.items() if marker in content}
    return found


def _table_files(tables: list[str]) -> Any:
    return lambda: [f for table in tables for f in _relation_files(table)]


def _all_files(directory: Path) -> Any:
    return lambda: [p for p in directory.iterdir() if p.is_file()]


def _case_with_everything(fallback_org: Any, make_member: Any, submit: Any, label: str) -> tuple[Case, dict[str, bytes]]:
    """A case with a grant, a message, a note and a file; a slice of each ciphertext as it is
    stored (random bytes, unique to this case)."""
    author = make_member(fallback_org).membership.user
    case = submit(description=f"{label} description",
                  files=(FileInput(name="a.png", content=b"\x89PNG data", content_type="image/png"),)).case
    keys = case_keys_for_organisation(case=case, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    assert keys.internal_key is not None
    message_post(case=case, case_key=keys.case_key, body=f"{label} message", actor=author)
    note_add(case=case, internal_key=keys.internal_key, body=f"{label} note", actor=author)
    grant = CaseGrant.objects.get(case=case)
    markers = {
        "grant": bytes(grant.sealed_case_key)[100:164],
        "internal grant": bytes(grant.sealed_internal_key)[100:164],
        "report": bytes(Case.objects.get(pk=case.pk).report_ciphertext)[13:77],
        "message": bytes(Message.objects.get(case=case).body_ciphertext)[13:45],
        "note": bytes(Note.objects.get(case=case).body_ciphertext)[13:45],
        "attachment": bytes(Attachment.objects.get(case=case).meta_ciphertext)[13:45],
    }
    return case, markers


# --------------------------------------------------------------------------------------------
# Both databases


def test_a_shred_queues_the_vacuum_of_the_tables_that_held_its_rows(fallback_org: Any, make_member: Any,
                                                                      submit: Any) -> None:
    full, _markers = _case_with_everything(fallback_org, make_member, submit, "queued")
    bare = submit().case
    case_shred(actor=None, case=full, reason="reporter")
    case_shred(actor=None, case=bare, reason="reporter")
    runs = list(Task.objects.filter(func="reporting.tasks.vacuum_tables").order_by("started"))
    assert [run.args for run in runs] == [(SHRED_TABLES,), (["reporting_case", "reporting_casegrant"],)]
    assert all(run.success for run in runs)


def test_the_vacuum_refuses_what_is_not_a_table_of_the_project(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR), pytest.raises(ValueError):
        tasks.vacuum_tables(["reporting_case", "pg_authid; DROP TABLE x"])
    assert any(r.levelno == logging.ERROR and "Vacuum refused" in r.getMessage() for r in caplog.records)


def test_sqlite_secure_delete_is_on_for_every_connection() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    # Set explicitly (Debian builds default to on; others do not).
    init = connection.settings_dict["OPTIONS"]["init_command"].replace(" ", "").lower()
    assert "pragmasecure_delete=on" in init
    fresh = connections.create_connection("default")
    try:
        for conn in (connection, fresh):
            with conn.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete")
                assert cursor.fetchone()[0] == 1
    finally:
        fresh.close()


# --------------------------------------------------------------------------------------------
# PostgreSQL: the bytes leave the table files


def test_postgresql_shredded_rows_leave_the_table_files_after_the_vacuum_task(
    fallback_org: Any, make_member: Any, submit: Any,
) -> None:
    _postgresql_only()
    assert settings.SHRED_VACUUM_FULL  # the default
    directory = _database_directory()
    shredded, markers = _case_with_everything(fallback_org, make_member, submit, "shredded")
    _kept, kept_markers = _case_with_everything(fallback_org, make_member, submit, "kept")
    assert _found_in(_table_files(SHRED_TABLES), markers) == set(markers)  # the search finds what is there

    case_shred(actor=None, case=shredded, reason="reporter")  # commits; the task runs (sync queue)

    assert _found_in(_all_files(directory), markers) == set()
    assert _found_in(_table_files(SHRED_TABLES), kept_markers) == set(kept_markers)


def test_postgresql_plain_vacuum_leaves_no_dead_rows(
    fallback_org: Any, make_member: Any, submit: Any, settings: Any,
) -> None:
    _postgresql_only()
    settings.SHRED_VACUUM_FULL = False
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    except DatabaseError as exc:
        pytest.skip(f"pgstattuple is not available: {type(exc).__name__}")

    def dead_rows(table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT dead_tuple_count FROM pgstattuple(%s::regclass)", [table])
            return int(cursor.fetchone()[0])

    shredded, _markers = _case_with_everything(fallback_org, make_member, submit, "plain")
    other = submit().case
    Case.objects.filter(pk=other.pk).update(staff_unread=False)  # a dead row version, not vacuumed
    assert dead_rows("reporting_case") > 0  # pgstattuple sees dead rows
    case_shred(actor=None, case=shredded, reason="reporter")
    assert {table: dead_rows(table) for table in SHRED_TABLES} == dict.fromkeys(SHRED_TABLES, 0)


def test_postgresql_a_rotation_vacuums_the_old_wraps_out_of_the_files(
    fallback_org: Any, make_member: Any, submit: Any,
) -> None:
    _postgresql_only()
    _database_directory()
    member = make_member(fallback_org).membership
    submit()
    old_key = OrganisationKey.objects.get(organisation=fallback_org.organisation)
    markers = {
        "member wrap": bytes(Membership.objects.get(pk=member.pk).wrapped_org_key or b"")[13:45],
        "recovery wrap": bytes(old_key.sealed_for_recovery or b"")[100:164],
        "grant": bytes(CaseGrant.objects.get().sealed_case_key)[100:164],
    }
    wrap_tables = ["counselling_membership", "reporting_casegrant", "reporting_organisationkey"]
    assert _found_in(_table_files(wrap_tables), markers) == set(markers)
    org_key_rotate(actor=None, organisation=Organisation.objects.get(pk=fallback_org.organisation.pk),
                   org_private_key=fallback_org.private_key, reason=RotationReason.ON_DEMAND)
    assert [run.args for run in Task.objects.filter(func="reporting.tasks.vacuum_tables")] == [(wrap_tables,)]
    assert _found_in(_table_files(wrap_tables), markers) == set()


def test_postgresql_a_failed_vacuum_is_logged_at_error(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    _postgresql_only()
    settings.SHRED_VACUUM_WAIT_SECONDS = 1
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             password=db["PASSWORD"] or None, dbname=db["NAME"])
    try:
        holder.execute("LOCK TABLE reporting_note IN SHARE UPDATE EXCLUSIVE MODE")  # e.g. a running vacuum
        with caplog.at_level(logging.ERROR), pytest.raises(DatabaseError):
            tasks.vacuum_tables(["reporting_note"])
    finally:
        holder.rollback()
        holder.close()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert lines == ["Vacuum after deletion failed (reporting_note): OperationalError"]


def test_postgresql_an_older_open_transaction_fails_the_vacuum_instead_of_hiding_it(
    fallback_org: Any, submit: Any, settings: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """VACUUM keeps rows an older transaction might still see; the task must not pretend."""
    _postgresql_only()
    settings.SHRED_VACUUM_WAIT_SECONDS = 1
    case = submit().case
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             password=db["PASSWORD"] or None, dbname=db["NAME"])
    try:
        holder.execute("SELECT pg_current_xact_id()")  # a transaction older than the deletion
        with caplog.at_level(logging.ERROR):
            case_shred(actor=None, case=case, reason="reporter")
    finally:
        holder.rollback()
        holder.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(line.startswith("Vacuum cannot remove the deleted rows yet: older transactions are open (pid ")
               for line in errors)
    assert "Vacuum after deletion failed (reporting_case, reporting_casegrant): OperationalError" in errors
    assert not Task.objects.filter(func="reporting.tasks.vacuum_tables", success=True).exists()
