"""Fewer traces at rest (SPEC §4.4, issue 13, review F-19).

A stolen database should not tell when to the minute a reporter sent, wrote, added a file or
read a reply (a proxy, ISP or Tor guard log could be matched against it), nor how long the
description or a message is. Reporter-caused times are stored to the hour and ordered by id;
reports and messages are padded inside the plaintext to size buckets before encryption.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from reporting import crypto
from reporting.audit import AuditAction, audit_verify_chain
from reporting.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseGrant,
    Incident,
    Message,
    Organisation,
)
from reporting.selectors import reporter_case_view
from reporting.services import (
    case_binding,
    case_keys_for_organisation,
    message_post,
    message_text,
    report_decrypt,
    reporter_open,
)
from reporting.services.common import PURPOSE_MESSAGE, PURPOSE_REPORT
from reporting.traces import MIN_BUCKET, bucket_size, pad, unpad
from tests.helpers import make_jpeg, receipt_of

pytestmark = pytest.mark.django_db

# A moment with minutes, seconds and microseconds, in the past.
SENT = datetime(2026, 5, 4, 12, 37, 21, 123456, tzinfo=UTC)


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    """The clock the services read (`django.utils.timezone.now`)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def datetimes(instance: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, datetime]:
    return {
        field.name: getattr(instance, field.name)
        for field in instance._meta.get_fields()
        if isinstance(field, models.DateTimeField) and field.name not in skip and getattr(instance, field.name)
    }


def assert_on_the_hour(values: dict[str, datetime], what: str) -> None:
    assert values, f"{what}: no times to check"
    for name, value in values.items():
        assert (value.minute, value.second, value.microsecond) == (0, 0, 0), f"{what}.{name} = {value}"


