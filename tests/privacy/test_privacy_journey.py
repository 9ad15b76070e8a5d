"""The inventory against the canary journey (issue 18; the journey is tests/canary.py's).

- Every field declared ciphertext holds ciphertext: no marker of the journey in plaintext, a
  value where the canary case should have one, and bytes that do not compress like text.
- Everything the journey leaves outside the model columns is declared: each session entry,
  cache key, queued task (with ids only) and cookie; and timestamps declared coarser than the
  microsecond are stored that coarsely.
"""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django_q.models import Task

from privacy import registry
from privacy.inventory import Granularity, Kind
from privacy.stores import CACHE, COOKIES, QUEUE, SESSION
from reporting import abuse
from reporting.views import followup_resume_store
from tests.canary import Journey, journey_deletion, journey_until_deletion, markers_in

pytestmark = pytest.mark.django_db

# Ciphertext columns the journey leaves empty, and why.
MAY_BE_EMPTY = {
    "reporting.Case.notify_ciphertext": "deleted when the case closes (the journey closes it with an outcome)",
    "counselling.Membership.pending_org_key": "only between an admin's grant and the member's next login",
    "reporting.OrganisationKey.wrapped_by_recovery": "only keys from before key epochs, until the recovery code is entered once",
}


def _stored_bytes(model: type[models.Model], name: str, rows: models.QuerySet[Any]) -> list[bytes]:
    """The stored values of one column (a file column: the file's bytes in media storage)."""
    column = model._meta.get_field(name)
    values = []
    for value in rows.values_list(name, flat=True):
        if value in (None, b"", ""):
            values.append(b"")
        elif isinstance(column, models.FileField):
            with default_storage.open(value) as handle:
                values.append(handle.read())
        else:
            values.append(bytes(value))
    return values


def _ciphertexts(case_id: int | None) -> dict[str, list[bytes]]:
    """Every value of every declared ciphertext: columns (for models of a case, the canary case's
    rows), and session entries."""
    found: dict[str, list[bytes]] = {}
    for item in registry.resolved():
        if item.field.kind is not Kind.CIPHERTEXT:
            continue
        if item.section == "model":
            model = apps.get_model(item.owner)
            rows = model._default_manager.all()
            if case_id is not None and model._meta.label == "reporting.Case":
                rows = rows.filter(pk=case_id)
            elif case_id is not None and any(f.name == "case" for f in model._meta.fields):
                rows = rows.filter(case_id=case_id)
            found[item.label] = _stored_bytes(model, item.name, rows)
        elif item.section == "session":
            # Kept as base64 text in the session; the marker check reads both forms, the
            # compression check the bytes (base64 of random bytes compresses by a quarter).
            found[item.label] = [
                base64.b64decode(decoded[item.name]) for session in Session.objects.all()
                if item.name in (decoded := session.get_decoded())
            ]
            found[f"{item.label} (as stored)"] = [
                str(decoded[item.name]).encode() for session in Session.objects.all()
                if item.name in (decoded := session.get_decoded())
            ]
    return found


def _looks_like_text(value: bytes) -> bool:
    """AES-GCM output does not compress; text, JSON and pickles do."""
    return len(value) >= 64 and len(zlib.compress(value, 9)) < 0.95 * len(value)


