"""The one "key unlocked" guard (issue 12 item 1, issue 15 step 2): `counselling.access.key_required`.

Every staff view that reads the organisation key (through `request_org_key` or
`request_case_keys`, directly or through a helper) carries the guard, found by following the
view's code; the accessors refuse to run outside it; and every guarded view, asked without the
key, answers the guard's way: the unlock page for pages, JSON 403 ``not_unlocked`` for the API.
"""

from __future__ import annotations

import inspect
import json
import re
import types
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from counselling import access
from counselling.models import Membership
from reporting.services import FileInput, help_service_save
from tests.helpers import PASSWORD, logged_in, totp_code, url_patterns, view_handlers

KEY_READERS = (access.request_org_key, access.request_case_keys)
PROJECT = ("counselling", "reporting", "stats", "meldestelle")


def _code_objects(code: types.CodeType) -> list[types.CodeType]:
    found = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _code_objects(const)
    return found


def _is_key_reader(target: Any) -> bool:
    return any(target is reader for reader in KEY_READERS)


def reads_the_key(function: Any, seen: set[Any] | None = None) -> bool:
    """Whether the function's code reaches a key accessor.

    Follows the functions it names (globals, closure cells, attributes of project modules)
    that belong to the project or to the function's own module.
    """
    seen = seen if seen is not None else set()
    function = inspect.unwrap(function)
    if function in seen or not isinstance(function, types.FunctionType):
        return False
    seen.add(function)
    names: set[str] = set()
    for code in _code_objects(function.__code__):
        names.update(code.co_names)
    candidates: list[Any] = [function.__globals__.get(name) for name in names]
    candidates += [cell.cell_contents for cell in function.__closure__ or () if _filled(cell)]
    for module in [c for c in candidates if isinstance(c, types.ModuleType) and c.__name__.startswith(PROJECT)]:
        candidates += [getattr(module, name, None) for name in names]  # `module.function(...)`
    own_module = function.__module__
    for target in candidates:
        if _is_key_reader(target):
            return True
        module = getattr(target, "__module__", None) or ""
        if isinstance(target, types.FunctionType) and (module.startswith(PROJECT) or module == own_module) \
                and reads_the_key(target, seen):
            return True
    return False


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


def _staff_handlers() -> list[tuple[str, str, Any]]:
    handlers = []
    for route, pattern in url_patterns():
        if not route.startswith(("/staff/", "/api/v1/")):
            continue
        for method, handler in view_handlers(pattern.callback):
            handlers.append((route, method, handler))
    return handlers


def test_the_code_follower_finds_a_key_reader() -> None:
    def direct(request: Any) -> Any:
        return access.request_org_key(request)

    def through_a_helper(request: Any) -> Any:
        return direct(request)

    def unrelated(request: Any) -> Any:
        return access.membership_of(request.user)

    assert reads_the_key(direct) and reads_the_key(through_a_helper)
    assert not reads_the_key(unrelated)


def test_every_staff_view_that_reads_the_key_uses_the_one_guard() -> None:
    needing, unguarded, needless = [], [], []
    for route, method, handler in _staff_handlers():
        guarded = bool(getattr(handler, access.GUARD_MARK, False))
        if reads_the_key(handler):
            needing.append(f"{method} {route}")
            if not guarded:
                unguarded.append(f"{method} {route}")
        elif guarded:
            needless.append(f"{method} {route}")
    assert not unguarded, f"views that read the organisation key without @key_required: {unguarded}"
    assert not needless, f"@key_required on views that never read the key: {needless}"
    # Case page, message, note, file, transfer, download, admin grant; API detail, messages, notes, transfer.
    assert len(needing) >= 11, needing


def test_no_view_module_reads_the_unlock_halves_itself() -> None:
    """Only counselling.access puts the two halves together (reporting.crypto does the decryption)."""
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    offenders = []
    for path in [*root.glob("counselling/**/*.py"), *root.glob("reporting/**/*.py"), *root.glob("stats/**/*.py")]:
        if str(path.relative_to(root)) in ("counselling/access.py", "reporting/crypto.py") or "migrations" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"session_unlock\(|SESSION_KEY\]|_session_org_key|UNLOCK_COOKIE_NAME", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == [], offenders


def test_key_accessors_refuse_to_run_outside_the_guard() -> None:
    request = RequestFactory().get("/staff/")
    with pytest.raises(RuntimeError):
        access.request_org_key(request)
    with pytest.raises(RuntimeError):
        access.request_case_keys(request, None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ behaviour


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _api_client(member: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    user = member.membership.user
    response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                   "otp": totp_code(user)}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client


@pytest.mark.django_db
def test_every_guarded_view_without_the_key_gets_the_guard_answer(
        make_org: Any, make_member: Any, submit: Any) -> None:
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    case = submit(description="Guard-Marker", files=(FileInput("beweis.png", PNG, "image/png"),)).case
    admin = make_member(home, role=Membership.Role.PARTNER_ADMIN)
    newcomer = make_member(home, with_key=False)
    params = {"case_id": case.pk, "attachment_uuid": case.attachments.get().uuid.hex,
              "member_id": newcomer.membership.pk}
    service = help_service_save(actor=None, name="Legal aid (Demo)", kind="legal_advice", referral_only=True)
    # A valid body for every guarded action: input is checked before the keys are looked at.
    body = {"body": "hello", "organisation": other.organisation.slug, "mode": "phone", "code": "rights_info",
            "reported_to_police": "yes", "politically_motivated": "no", "proceedings": "none",
            "kind": "agg_claim", "due_on": "2099-01-01", "service": service.pk, "reason": "legal",
            "text": "hello"}
    checked = []
    for route, method, handler in _staff_handlers():
        if not getattr(handler, access.GUARD_MARK, False):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), route)
        is_api = route.startswith("/api/")
        # "outcome" is the justice track's code there and the closing outcome elsewhere.
        body["outcome"] = "pending" if "justice" in route else "resolved"
        client = _api_client(admin) if is_api else logged_in(admin)
        client.cookies.pop(settings.UNLOCK_COOKIE_NAME)  # the cookie half is gone
        # A page view answers GET if it can (the classification page saves without the key, and
        # shows the answers again); POST-only views are asked with POST.
        for verb in [method] if method != "*" else ["GET", "POST"]:
            if is_api:
                response = client.generic(verb, url, json.dumps(body), content_type="application/json")
            else:
                response = client.get(url) if verb == "GET" else client.post(url, body)
            if response.status_code == 405:
                continue
            checked.append(f"{verb} {route}")
            if is_api:
                assert response.status_code == 403, (verb, route, response.content[:200])
                assert response.json()["error"]["code"] == "not_unlocked"
            else:
                assert response.status_code == 302, (verb, route, response.status_code)
                assert response["Location"].startswith("/staff/unlock/?next="), (verb, route)
            break  # one answer per view
    assert len(checked) >= 11, checked
