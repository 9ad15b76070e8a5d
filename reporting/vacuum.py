"""Deleted rows leave the database files (SPEC §3.9, review F-11).

A crypto-shred deletes rows, and a key rotation overwrites wraps; on PostgreSQL the old row
versions (sealed case keys, ciphertext, old key wraps) stay in the table files until vacuum.
So after such a transaction commits, a task vacuums the tables that held them, on a separate
autocommit connection (VACUUM cannot run inside a transaction). With SHRED_VACUUM_FULL (the
default) the tables are rewritten, so the deleted bytes leave the files; a plain VACUUM only
marks their space free. What may still hold them: WAL and base backups, for as long as they
are kept (docs/deployment.md), and only until the next key rotation makes them unreadable.

On SQLite `secure_delete` (settings) zeroes deleted content in the database file; the task
checkpoints and truncates the write-ahead log, where earlier page images would otherwise stay.

Before vacuuming, the task waits until no transaction older than the deletion is open (an open
one would keep the rows). A failed run (an old transaction that does not end, a lock it does
not get) is logged at ERROR (table names and the error's class only) and raised, so the task
queue records it and runs it again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction
from django.db.models import Model
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

VACUUM_TASK_TIMEOUT_SECONDS = 110



def _pending_key(tables: Iterable[str]) -> str:
    return "reporting:vacuum-pending:" + hashlib.sha256(",".join(sorted(set(tables))).encode()).hexdigest()


def tables_of(*models: type[Model]) -> list[str]:
    return sorted({model._meta.db_table for model in models})


def vacuum_after_commit(tables: Iterable[str]) -> None:
    """Queue a vacuum of `tables` for when the current transaction commits.

    A run already queued for the same tables and not yet started covers this commit too, so a
    retention purge of many cases vacuums once, not once per case.
    """
    names = sorted(set(tables))
    transaction.on_commit(lambda: _queue(names), robust=True)


def _queue(tables: list[str]) -> None:
    pending = _pending_key(tables)
    if not cache.add(pending, 1, timeout=3600):
        return
    try:
        # Its own time limit: waiting for older transactions and for locks may take a while,
        # and must end before the queue hands the task out again (Q_CLUSTER "retry").
        async_task("reporting.tasks.vacuum_tables", tables, timeout=VACUUM_TASK_TIMEOUT_SECONDS)
    except Exception as exc:
        cache.delete(pending)
        logger.error("Vacuum after deletion not queued (%s): %s", ", ".join(tables), type(exc).__name__)
        raise


def vacuum_tables(tables: list[str]) -> int:
    """Vacuum (PostgreSQL) or checkpoint the log (SQLite); how many tables were vacuumed."""
    cache.delete(_pending_key(tables))
    known = {model._meta.db_table for model in apps.get_models()}
    unknown = sorted(set(tables) - known)
    if unknown:
        logger.error("Vacuum refused: %s is not a table of this project.", ", ".join(unknown))
        raise ValueError("unknown table")
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        # Only when run inline inside an open transaction (the test client's, or a task queue
        # in sync mode): the rows are not deleted for others yet, and a FULL vacuum would wait
        # for that very transaction's locks.
        logger.warning("Vacuum skipped: called inside an open transaction.")
        return 0
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    try:
        if vendor == "postgresql":
            return _vacuum_postgresql(sorted(set(tables)))
        if vendor == "sqlite":
            _checkpoint_sqlite()
        return 0
    except DatabaseError as exc:
        logger.error("Vacuum after deletion failed (%s): %s", ", ".join(sorted(set(tables))), type(exc).__name__)
        raise


def _vacuum_postgresql(tables: list[str]) -> int:
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        connection.ensure_connection()
        connection.set_autocommit(True)
        statement = "VACUUM FULL {}" if settings.SHRED_VACUUM_FULL else "VACUUM {}"
        with connection.cursor() as cursor:
            _wait_for_older_transactions(cursor)
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{settings.SHRED_VACUUM_WAIT_SECONDS}s"])
            for table in tables:
                cursor.execute(statement.format(connection.ops.quote_name(table)))
    finally:
        connection.close()
    return len(tables)


def _wait_for_older_transactions(cursor: Any) -> None:
    """Wait until no transaction older than now is open, so the vacuum may remove the rows.

    VACUUM keeps a deleted row that an open transaction might still see: one in this database
    holding an older snapshot, or one anywhere on the server that was already running when the
    deletion committed (it holds back the vacuum's own snapshot). Such a row would silently
    stay in the files. So: wait (SHRED_VACUUM_WAIT_SECONDS), else fail, logged and retried.
    Sessions of other database roles show their snapshots only to a role with
    pg_read_all_stats (docs/deployment.md).
    """
    cursor.execute("SELECT pg_current_xact_id()::text")  # newer than every deletion before this task
    now = int(cursor.fetchone()[0])
    deadline = time.monotonic() + settings.SHRED_VACUUM_WAIT_SECONDS
    while True:
        cursor.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= %s::xid8, "
            "NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND age(backend_xmin) > age(%s::xid))",
            [str(now), str(now % 2**32)],
        )
        no_older_xid, no_older_snapshot = cursor.fetchone()
        if no_older_xid and no_older_snapshot:
            return
        if time.monotonic() > deadline:
            cursor.execute(
                "SELECT pid, datname FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND (age(backend_xmin) > age(%s::xid) OR age(backend_xid) > age(%s::xid)) ORDER BY pid",
                [str(now % 2**32), str(now % 2**32)],
            )
            older = ", ".join(f"pid {pid} in {database}" for pid, database in cursor.fetchall())
            logger.error("Vacuum cannot remove the deleted rows yet: older transactions are open (%s).",
                         older or "not visible to this database role")
            raise OperationalError("an older transaction is still open")
        time.sleep(0.2)


def _checkpoint_sqlite() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
    if row is not None and row[0]:
        # Busy: a reader kept part of the log; raise so the queue runs it again.
        raise DatabaseError("write-ahead log still in use")
