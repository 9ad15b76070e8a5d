"""Canary at rest (SPEC §9): a case whose every encrypted field holds a unique marker leaves
the marker nowhere in the database or media storage."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from reporting.services import (
    FileInput,
    attachment_add,
    case_keys_for_organisation,
    message_post,
    note_add,
    reporter_open,
)
from tests.canary import scan_database, scan_media

pytestmark = pytest.mark.django_db


def test_markers_appear_nowhere_at_rest(fallback_org: Any, make_member: Any, submit: Any) -> None:
    tag = uuid.uuid4().hex[:12]
    marker = {name: f"CANARY{name.upper()}{tag}" for name in (
        "description", "place", "email", "phone", "notify", "filename", "filebody", "message", "reply",
        "note", "file2",
    )}
    result = submit(
        description=f"It happened: {marker['description']}",
        place_details=marker["place"],
        occurred_on=date(2026, 3, 4),
        contact_method="email",
        contact_email=f"{marker['email']}@example.org",
        contact_phone=marker["phone"],
        notify_email=f"{marker['notify']}@example.org",
        files=(FileInput(name=f"{marker['filename']}.png", content=marker["filebody"].encode() * 50,
                         content_type="image/png"),),
    )
    access = reporter_open(receipt=result.receipt_code)
    assert access is not None
    message_post(case=access.case, case_key=access.case_key, body=marker["message"], actor=None)
    attachment_add(case=access.case, case_key=access.case_key, actor=None,
                   item=FileInput(name="x.pdf", content=marker["file2"].encode(), content_type="application/pdf"))
    staff = make_member(fallback_org).membership.user
    keys = case_keys_for_organisation(case=access.case, organisation=fallback_org.organisation,
                                      org_private_key=fallback_org.private_key)
    message_post(case=access.case, case_key=keys.case_key, body=marker["reply"], actor=staff)
    note_add(case=access.case, internal_key=keys.internal_key, body=marker["note"], actor=staff)

    everything = [*marker.values(), result.receipt_code, result.receipt_code.replace("-", ""), "2026-03-04"]
    assert scan_database(everything) == []
    assert scan_media(everything) == []
    # The scanner itself finds plaintext where it is (the reference is stored in the clear).
    assert scan_database([result.case.reference]) != []
