"""Reports sealed in the reporter's browser (SPEC §3.10, issue 17): routing before sealing, the
sealed submission, and the counsellor reading it like any case.

`browser_seal` is the Python reference of static_src/seal.js: it does with reporting.crypto
exactly what the browser does with WebCrypto and @hpke (case key, internal key, padded report,
HPKE seals bound to the binding, receipt code, look-up token, reporter wrap).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from counselling.services import member_unlock
from reporting import crypto, snapshot
from reporting.audit import AuditAction, audit_verify_chain
from reporting.models import AuditEntry, Case, CaseGrant, Organisation
from reporting.services import (
    RotationReason,
    ServiceError,
    browser_seals_check,
    case_keys_for_organisation,
    organisation_key_rotate,
    report_decrypt,
    reporter_open,
)
from tests.helpers import (
    BIND,
    PASSWORD,
    SEALED,
    assert_error,
    bind,
    browser_seal,
    logged_in,
    post_json,
)
from tests.helpers import (
    MARKER_SEALED as MARKER,
)

pytestmark = pytest.mark.django_db

def test_bind_takes_codes_and_offers_the_routed_organisations_current_key(client: Any, make_org: Any) -> None:
    org = make_org("hannover", statewide=False, districts=["03241"])
    make_org("landesstelle", is_fallback=True)
    response = bind(client)
    assert response.status_code == 200, response.content
    offer = response.json()
    assert offer["organisation"] == "hannover"
    key = org.organisation.keys.filter(active=True).get()
    assert offer["key_version"] == key.version
    assert base64.b64decode(offer["public_key"]) == bytes(key.public_key)
    assert len(base64.b64decode(offer["public_key"])) == crypto.ORG_PUBLIC_KEY_BYTES
    assert offer["binding"].startswith("S-") and offer["expires_in"] > 0
    assert Case.objects.count() == 0  # nothing is stored, not even a number


def test_bind_refuses_unknown_codes_in_the_reporters_language(client: Any, fallback_org: Any) -> None:
    error = assert_error(
        post_json(client, BIND, {"district": "99999", "motives": ["nope"], "language": "xx"},
                  HTTP_ACCEPT_LANGUAGE="de"), 400, "invalid")
    assert set(error["fields"]) == {"district", "motives", "language"}
    assert "Bitte" in error["message"] or error["message"]  # translated where the catalogue has it
    assert_error(post_json(client, BIND, {"homepage": "http://spam"}), 400, "refused")
    assert_error(post_json(client, BIND, {"form_ts": "forged"}), 400, "refused")
    assert_error(post_json(client, BIND, ["not", "an", "object"]), 400, "malformed")
    assert_error(post_json(client, BIND, {"motives": "racism"}), 400, "invalid")


def test_bind_needs_the_proof_of_work(client: Any, fallback_org: Any, settings: Any) -> None:
    settings.REPORT_POW_DIFFICULTY = 4
    assert_error(bind(client), 400, "pow_required")
    assert_error(bind(client, challenge="x", nonce="1"), 400, "pow_invalid")


def test_a_report_sealed_in_the_browser_is_read_by_the_counsellor_like_any_case(
    storing: str, client: Any, make_org: Any, make_member: Any
) -> None:
    org = make_org("landesstelle", is_fallback=True)
    member = make_member(org, username="berater")
    offer = bind(client).json()
    payload, code = browser_seal(offer)
    response = post_json(client, SEALED, payload)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert response.json() == {"reference": case.reference}
    # stored like any case: numbered, routed, codes in plain, everything else ciphertext
    assert case.reference.startswith("NI-") and case.seal_binding == offer["binding"]
    assert case.organisation_id == org.organisation.pk and case.district == "03241"
    assert case.motives == ["antisemitism"] and case.language == "de" and case.incident_type == "offensive_behaviour"
    assert MARKER.encode() not in bytes(case.report_ciphertext)
    assert AuditEntry.objects.filter(action=AuditAction.CASE_SUBMITTED, case_id=case.pk).exists()

    # the counsellor's services open it unchanged
    private_key = member_unlock(membership=member.membership, password=PASSWORD)
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=private_key)
    assert report_decrypt(case=case, case_key=keys.case_key)["description"].endswith(MARKER)
    # and the case page shows it
    page = logged_in(member).get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200 and MARKER.encode() in page.content

    # the reporter's code opens it on the follow-up path, which never knew the code before
    access = reporter_open(receipt=code.lower())
    assert access is not None and access.case.pk == case.pk and access.case_key == keys.case_key


def test_the_binding_is_single_use(storing: str, client: Any, fallback_org: Any) -> None:
    offer = bind(client).json()
    payload, _code = browser_seal(offer)
    assert post_json(client, SEALED, payload).status_code == 201
    again, _ = browser_seal(offer)
    assert_error(post_json(client, SEALED, again), 409, "binding_used")
    cache.clear()  # the database's unique binding refuses it as well
    assert_error(post_json(client, SEALED, again), 409, "binding_used")
    assert Case.objects.count() == 1


@pytest.mark.parametrize("field,value", [
    ("sealed_case_key", base64.b64encode(b"\x00" * 100).decode()),
    ("sealed_internal_key", "not base64!"),
    ("report", base64.b64encode(b"\x01" + b"\x00" * 40).decode()),
    ("report", base64.b64encode(b"\x01" + b"\x00" * (12 + 1000 + 16)).decode()),  # not a bucket
    ("lookup_token", base64.b64encode(b"\x00" * 31).decode()),
    ("reporter_wrap", base64.b64encode(b"\x02" + b"\x00" * 60).decode()),
    ("incident_type", "nonsense"),
    ("consent", False),
    ("wants_counselling", "perhaps"),
    ("report", 42),
])
def test_a_forged_or_malformed_submission_is_refused_and_nothing_stored(
    client: Any, fallback_org: Any, field: str, value: Any
) -> None:
    payload, _code = browser_seal(bind(client).json())
    payload[field] = value
    response = post_json(client, SEALED, payload, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400, response.content
    assert_error(response, 400)
    assert Case.objects.count() == 0 and CaseGrant.objects.count() == 0


def test_a_forged_or_expired_binding_is_refused(client: Any, fallback_org: Any, monkeypatch: Any) -> None:
    offer = bind(client).json()
    forged = dict(offer, token=offer["token"][:-2] + "xx")
    assert_error(post_json(client, SEALED, browser_seal(forged)[0]), 409, "binding_invalid")
    # a token for a binding of our own making, signed with another key
    other = signing.dumps({"b": "S-0", "o": 1, "v": 1, "d": "unknown", "m": [], "l": "de"}, key="x" * 50,
                          salt="reporting.sealed.binding", compress=True)
    assert_error(post_json(client, SEALED, browser_seal(dict(offer, token=other))[0]), 409, "binding_invalid")
    monkeypatch.setattr("reporting.services.sealed.BINDING_MAX_AGE_SECONDS", -1)
    assert_error(post_json(client, SEALED, browser_seal(offer)[0]), 409, "binding_expired")
    assert Case.objects.count() == 0


def test_a_binding_to_a_retired_key_epoch_is_refused(storing: str, client: Any, make_org: Any) -> None:
    org = make_org("landesstelle", is_fallback=True)
    offer = bind(client).json()
    organisation_key_rotate(actor=None, organisation=org.organisation, org_private_key=org.private_key,
                            reason=RotationReason.ON_DEMAND)
    assert_error(post_json(client, SEALED, browser_seal(offer)[0]), 409, "binding_stale")
    assert Case.objects.count() == 0
    fresh = bind(client).json()
    assert fresh["key_version"] == offer["key_version"] + 1
    assert post_json(client, SEALED, browser_seal(fresh)[0]).status_code == 201


def test_a_binding_paused_or_rotated_by_another_process_is_refused_under_the_hold(
    storing: str, client: Any, make_org: Any,
) -> None:
    """This process's snapshot still offers epoch 1 of an active organisation; the hold under
    which the rows are written reads the database and refuses: nothing is stored."""
    org = make_org("landesstelle", is_fallback=True)
    offer = bind(client).json()
    snapshot.sealing_key(org.organisation)  # what this process verified before the rotation
    stale = dict(snapshot._keys)
    organisation_key_rotate(actor=None, organisation=org.organisation, org_private_key=org.private_key,
                            reason=RotationReason.ON_DEMAND)
    snapshot.organisations()
    snapshot._keys.update(stale)  # as if the rotation happened in another process
    assert snapshot.sealing_key(org.organisation).version == offer["key_version"]
    assert_error(post_json(client, SEALED, browser_seal(offer)[0]), 409, "binding_stale")
    assert Case.objects.count() == 0 and CaseGrant.objects.count() == 0

    offer = bind(client).json()  # the new epoch
    snapshot.organisations()
    Organisation.objects.filter(pk=org.organisation.pk).update(active=False)  # paused elsewhere
    assert_error(post_json(client, SEALED, browser_seal(offer)[0]), 409, "binding_stale")
    assert Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement with its hold is PostgreSQL's")
def test_a_report_sealed_in_the_browser_is_stored_with_its_hold_in_one_statement(
    client: Any, fallback_org: Any, settings: Any,
) -> None:
    settings.AUDIT_CHAIN_AFTER_COMMIT = True
    payload, code = browser_seal(bind(client).json())
    with CaptureQueriesContext(connection) as queries:
        assert post_json(client, SEALED, payload).status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    inserts = [n for n, sql in enumerate(statements) if 'INSERT INTO "reporting_case" ' in sql]
    assert len(inserts) == 1 and "FOR KEY SHARE" in statements[inserts[0]]
    assert 'INSERT INTO "reporting_auditentry"' in statements[inserts[0]]
    # No transaction and no row lock on the organisation before it (the old path locked it).
    assert not any(sql.startswith("BEGIN") or "FOR UPDATE" in sql for sql in statements[: inserts[0]])
    case = Case.objects.get()
    access = reporter_open(receipt=code)
    assert access is not None and access.case.pk == case.pk
    assert AuditEntry.objects.get(case_id=case.pk).chain_position is not None
    assert audit_verify_chain() is None


def _a_wrong_and_an_honest_seal(client: Any, other: Any) -> tuple[Case, Case]:
    """Two reports sealed in the browser: the first to `other`'s key instead of the offered
    one (a faulty or hostile script), the second honestly. Both are stored (the server cannot
    tell); returns their cases in that order."""
    other_key = bytes(other.organisation.keys.get(active=True).public_key)
    wrong, _code = browser_seal(dict(bind(client).json(), public_key=base64.b64encode(other_key).decode()))
    assert post_json(client, SEALED, wrong).status_code == 201
    honest, _code = browser_seal(bind(client).json())
    assert post_json(client, SEALED, honest).status_code == 201
    bad_case, good_case = Case.objects.order_by("pk")
    return bad_case, good_case


def test_a_seal_to_another_organisation_is_flagged_at_the_organisations_first_unlock(
    client: Any, make_org: Any, make_member: Any, caplog: Any,
) -> None:
    """The server cannot open a seal, so it cannot refuse one made to another organisation's
    key: it checks the format and stores it. The receiving organisation's first unlock opens
    every browser-made seal once and flags the one that does not open: audited, logged, listed
    in the inbox, and its case page says so instead of asking for another unlock."""
    org = make_org("landesstelle", is_fallback=True)
    other = make_org("anders", statewide=False)
    member = make_member(org, username="berater")
    colleague = make_member(org, username="kollegin")
    outsider = make_member(other, username="aussen")
    bad_case, good_case = _a_wrong_and_an_honest_seal(client, other)
    assert set(CaseGrant.objects.values_list("seal_check", flat=True)) == {CaseGrant.SealCheck.PENDING}
    with pytest.raises(ServiceError):  # the receiving organisation's key does not open it
        case_keys_for_organisation(case=bad_case, organisation=org.organisation, org_private_key=org.private_key)

    caplog.set_level("ERROR", logger="reporting.services.keys")
    staff = logged_in(member)  # the first unlock
    assert CaseGrant.objects.get(case=bad_case).seal_check == CaseGrant.SealCheck.UNOPENABLE
    assert CaseGrant.objects.get(case=good_case).seal_check == CaseGrant.SealCheck.OPENED
    flagged = AuditEntry.objects.filter(action=AuditAction.CASE_SEAL_UNOPENABLE)
    assert list(flagged.values_list("case_id", "organisation_id")) == [(bad_case.pk, org.organisation.pk)]
    assert [r.getMessage() for r in caplog.records if "nobody can read it" in r.getMessage()] == [
        f"Case {bad_case.pk} was sealed in a browser but its key does not open with the key of organisation "
        f"{org.organisation.pk} (version 1): nobody can read it."
    ]
    assert MARKER not in caplog.text

    inbox = staff.get("/staff/").content.decode()
    assert "data-unopenable" in inbox and bad_case.reference in inbox
    assert good_case.reference not in inbox.split("data-unopenable", 1)[1].split("</div>\n</div>", 1)[0]
    page = staff.get(f"/staff/cases/{bad_case.pk}/")
    assert page.status_code == 409 and b"Nobody can open it" in page.content  # no unlock loop
    assert staff.get(f"/staff/cases/{good_case.pk}/").status_code == 200
    # the colleague's unlock finds nothing new to report; the outsider sees neither
    logged_in(colleague)
    assert flagged.count() == 1
    assert "data-unopenable" not in logged_in(outsider).get("/staff/").content.decode()
    assert logged_in(outsider).get(f"/staff/cases/{bad_case.pk}/").status_code == 404


def test_the_staff_api_lists_an_unopenable_seal_and_answers_its_case_with_409(
    client: Any, make_org: Any, make_member: Any,
) -> None:
    """What the inbox and the case page say, the staff API says too: the list flags the case,
    and reading it is a 409 with its own code, not an invitation to unlock again."""
    org = make_org("landesstelle", is_fallback=True)
    other = make_org("anders", statewide=False)
    member = make_member(org, username="berater")
    bad_case, good_case = _a_wrong_and_an_honest_seal(client, other)
    api = logged_in(member, api=True)  # the first unlock flags the seal that does not open
    listed = {row["reference"]: row["unopenable"] for row in api.get("/api/v1/cases/").json()["results"]}
    assert listed == {bad_case.reference: True, good_case.reference: False}
    refused = api.get(f"/api/v1/cases/{bad_case.pk}/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "seal_unopenable"
    assert api.get(f"/api/v1/cases/{good_case.pk}/").status_code == 200
    # An action on the case from a page: the same answer as a page, not a loop through unlocking.
    staff = logged_in(member)
    note = staff.post(f"/staff/cases/{bad_case.pk}/notes/", {"body": "Anruf"})
    assert note.status_code == 409 and b"Nobody can open it" in note.content


def test_a_rotation_flags_a_browser_seal_that_does_not_open_before_the_old_key_is_gone(
    client: Any, make_org: Any,
) -> None:
    org = make_org("landesstelle", is_fallback=True)
    other = make_org("anders", statewide=False)
    bad_case, good_case = _a_wrong_and_an_honest_seal(client, other)
    rotated = organisation_key_rotate(actor=None, organisation=org.organisation, org_private_key=org.private_key,
                                      reason=RotationReason.ON_DEMAND)
    assert CaseGrant.objects.get(case=bad_case).seal_check == CaseGrant.SealCheck.UNOPENABLE
    assert AuditEntry.objects.filter(action=AuditAction.CASE_SEAL_UNOPENABLE, case_id=bad_case.pk).count() == 1
    good = CaseGrant.objects.get(case=good_case)
    assert good.seal_check == CaseGrant.SealCheck.OPENED and good.key_version == rotated.key.version
    case_keys_for_organisation(case=good_case, organisation=org.organisation, org_private_key=rotated.private_key)
    assert browser_seals_check(organisation=org.organisation, org_private_key=rotated.private_key, actor=None) == []