def test_reporter_caused_times_carry_no_minutes_at_rest(
    client: Any, fallback_org: Any, form_data: Any, make_member: Any
) -> None:
    with clock(SENT):
        photo = SimpleUploadedFile("photo.jpg", make_jpeg(), "image/jpeg")
        receipt = receipt_of(client.post("/en/report/", form_data(files=[photo])))
    case = Case.objects.get()
    access = reporter_open(receipt=receipt)
    assert access is not None
    staff = make_member(fallback_org).membership.user
    keys = case_keys_for_organisation(case=case, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    with clock(SENT + timedelta(minutes=5)):
        staff_message = message_post(case=case, case_key=keys.case_key, body="We read it.", actor=staff)
    with clock(SENT + timedelta(minutes=9, seconds=7)):
        # The reporter reads the reply (read_at), answers and adds a file.
        assert client.post("/en/followup/", {"receipt": receipt}).status_code == 200
        assert client.post("/en/followup/reply/", {"receipt": receipt, "body": "Thank you."}).status_code == 303
        more = SimpleUploadedFile("more.jpg", make_jpeg(), "image/jpeg")
        assert client.post("/en/followup/files/", {"receipt": receipt, "files": [more]}).status_code == 303

    case.refresh_from_db()
    assert_on_the_hour(datetimes(case, skip=("first_reply_at",)), "case")  # the first reply is staff's
    assert_on_the_hour(datetimes(case.incident), "incident")
    for grant in CaseGrant.objects.filter(case=case):
        assert_on_the_hour(datetimes(grant), "grant")
    attachments = list(Attachment.objects.filter(case=case))
    assert len(attachments) == 2
    for attachment in attachments:
        assert_on_the_hour(datetimes(attachment), "attachment")
    reporter_message = Message.objects.get(case=case, direction=Message.Direction.FROM_REPORTER)
    assert_on_the_hour(datetimes(reporter_message, skip=("read_at",)), "reporter message")
    staff_message.refresh_from_db()
    assert_on_the_hour({"read_at": staff_message.read_at}, "staff message (read by the reporter)")
    organisation = Organisation.objects.get(pk=fallback_org.organisation.pk)
    assert_on_the_hour({"last_received_at": organisation.last_received_at}, "organisation")
    reporter_entries = AuditEntry.objects.filter(case_id=case.pk, actor_id=None)
    assert {entry.action for entry in reporter_entries} >= {
        AuditAction.CASE_SUBMITTED, AuditAction.MESSAGE_FROM_REPORTER, AuditAction.ATTACHMENT_ADDED,
    }
    for entry in reporter_entries:
        assert_on_the_hour({"created_at": entry.created_at}, entry.action)
    assert audit_verify_chain() is None
    # The day received is still exact, and the staff's own times are untouched.
    assert case.received_on == SENT.date()
    assert staff_message.created_at == SENT + timedelta(minutes=5)

    # Order is by id: the reporter's answer (12:46, stored as 12:00) after the staff's message
    # of 12:42, on the reporter's page as in the case file.
    view = reporter_case_view(reporter_open(receipt=receipt))  # type: ignore[arg-type]
    assert [m.from_reporter for m in view.messages] == [False, True]
    assert [m.pk for m in Message.objects.filter(case=case)] == sorted(m.pk for m in Message.objects.filter(case=case))


def test_cases_of_one_hour_are_still_routed_in_turn(make_org: Any, submit: Any) -> None:
    """Least recently received first: within an hour the case id decides, not the org id."""
    first, second = make_org("erste"), make_org("zweite")
    with clock(SENT):
        routed = [submit().case.organisation_id for _ in range(4)]
    assert routed[0] != routed[1] and routed[:2] == routed[2:]
    assert set(routed) == {first.organisation.pk, second.organisation.pk}
    assert Incident.objects.count() == 4


# --------------------------------------------------------------------------------------------
# Size buckets


def test_two_descriptions_of_different_length_in_one_bucket_give_equal_ciphertexts(submit: Any, fallback_org: Any) -> None:
    short = submit(description="x" * 10).case
    longer = submit(description="x" * 600).case
    assert len(bytes(short.report_ciphertext)) == len(bytes(longer.report_ciphertext))
    # The next bucket is visibly larger: the length says the bucket, nothing finer.
    long = submit(description="x" * 3000).case
    assert len(bytes(long.report_ciphertext)) > len(bytes(longer.report_ciphertext))
    assert report_decrypt(case=longer, case_key=_key(fallback_org, longer))["description"] == "x" * 600


def _key(org: Any, case: Case) -> bytes:
    return case_keys_for_organisation(case=case, organisation=org.organisation, org_private_key=org.private_key).case_key


def test_messages_of_different_length_in_one_bucket_give_equal_ciphertexts(submit: Any, fallback_org: Any) -> None:
    case = submit().case
    key = _key(fallback_org, case)
    short = message_post(case=case, case_key=key, body="ok", actor=None)
    longer = message_post(case=case, case_key=key, body="a much longer message " * 20, actor=None)
    assert len(bytes(short.body_ciphertext)) == len(bytes(longer.body_ciphertext))
    assert message_text(message=longer, case_key=key) == "a much longer message " * 20
    assert message_text(message=short, case_key=key) == "ok"


def test_ciphertexts_written_before_padding_stay_readable(submit: Any, fallback_org: Any) -> None:
    case = submit().case
    key = _key(fallback_org, case)
    old_report = {"description": "written before padding", "motives": []}
    Case.objects.filter(pk=case.pk).update(report_ciphertext=crypto.encrypt(
        key, json.dumps(old_report).encode(), case_id=case_binding(case), purpose=PURPOSE_REPORT,
    ))
    case.refresh_from_db()
    assert report_decrypt(case=case, case_key=key) == old_report
    message = message_post(case=case, case_key=key, body="new", actor=None)
    Message.objects.filter(pk=message.pk).update(body_ciphertext=crypto.encrypt(
        key, b"an old message", case_id=case_binding(case), purpose=f"{PURPOSE_MESSAGE}:{message.pk}",
    ))
    message.refresh_from_db()
    assert message_text(message=message, case_key=key) == "an old message"


@pytest.mark.parametrize("length", [0, 1, MIN_BUCKET - 10, MIN_BUCKET, 5000, 80_000])
def test_padding_round_trips_and_fills_its_bucket(length: int) -> None:
    plaintext = bytes(range(256)) * (length // 256) + b"z" * (length % 256)
    padded = pad(plaintext)
    assert len(padded) == bucket_size(length) and len(padded) & (len(padded) - 1) == 0
    assert unpad(padded) == plaintext


def test_a_damaged_padding_header_is_an_error_not_a_shorter_text() -> None:
    padded = bytearray(pad(b"hello"))
    padded[5:9] = (10_000).to_bytes(4, "big")
    with pytest.raises(ValueError):
        unpad(bytes(padded))