def test_declared_ciphertext_fields_never_hold_a_canary_in_plaintext(
    make_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    journey = journey_until_deletion(make_org, make_member, django_capture_on_commit_callbacks)
    values = _ciphertexts(journey.case_id)
    assert "reporting.Case.report_ciphertext" in values and "session:org_unlock" in values

    for label, stored in values.items():
        assert [m for value in stored for m in markers_in(value, journey.markers)] == [], label
        if not label.endswith("(as stored)"):
            assert [value[:40] for value in stored if _looks_like_text(value)] == [], f"{label} compresses like text"
        if label in MAY_BE_EMPTY:
            continue
        # Every row of the canary case (or, for keys, at least one row) holds a ciphertext.
        assert stored and all(stored), f"{label} is empty after the journey: is it still written?"

    journey_deletion(journey, django_capture_on_commit_callbacks)
    for label, stored in _ciphertexts(None).items():
        assert [m for value in stored for m in markers_in(value, journey.markers)] == [], label


def _undeclared_session_entries() -> set[str]:
    return {key for session in Session.objects.all() for key in session.get_decoded()} - set(SESSION)


def _cache_keys() -> list[str]:
    store = getattr(cache, "_cache", None)
    assert isinstance(store, dict), "the test settings use the local-memory cache"
    return [re.sub(r"^[^:]*:\d+:", "", key) for key in store]  # Django's prefix and version


# Written only while a task cluster runs (its status), never by a request; and the vacuum's
# marker, which lives only until its queued task starts (at once in the tests' sync queue).
CLUSTER_ONLY = {r"django_q:[^:]+:cluster(?::.*)?", r"reporting:vacuum-pending:[0-9a-f]{64}"}


def _unmet_cache_patterns(keys: list[str]) -> set[str]:
    return {p for p in CACHE if not any(re.fullmatch(p, key) for key in keys)} - CLUSTER_ONLY


def _what_the_journey_does_not_do(journey: Journey, settings: Any) -> None:
    """A wrong receipt code, a failed staff login, a report sealed in the browser, a used
    proof-of-work challenge and a redirect after sending that was not followed: the rest of what
    the cache holds."""
    response = journey.reporter.post("/api/v1/followup/", {"receipt": "0000-0000-0000-0000"},
                                     content_type="application/json")
    assert response.status_code == 404
    response = journey.staff[0].post("/api/v1/auth/login/", {"username": "counsellor", "password": "wrong",
                                                             "otp": "000000"}, content_type="application/json")
    assert response.status_code in (400, 401, 403)
    # A report sealed in the browser (SPEC §3.10): its binding is marked used in the cache.
    from tests.helpers import bind, browser_seal

    offer = bind(journey.reporter).json()
    response = journey.reporter.post("/api/v1/reports/sealed/", browser_seal(offer)[0], content_type="application/json")
    assert response.status_code == 201, response.content
    settings.REPORT_POW_DIFFICULTY = 1
    assert abuse.pow_consume(abuse.challenge_issue())
    # A message sent on the follow-up page whose redirect was never followed: the code waits,
    # encrypted, in the cache (the journey's own reporter followed its redirect at once).
    followup_resume_store(journey.code, "reply")


def _undeclared_tasks() -> list[str]:
    problems = []
    tasks = list(Task.objects.all())
    assert tasks, "the journey queues its notices"
    for task in tasks:
        declared = QUEUE.get(task.func)
        if declared is None:
            problems.append(f"{task.func} is not declared")
            continue
        args, kwargs = tuple(task.args or ()), dict(task.kwargs or {})
        if len(args) + len(kwargs) > len(declared.params) or set(kwargs) - set(declared.params):
            problems.append(f"{task.func}: parameters {args!r} {sorted(kwargs)} beyond {declared.params}")
        # A list is allowed only of the project's table names (the vacuum after a shred).
        tables = {model._meta.db_table for model in apps.get_models()}
        args = tuple(None if isinstance(value, list) and set(value) <= tables else value for value in args)
        if not all(isinstance(value, int | bool | str | None) for value in (*args, *kwargs.values())):
            problems.append(f"{task.func}: a parameter that is not an id or a flag")
        if any(isinstance(value, str) and not re.fullmatch(r"[0-9a-f]{32}", value) for value in (*args, *kwargs.values())):
            problems.append(f"{task.func}: a text parameter that is not a random id")
    return problems


def _undeclared_cookies(journey: Journey) -> set[str]:
    names = {name for client in (journey.reporter, *journey.staff) for name in client.cookies}
    assert "csrftoken" in names and "ms_unlock" in names
    return names - set(COOKIES)


def _coarser_than_declared() -> list[str]:
    """DateTime columns declared coarser than the microsecond must be stored that coarsely."""
    checks = {
        Granularity.SECOND: lambda t: t.microsecond == 0,
        Granularity.HOUR: lambda t: (t.minute, t.second, t.microsecond) == (0, 0, 0),
        Granularity.DAY: lambda t: t.astimezone(UTC).time().isoformat() == "00:00:00"
        or timezone.localtime(t).time().isoformat() == "00:00:00",
    }
    problems = []
    for item in registry.resolved():
        check = checks.get(item.field.granularity)  # type: ignore[arg-type]
        if item.section != "model" or check is None:
            continue
        model = apps.get_model(item.owner)
        if not isinstance(model._meta.get_field(item.name), models.DateTimeField):
            continue
        for value in model._default_manager.exclude(**{item.name: None}).values_list(item.name, flat=True):
            if isinstance(value, datetime) and not check(value):
                problems.append(f"{item.label} = {value.isoformat()} is finer than {item.field.granularity}")
    return problems


def test_everything_the_journey_stores_outside_the_models_is_declared(
    make_org: Any, make_member: Any, django_capture_on_commit_callbacks: Any, settings: Any,
) -> None:
    journey = journey_until_deletion(make_org, make_member, django_capture_on_commit_callbacks)
    assert Session.objects.exists()
    assert _undeclared_session_entries() == set()
    assert _coarser_than_declared() == []

    journey_deletion(journey, django_capture_on_commit_callbacks)
    _what_the_journey_does_not_do(journey, settings)

    assert _undeclared_session_entries() == set()
    keys = _cache_keys()
    assert [key for key in keys if not any(re.fullmatch(pattern, key) for pattern in CACHE)] == []
    assert _unmet_cache_patterns(keys) == set(), "a declared cache key nothing writes any more"
    assert _undeclared_tasks() == []
    assert _undeclared_cookies(journey) == set()
