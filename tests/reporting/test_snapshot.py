"""The per-process snapshot of the organisations the submission path routes and seals on
(reporting.snapshot, issue 16): what it may leave stale, and what is checked again under the
transaction's hold so that staleness never sends a report where it must not go."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from counselling.keys import org_key_rotate
from reporting import crypto, snapshot
from reporting.audit import AuditAction, audit_verify_chain
from reporting.models import AuditEntry, Case, CaseGrant, Organisation, OrganisationKey
from reporting.services import (
    KeyUnverified,
    ReportInput,
    ServiceError,
    case_keys_for_organisation,
    organisation_private_key_from_recovery,
    report_decrypt,
    report_submit,
)
from reporting.services.keys import RotationReason


def _reads(case: Case, private_key: bytes) -> str:
    case = Case.objects.get(pk=case.pk)
    keys = case_keys_for_organisation(case=case, organisation=case.organisation, org_private_key=private_key)
    return str(report_decrypt(case=case, case_key=keys.case_key)["description"])


def _report(description: str, district: str = "03241") -> Case:
    return report_submit(report=ReportInput(description=description, district=district, motives=["racism"])).case



def test_an_organisation_created_in_this_process_receives_reports_at_once(fallback_org: Any, make_org: Any) -> None:
    assert _report("before").organisation_id == fallback_org.organisation.pk
    local = make_org("hannover", statewide=False, districts=["03241"])
    case = _report("after")
    assert case.organisation_id == local.organisation.pk
    assert _reads(case, local.private_key) == "after"


def test_a_change_made_by_another_process_is_seen_after_the_snapshot_age(
    fallback_org: Any, make_org: Any, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = make_org("hannover", statewide=False, districts=["03459"])
    assert _report("first").organisation_id == fallback_org.organisation.pk
    # Another process widens the coverage: no signal reaches this one.
    Organisation.objects.filter(pk=local.organisation.pk).update(districts=["03459", "03241"])
    assert _report("still the old table").organisation_id == fallback_org.organisation.pk
    clock = snapshot.time.monotonic() + settings.ORGANISATION_SNAPSHOT_SECONDS + 1
    monkeypatch.setattr(snapshot.time, "monotonic", lambda: clock)
    case = _report("the new table")
    assert case.organisation_id == local.organisation.pk
    assert _reads(case, local.private_key) == "the new table"


def test_an_organisation_paused_by_another_process_is_routed_around_under_the_hold(
    storing: str, fallback_org: Any, make_org: Any,
) -> None:
    local = make_org("hannover", statewide=False, districts=["03241"])
    assert _report("first").organisation_id == local.organisation.pk
    Organisation.objects.filter(pk=local.organisation.pk).update(active=False)  # elsewhere
    case = _report("after the pause")
    assert case.organisation_id == fallback_org.organisation.pk
    assert set(CaseGrant.objects.filter(case=case).values_list("organisation_id", flat=True)) == {
        fallback_org.organisation.pk
    }
    assert _reads(case, fallback_org.private_key) == "after the pause"


def test_a_key_rotated_by_another_process_is_sealed_to_the_new_epoch(storing: str, fallback_org: Any) -> None:
    _report("warms the snapshot")
    stale = dict(snapshot._keys)  # what this process verified before the rotation
    organisation = Organisation.objects.get(pk=fallback_org.organisation.pk)
    org_key_rotate(actor=None, organisation=organisation, org_private_key=fallback_org.private_key,
                   reason=RotationReason.ON_DEMAND)
    # As if the rotation happened in another process: this one still holds epoch 1.
    snapshot.organisations()
    snapshot._keys.update(stale)
    assert snapshot.sealing_key(organisation).version == 1
    case = _report("after the rotation")
    grant = CaseGrant.objects.get(case=case)
    assert grant.key_version == 2
    new_key = OrganisationKey.objects.get(organisation=organisation, version=2)
    assert crypto.public_key_of(_private_key_of_epoch(fallback_org, organisation)) == bytes(new_key.public_key)
    assert _reads(case, _private_key_of_epoch(fallback_org, organisation)) == "after the rotation"
    assert audit_verify_chain() is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement with its hold is PostgreSQL's")
def test_a_report_is_stored_with_its_audit_entry_and_the_hold_in_one_statement(
    fallback_org: Any, settings: Any,
) -> None:
    settings.AUDIT_CHAIN_AFTER_COMMIT = True
    _report("warms the snapshot")
    with CaptureQueriesContext(connection) as queries:
        case = _report("one statement")
    statements = [q["sql"] for q in queries.captured_queries]
    inserts = [n for n, sql in enumerate(statements) if 'INSERT INTO "reporting_case" ' in sql]
    assert len(inserts) == 1
    statement = statements[inserts[0]]
    assert "FOR KEY SHARE" in statement  # the hold on the key epoch, until the rows commit
    for table in ("reporting_incident", "reporting_casegrant", "reporting_auditentry"):
        assert f'INSERT INTO "{table}"' in statement
    # No transaction around it: the statement commits on its own (the writer's come after).
    assert not any(sql.startswith("BEGIN") for sql in statements[: inserts[0]])
    assert _reads(case, fallback_org.private_key) == "one statement"
    assert CaseGrant.objects.get(case=case).organisation_id == fallback_org.organisation.pk
    # Its audit entry was committed with it, and the writer (at once in tests) chained it.
    entry = AuditEntry.objects.get(case_id=case.pk, action=AuditAction.CASE_SUBMITTED)
    assert entry.chain_position is not None
    assert audit_verify_chain() is None


def _private_key_of_epoch(org: Any, organisation: Organisation) -> bytes:
    return organisation_private_key_from_recovery(organisation=organisation, recovery_code=org.recovery_code)


def test_a_public_key_swapped_in_the_database_is_never_sealed_to(fallback_org: Any) -> None:
    """A snapshot seals to the key it verified; a key changed under it (same row, other bytes)
    is neither used by this process nor, once read again, accepted (its MAC fails)."""
    _report("warms the snapshot")
    attacker = crypto.new_org_keypair()
    OrganisationKey.objects.filter(organisation_id=fallback_org.organisation.pk).update(
        public_key=attacker.public_key
    )
    case = _report("sealed to the verified key")
    assert _reads(case, fallback_org.private_key) == "sealed to the verified key"
    with pytest.raises(ServiceError):
        _reads(case, attacker.private_key)
    snapshot.clear()  # read again: the swapped key fails its MAC and nothing is sealed to it
    before = Case.objects.count()
    with pytest.raises(KeyUnverified):
        _report("refused")
    assert Case.objects.count() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement with its hold is PostgreSQL's")
def test_a_report_stored_at_once_stays_stored_when_the_writer_cannot_be_poked(
    fallback_org: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from reporting import writer

    settings.AUDIT_CHAIN_AFTER_COMMIT = True

    def unreachable() -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr(writer, "poke", unreachable)
    case = _report("the queue is down")  # no error: the report is committed
    assert _reads(case, fallback_org.private_key) == "the queue is down"
    assert "Audit writer not poked: ConnectionError" in caplog.text
    # What waits is chained by the next writer (the minutely schedule in production).
    entry = AuditEntry.objects.get(case_id=case.pk)
    assert entry.chain_position is None
    monkeypatch.undo()
    writer.run_once()
    entry.refresh_from_db()
    assert entry.chain_position is not None and audit_verify_chain() is None
