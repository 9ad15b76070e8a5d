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

A failed run is logged at ERROR (table names and the error's class only) and raised, so the
task queue records it and runs it again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Model
from django_q.tasks import async_task

logger = logging.getLogger(__name__)



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
        async_task("reporting.tasks.vacuum_tables", tables)
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
            cursor.execute("SELECT set_config('lock_timeout', %s, false)",
                           [f"{settings.SHRED_VACUUM_LOCK_TIMEOUT_SECONDS}s"])
            for table in tables:
                cursor.execute(statement.format(connection.ops.quote_name(table)))
    finally:
        connection.close()
    return len(tables)


def _checkpoint_sqlite() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
    if row is not None and row[0]:
        # Busy: a reader kept part of the log; raise so the queue runs it again.
        raise DatabaseError("write-ahead log still in use")
