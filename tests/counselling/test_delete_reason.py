"""Deletion reasons are codes from a fixed list, never free text (SPEC §3.9, review F-12).

A counsellor who types case details as the reason, through the staff page or the staff API,
is refused; after a deletion with a proper code, what they typed is nowhere at rest: not in
any table (the audit log included), the sessions, the cache, the mail or the logs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from reporting.audit import AuditAction
from reporting.models import AuditEntry, Case
from reporting.services import ServiceError, case_shred
from reporting.taxonomy import SYSTEM_DELETE_REASONS, DeleteReason
from tests.canary import scan_cache, scan_database, scan_mail, scan_text
from tests.helpers import PASSWORD, logged_in, totp_code

pytestmark = pytest.mark.django_db

QUIET_LOGGERS = ("django.request", "django.server", "django.security.DisallowedHost", "django_q")


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG on the root logger and on the loggers that do not propagate."""
    caplog.set_level(logging.DEBUG)
    saved = []
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        for logger, level in saved:
            logger.removeHandler(caplog.handler)
            logger.setLevel(level)


def api_client(member: Any) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    user = member.membership.user
    response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                   "otp": totp_code(user)}, content_type="application/json")
    assert response.status_code == 200, response.content
    client.csrf = response.json()["csrf_token"]  # type: ignore[attr-defined]
    return client


def api_post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json", HTTP_X_CSRFTOKEN=getattr(client, "csrf", ""))


def test_the_reasons_are_the_fixed_list() -> None:
    assert set(DeleteReason.values) >= {"duplicate", "spam", "person_asked", "other"}
    assert set(SYSTEM_DELETE_REASONS) == {"retention", "reporter"}


def test_free_text_deletion_reason_is_refused_and_nowhere_at_rest(
    fallback_org: Any, make_member: Any, submit: Any, every_log: pytest.LogCaptureFixture,
) -> None:
    canary = f"CANARY-REASON-{uuid.uuid4().hex[:10].upper()}"
    typed = f"Opfer Frau M. aus Celle, Übergriff am Bahnhof {canary}"
    owner = make_member(fallback_org, username="owner")
    by_page, by_api = submit().case, submit().case
    page, api = logged_in(owner), api_client(owner)
    page_url, api_url = f"/staff/cases/{by_page.pk}/delete/", f"/api/v1/cases/{by_api.pk}/delete/"

    # Refused, with the reason alone or beside a valid one, and nothing is deleted.
    for data in ({"reason": typed, "confirm": "on"}, {"reason": canary, "confirm": "on"},
                 {"reason": ["spam", typed], "confirm": "on"}):
        assert page.post(page_url, data).status_code == 400
    for payload in ({"reason": typed, "confirm": True}, {"reason": canary, "confirm": True},
                    {"reason": [typed], "confirm": True}, {"reason": {"other": typed}, "confirm": True}):
        response = api_post(api, api_url, payload)
        assert response.status_code == 400
        assert "reason" in response.json()["error"]["fields"]
    with pytest.raises(ServiceError):
        case_shred(actor=owner.membership.user, case=by_page, reason=typed)
    assert Case.objects.filter(pk__in=[by_page.pk, by_api.pk]).count() == 2
    assert not AuditEntry.objects.filter(action=AuditAction.CASE_SHREDDED).exists()

    # With a code from the list the case goes; what was typed beside it is not kept.
    response = page.post(page_url, {"reason": "duplicate", "confirm": "on", "note": typed})
    assert response.status_code == 302
    assert api_post(api, api_url, {"reason": "other", "confirm": True, "text": typed}).status_code == 204
    assert not Case.objects.filter(pk__in=[by_page.pk, by_api.pk]).exists()
    shredded = AuditEntry.objects.filter(action=AuditAction.CASE_SHREDDED)
    assert sorted(entry.data["reason"] for entry in shredded) == ["duplicate", "other"]

    markers = [canary, "Frau M. aus Celle"]
    assert scan_database(markers) == []
    sessions = "\n".join(repr(session.get_decoded()) for session in Session.objects.all())
    assert scan_text(sessions, markers) == []
    assert scan_cache(markers) == []
    assert scan_mail(markers) == [] and all(canary not in message.body for message in mail.outbox)
    assert every_log.records, "the log capture must have seen the requests"
    assert scan_text(every_log.text, markers) == []
    assert scan_text(repr([record.getMessage() for record in every_log.records]), markers) == []
    # The scanner is not blind: the shred's audit entry does hold the (non-secret) reference.
    assert scan_database([by_page.reference]) != []
