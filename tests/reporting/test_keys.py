"""Key operations of SPEC §3: grant, revoke, transfer, rotate, shred, reset, recovery."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage

from counselling.keys import org_key_rotate
from counselling.models import Membership
from counselling.services import (
    member_change_password,
    member_grant,
    member_reset_password,
    member_revoke,
    member_unlock,
)
from reporting import crypto
from reporting.models import Attachment, Case, CaseGrant, Message
from reporting.services import (
    FileInput,
    RotationReason,
    ServiceError,
    case_keys_for_organisation,
    case_shred,
    case_transfer,
    message_post,
    message_text,
    organisation_private_key_from_recovery,
    report_decrypt,
    reporter_open,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def _read_as(org: Any, private_key: bytes, case: Case) -> dict[str, Any]:
    keys = case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=private_key)
    return report_decrypt(case=case, case_key=keys.case_key)


def test_submitted_case_opens_for_its_organisation_and_the_receipt(fallback_org: Any, submit: Any) -> None:
    result = submit(description="marker text")
    assert _read_as(fallback_org, fallback_org.private_key, result.case)["description"] == "marker text"
    access = reporter_open(receipt=result.receipt_code.lower())
    assert access is not None and access.case.pk == result.case.pk
    assert report_decrypt(case=access.case, case_key=access.case_key)["description"] == "marker text"


def test_another_organisation_cannot_open_the_case(fallback_org: Any, make_org: Any, submit: Any) -> None:
    other = make_org("other", statewide=False, districts=["03101"])
    case = submit().case
    with pytest.raises(ServiceError):
        case_keys_for_organisation(case=case, organisation=other.organisation, org_private_key=other.private_key)
    # Even with another key pointed at this organisation's grant, nothing opens.
    with pytest.raises(ServiceError):
        case_keys_for_organisation(case=case, organisation=fallback_org.organisation, org_private_key=other.private_key)


def test_wrong_receipt_opens_nothing(fallback_org: Any, submit: Any) -> None:
    submit()
    assert reporter_open(receipt=crypto.new_receipt_code()) is None
    assert reporter_open(receipt="not a code") is None


def test_transfer_reseals_and_revokes_the_old_grant(fallback_org: Any, make_org: Any, make_member: Any, submit: Any) -> None:
    other = make_org("other")
    actor = make_member(fallback_org).membership.user
    case = submit(description="transfer me").case
    case_transfer(actor=actor, case=case, to_organisation=other.organisation, org_private_key=fallback_org.private_key)
    case.refresh_from_db()
    assert case.organisation == other.organisation
    assert _read_as(other, other.private_key, case)["description"] == "transfer me"
    with pytest.raises(ServiceError):
        _read_as(fallback_org, fallback_org.private_key, case)


def test_transfer_with_keep_copy_leaves_both_grants(fallback_org: Any, make_org: Any, make_member: Any, submit: Any) -> None:
    other = make_org("other")
    actor = make_member(fallback_org).membership.user
    case = submit(description="both").case
    case_transfer(actor=actor, case=case, to_organisation=other.organisation, org_private_key=fallback_org.private_key,
                  keep_copy=True)
    assert _read_as(other, other.private_key, case)["description"] == "both"
    assert _read_as(fallback_org, fallback_org.private_key, case)["description"] == "both"


def test_rotation_reseals_every_grant_and_members_keep_access(fallback_org: Any, make_member: Any, submit: Any) -> None:
    member = make_member(fallback_org).membership
    cases = [submit(description=f"case {i}").case for i in range(3)]
    result = org_key_rotate(actor=None, organisation=fallback_org.organisation,
                            org_private_key=fallback_org.private_key, reason=RotationReason.ON_DEMAND)
    rotated = result.rotated
    assert rotated.resealed_grants == 3 and result.regranted == [member.pk]
    assert set(CaseGrant.objects.values_list("key_version", flat=True)) == {2}
    for index, case in enumerate(cases):
        assert _read_as(fallback_org, rotated.private_key, case)["description"] == f"case {index}"
        with pytest.raises(ServiceError):
            _read_as(fallback_org, fallback_org.private_key, case)
    # The rotation re-granted the member: the new key opens at their next unlock.
    member.refresh_from_db()
    assert member_unlock(membership=member, password=PASSWORD) == rotated.private_key


def test_rotation_refuses_a_key_that_is_not_the_current_one(fallback_org: Any, make_org: Any) -> None:
    with pytest.raises(ServiceError) as refused:
        org_key_rotate(actor=None, organisation=fallback_org.organisation,
                       org_private_key=make_org("other").private_key, reason=RotationReason.ON_DEMAND)
    assert refused.value.code == "stale_key"
    org_key_rotate(actor=None, organisation=fallback_org.organisation,
                   org_private_key=fallback_org.private_key, reason=RotationReason.ON_DEMAND)
    # The first epoch's key is stale now.
    with pytest.raises(ServiceError) as refused:
        org_key_rotate(actor=None, organisation=fallback_org.organisation,
                       org_private_key=fallback_org.private_key, reason=RotationReason.ON_DEMAND)
    assert refused.value.code == "stale_key"


def test_recovery_code_restores_the_private_key(fallback_org: Any) -> None:
    restored = organisation_private_key_from_recovery(
        organisation=fallback_org.organisation, recovery_code=fallback_org.recovery_code
    )
    assert restored == fallback_org.private_key


def test_member_unlocks_with_password_only(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org).membership
    assert member_unlock(membership=member, password=PASSWORD) == fallback_org.private_key
    with pytest.raises(ServiceError):
        member_unlock(membership=member, password="wrong password!")


def test_grant_reaches_a_member_created_without_key(fallback_org: Any, make_member: Any) -> None:
    admin = make_member(fallback_org, role=Membership.Role.PARTNER_ADMIN).membership
    newcomer = make_member(fallback_org, with_key=False).membership
    with pytest.raises(ServiceError):
        member_unlock(membership=newcomer, password=PASSWORD)
    granter_key = member_unlock(membership=admin, password=PASSWORD)
    member_grant(actor=admin.user, membership=newcomer, org_private_key=granter_key)
    newcomer.refresh_from_db()
    assert member_unlock(membership=newcomer, password=PASSWORD) == fallback_org.private_key
    newcomer.refresh_from_db()
    assert newcomer.pending_org_key is None and newcomer.wrapped_org_key  # converted to a normal wrap
    assert member_unlock(membership=newcomer, password=PASSWORD) == fallback_org.private_key


def test_revoked_member_reads_nothing(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org).membership
    member_revoke(actor=None, membership=member)
    with pytest.raises(ServiceError):
        member_unlock(membership=member, password=PASSWORD)


def test_password_reset_by_someone_else_loses_access_until_granted(fallback_org: Any, make_member: Any) -> None:
    admin = make_member(fallback_org, role=Membership.Role.PARTNER_ADMIN).membership
    member = make_member(fallback_org).membership
    member_reset_password(actor=admin.user, membership=member, new_password="a brand new password")
    with pytest.raises(ServiceError):
        member_unlock(membership=member, password="a brand new password")
    with pytest.raises(ServiceError):
        member_unlock(membership=member, password=PASSWORD)
    member_grant(actor=admin.user, membership=member, org_private_key=member_unlock(membership=admin, password=PASSWORD))
    member.refresh_from_db()
    assert member_unlock(membership=member, password="a brand new password") == fallback_org.private_key


def test_own_password_change_keeps_access(fallback_org: Any, make_member: Any) -> None:
    member = make_member(fallback_org).membership
    member_change_password(membership=member, old_password=PASSWORD, new_password="another long password")
    member.refresh_from_db()
    assert member_unlock(membership=member, password="another long password") == fallback_org.private_key
    with pytest.raises(ServiceError):
        member_unlock(membership=member, password=PASSWORD)


def test_shredding_leaves_nothing_that_decrypts(
    fallback_org: Any, make_member: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    actor = make_member(fallback_org).membership.user
    result = submit(description="shred me", files=(FileInput(name="a.png", content=b"\x89PNG data", content_type="image/png"),))
    case = result.case
    keys = case_keys_for_organisation(case=case, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    message = message_post(case=case, case_key=keys.case_key, body="hello", actor=actor)
    assert message_text(message=message, case_key=keys.case_key) == "hello"
    blob_name = Attachment.objects.get(case=case).blob.name
    assert default_storage.exists(blob_name)
    with django_capture_on_commit_callbacks(execute=True):
        case_shred(actor=actor, case=case, reason="person_asked")
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not CaseGrant.objects.filter(case_id=case.pk).exists()
    assert not Message.objects.filter(case_id=case.pk).exists()
    assert not Attachment.objects.filter(case_id=case.pk).exists()
    assert not default_storage.exists(blob_name)
    assert reporter_open(receipt=result.receipt_code) is None
