"""Two ways to write with fewer waits on PostgreSQL (issue 16), each with its reason.

- `execute_unflushed`: a statement of its own (autocommit) whose commit need not wait for the
  write-ahead log to reach the disk (`synchronous_commit` off for that one transaction). Only
  for writes that nothing durable can depend on without flushing them too: a counter whose
  value a later transaction stores (a case number, a routing turn) or a rate-limit count. The
  log is written in order, so the durable commit of any case that used such a value flushes it
  with it; a crash can lose only values no stored case used, and a lost rate-limit count is
  harmless. Inside a transaction (or with autocommit off) the statement runs as it is, since
  `SET LOCAL` would then reach the whole transaction.
- `insert_together`: several new rows in one statement (data-modifying `WITH` clauses),
  instead of one round trip each. Each value is prepared as Django's insert compiler prepares
  it (the field's `pre_save`, then its conversion for the database), so the values are the
  ORM's; the statement's text is built once per model. With a `Guard`, the rows are inserted
  only if a condition holds, read (and locked) in the same statement: in autocommit, the
  condition, the rows and their commit are then one round trip.

On SQLite both do what they would do without them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models


def execute_unflushed(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """Execute `sql` (one statement) on `cursor`; see the module. The cursor then holds that
    statement's result (rows, rowcount)."""
    if connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block:
        # One simple query, so one implicit transaction: the SET reaches this statement only.
        cursor.execute("SET LOCAL synchronous_commit TO OFF; " + sql, params)
        cursor.nextset()
    else:
        cursor.execute(sql, params)


def next_ids_sql(*model_classes: type[models.Model]) -> str:
    """SQL (no parameters) for the next id of each model's table, one column each, to be
    selected within a statement that runs anyway; PostgreSQL only."""
    quote = connection.ops.quote_name
    return ", ".join(
        f"nextval(pg_get_serial_sequence('{quote(m._meta.db_table)}', '{m._meta.pk.column}'))" for m in model_classes
    )


@dataclass(frozen=True)
class Guard:
    """A condition for `insert_together`, checked in the same statement (PostgreSQL).

    `sql` is a query that returns one row of one column while the condition holds and no row
    otherwise; it may lock that row (`FOR KEY SHARE`), and the lock then lasts until the rows
    are committed. In the rows of the models in `models`, the column `column` (NOT NULL, and
    in the caller's rows equal to the value the query returns) takes the query's value instead
    of the row's own: when the condition does not hold, it is NULL, the database refuses the
    statement, and nothing of it is stored (`GuardFailed`).
    """

    sql: str
    params: tuple[Any, ...]
    column: str
    models: frozenset[type[models.Model]]


class GuardFailed(Exception):
    """The guard's condition did not hold: nothing was inserted."""


@functools.cache
def _insert_text(model: type[models.Model], with_pk: bool, guarded: str | None = None,
                 left_null: frozenset[str] = frozenset()) -> str:
    """The INSERT of one row of `model` (PostgreSQL): a parameter for each field of `_fields`
    except those whose columns are `left_null` (NULL by being left out); the column `guarded`,
    if any, takes the guard's value."""
    quote = connection.ops.quote_name
    fields = [f for f in _fields(model, with_pk) if f.column not in left_null]
    columns = ", ".join(quote(str(f.column)) for f in fields)  # a concrete field's column is never None
    placeholders = ", ".join("(SELECT * FROM guard)" if f.column == guarded else "%s" for f in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608


@functools.cache
def _fields(model: type[models.Model], with_pk: bool) -> tuple[models.Field[Any, Any], ...]:
    return tuple(f for f in model._meta.local_concrete_fields if with_pk or not f.primary_key)


def _insert_sql(obj: models.Model, guard: Guard | None) -> tuple[str, list[Any]]:
    # As Django's insert compiler prepares each value (pre_save, then the field's conversion
    # for this database), without building a query for every row. A NULL of a column without
    # a database default is left out of the statement: a shorter text with fewer parameters,
    # which psycopg converts once and keeps (up to 50 parameters and 4 KB).
    guarded = guard.column if guard is not None and type(obj) in guard.models else None
    params, left_null = [], []
    for f in _fields(type(obj), obj.pk is not None):
        if f.column == guarded:
            continue
        value = f.get_db_prep_save(f.pre_save(obj, True), connection)
        if value is None and f.db_default is models.NOT_PROVIDED:
            left_null.append(f.column)
        else:
            params.append(value)
    return _insert_text(type(obj), obj.pk is not None, guarded, frozenset(left_null)), params


def insert_together(objs: Sequence[models.Model], *, guard: Guard | None = None) -> None:
    """Insert these new, unsaved rows, in this order, in one statement on PostgreSQL (one save
    each elsewhere). A row another row refers to must have its id set beforehand (`next_ids_sql`);
    a row saved without one keeps `pk` None, and such rows get their ids in no particular
    order. No signals are sent, as with `bulk_create`.
    Inside a transaction, constraints are checked as for separate inserts.

    `guard` (PostgreSQL only): see `Guard`; GuardFailed if its condition did not hold."""
    if connection.vendor != "postgresql" or (len(objs) < 2 and guard is None):
        if guard is not None:
            raise ValueError("a guard needs PostgreSQL")
        for obj in objs:
            obj.save(force_insert=True)
        return
    parts = [_insert_sql(obj, guard) for obj in objs]
    clauses = [f"r{n} AS ({sql})" for n, (sql, _params) in enumerate(parts[:-1])]
    params = [value for _sql, values in parts for value in values]
    if guard is not None:
        clauses.insert(0, f"guard AS ({guard.sql})")
        params[:0] = guard.params
    statement = f"WITH {', '.join(clauses)} {parts[-1][0]}" if clauses else parts[-1][0]
    with connection.cursor() as cursor:
        try:
            cursor.execute(statement, params)
        except IntegrityError as exc:
            if guard is not None and _null_in(exc, guard.column):
                raise GuardFailed(guard.column) from exc
            raise
    for obj in objs:
        if obj.pk is not None:
            obj._state.adding = False
            obj._state.db = connection.alias


def _null_in(exc: IntegrityError, column: str) -> bool:
    """Whether the database refused a NULL in `column`."""
    from psycopg import errors

    cause = exc.__cause__
    return isinstance(cause, errors.NotNullViolation) and cause.diag.column_name == column
