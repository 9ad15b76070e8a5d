"""The two write helpers of the submission path (meldestelle.db, issue 16): rows inserted in one
statement read back as the ORM saves them, and a statement that commits without waiting for the
disk never takes a transaction's own commit with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from meldestelle.db import Guard, GuardFailed, execute_unflushed, insert_together, next_ids_sql
from reporting.models import AuditEntry, Incident

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="synchronous_commit and sequences are PostgreSQL's"
)

AT = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)


def _values(obj: Any) -> dict[str, Any]:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(obj)._meta.concrete_fields if not f.primary_key}


def _rows() -> tuple[Incident, AuditEntry]:
    incident = Incident(counts=False, consent_statistics=True, consent_network=True, created_at=AT)
    entry = AuditEntry(
        created_at=AT, actor_label="system", action="case.submitted", organisation_id=7, case_id=11,
        data={"channel": "api", "files": 2}, prev_hash="", chain_version=3, entry_mac="ab" * 32, nonce="cd" * 16,
    )
    return incident, entry


def test_rows_inserted_together_read_back_as_the_orm_saves_them() -> None:
    saved_incident, saved_entry = _rows()
    saved_incident.save()
    saved_entry.save()

    incident, entry = _rows()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {next_ids_sql(Incident, AuditEntry)}")
            incident.pk, entry.pk = cursor.fetchone()
    with transaction.atomic():
        insert_together([incident, entry])

    assert incident.pk is not None and entry.pk is not None
    assert _values(incident) == _values(saved_incident)
    assert _values(entry) == _values(saved_entry)
    # Saved, not new: a later save() updates the row instead of inserting a second one.
    incident.counts = True
    incident.save()
    assert Incident.objects.count() == 2 and Incident.objects.get(pk=incident.pk).counts is True


def test_rows_inserted_together_fail_together() -> None:
    incident, entry = _rows()
    entry.action = None  # NOT NULL: the database refuses this row
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([incident, entry])
    assert Incident.objects.count() == 0 and AuditEntry.objects.count() == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_rows_inserted_under_a_guard_are_stored_only_while_it_holds() -> None:
    # The entry's organisation comes from the guard: a query that finds the given id only
    # while a row with it exists (here: an incident saved before).
    witness = Incident.objects.create(counts=True, created_at=AT)

    def guarded(witness_id: int) -> Guard:
        table = connection.ops.quote_name(Incident._meta.db_table)
        return Guard(sql=f"SELECT id FROM {table} WHERE id = %s FOR KEY SHARE", params=(witness_id,),  # noqa: S608
                     column="action", models=frozenset({AuditEntry}))

    incident, entry = _rows()
    entry.action = "ignored: the guard's value is stored"
    insert_together([incident, entry], guard=guarded(witness.pk))
    stored = AuditEntry.objects.get()
    assert stored.action == str(witness.pk) and stored.case_id == 11  # other columns as given
    assert Incident.objects.count() == 2

    incident, entry = _rows()
    with pytest.raises(GuardFailed):
        insert_together([incident, entry], guard=guarded(witness.pk + 1000))
    # Nothing of the refused statement is stored, and the connection goes on.
    assert Incident.objects.count() == 2 and AuditEntry.objects.count() == 1


def _synchronous_commit(cursor: Any) -> str:
    cursor.execute("SELECT current_setting('synchronous_commit')")
    return str(cursor.fetchone()[0])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_unflushed_statement_never_reaches_a_transaction_or_the_next_statement() -> None:
    with connection.cursor() as cursor:
        # On its own (autocommit): that one statement's commit does not wait for the disk ...
        execute_unflushed(cursor, "SELECT current_setting('synchronous_commit')", [])
        assert cursor.fetchone()[0] == "off"
        # ... and the next statement commits durably again.
        assert _synchronous_commit(cursor) == "on"
        # Inside a transaction (a case's own), it runs as it is: the transaction stays durable.
        with transaction.atomic():
            execute_unflushed(cursor, "SELECT current_setting('synchronous_commit')", [])
            assert cursor.fetchone()[0] == "on"
            assert _synchronous_commit(cursor) == "on"


@postgresql_only
def test_the_submission_tables_carry_no_prefix_search_indexes() -> None:
    # Migration reporting.0023: every report wrote them and no query reads them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN "
            "('reporting_case', 'reporting_auditentry', 'reporting_ratecounter') AND indexdef LIKE %s",
            ["%varchar_pattern_ops%"],
        )
        assert cursor.fetchall() == []
        # The unique indexes that find a case, an entry or a counter are still there.
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                       "('reporting_case_reference_key', 'reporting_case_receipt_lookup_key', "
                       "'reporting_auditentry_entry_hash_key', 'reporting_ratecounter_pkey')")
        assert cursor.fetchone()[0] == 4
