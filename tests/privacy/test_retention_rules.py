"""Deletion rules of the inventory that no other test shows (privacy/catalogue.py RETENTION)."""

from __future__ import annotations

from typing import Any

import pytest

from reporting.models import Case
from reporting.services import case_set_status
from reporting.taxonomy import CLOSED_STATUSES, CaseStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", sorted(CLOSED_STATUSES))
def test_closing_a_case_deletes_the_notice_address(fallback_org: Any, submit: Any, status: str) -> None:
    case = submit(notify_email="someone@example.org").case
    assert Case.objects.get(pk=case.pk).notify_ciphertext

    case_set_status(actor=None, case=case, status=status)

    assert Case.objects.get(pk=case.pk).notify_ciphertext is None
    case_set_status(actor=None, case=case, status=CaseStatus.IN_PROGRESS)  # reopening brings nothing back
    assert Case.objects.get(pk=case.pk).notify_ciphertext is None
