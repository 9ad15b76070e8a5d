"""One error path for the whole API (issue 15, step 3).

Every error the API gives, public and staff, is the one body {"error": {"code", "message",
"fields"}} that the OpenAPI schema declares once (components/schemas/Error), with the status
the one mapping (meldestelle.errors.STATUS) gives its code, and a message in the language the
client asked for: under Accept-Language: de the message and the field messages are German.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.utils.translation import trans_real
from drf_spectacular.plumbing import _load_enum_name_overrides

from meldestelle.errors import status_for
from reporting.services import case_take
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

# Codes whose status differs from the mapping on one endpoint, and why (documented there).
STATUS_OVERRIDES = {
    ("followup_blocked", "pow_required"): 429,  # throttled until a puzzle is solved
}


def _schema() -> dict[str, Any]:
    return Client().get("/api/schema/?format=json").json()


def _error_validator(schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    """The Error component, with its references resolved inside the document."""
    components = schema["components"]["schemas"]
    root = {**components["Error"], "components": {"schemas": components}}
    return jsonschema.Draft4Validator(root)


def _staff_client(member: Any, language: str) -> Client:
    client = logged_in(member, Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language), api=True)
    client.defaults["HTTP_X_CSRFTOKEN"] = client.csrf
    return client


def _json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any, settings: Any) -> dict[str, Any]:
    home = make_org("home", is_fallback=True)
    make_org("other", statewide=False)
    first = submit(description="Fehler-Welt 1")
    second = submit(description="Fehler-Welt 2")
    owner, colleague = make_member(home), make_member(home)
    case_take(actor=colleague.membership.user, case=second.case)
    return {"case": first.case.pk, "taken": second.case.pk, "owner": owner, "home": home}


def _scenarios(world: dict[str, Any], settings: Any) -> dict[str, Callable[[str], Any]]:
    """name -> (language -> response); each gives the same error however often it runs."""
    case, taken = world["case"], world["taken"]

    def public(language: str) -> Client:
        return Client(HTTP_ACCEPT_LANGUAGE=language)

    def staff(language: str) -> Client:
        return _staff_client(world["owner"], language)

    def without_unlock(language: str) -> Client:
        client = staff(language)
        del client.cookies[settings.UNLOCK_COOKIE_NAME]
        return client

    def pow_on(language: str) -> Client:
        settings.REPORT_POW_DIFFICULTY = 8
        return public(language)

    def throttled(language: str) -> Client:
        settings.REPORT_GLOBAL_RATE_PER_MINUTE = 0
        return public(language)

    def followup_blocked(language: str) -> Any:
        settings.FOLLOWUP_MAX_FAILURES = 0
        client = public(language)
        _json(client, "/api/v1/followup/", {"receipt": "WRONG-CODE"})
        return _json(client, "/api/v1/followup/", {"receipt": "WRONG-CODE"})

    return {
        # public
        "statistics_not_found": lambda lang: public(lang).get("/api/v1/statistics/1999/"),
        "statistics_bad_version": lambda lang: public(lang).get("/api/v1/statistics/2024/?version=x"),
        "report_not_an_object": lambda lang: _json(public(lang), "/api/v1/reports/", [1, 2]),
        "report_unreadable_json": lambda lang: public(lang).post(
            "/api/v1/reports/", "{", content_type="application/json"),
        "report_media_type": lambda lang: public(lang).post(
            "/api/v1/reports/", "hello", content_type="text/plain"),
        "report_too_large": lambda lang: public(lang).post(
            "/api/v1/reports/", json.dumps({"description": "x" * (1024 * 1024 + 10)}),
            content_type="application/json"),
        "report_wrong_type": lambda lang: _json(public(lang), "/api/v1/reports/", {"description": 5}),
        "report_form_refuses": lambda lang: _json(public(lang), "/api/v1/reports/", {"description": ""}),
        "report_pow_required": lambda lang: _json(pow_on(lang), "/api/v1/reports/", {
            "description": "Fehler", "consent": True}),
        "report_pow_invalid": lambda lang: _json(pow_on(lang), "/api/v1/reports/", {
            "description": "Fehler", "consent": True, "challenge": "nope", "nonce": "1"}),
        "report_throttled": lambda lang: _json(throttled(lang), "/api/v1/reports/", {
            "description": "Fehler", "consent": True}),
        "report_method": lambda lang: public(lang).put("/api/v1/reports/"),
        "followup_not_found": lambda lang: _json(public(lang), "/api/v1/followup/", {"receipt": "WRONG"}),
        "followup_blocked": followup_blocked,
        # staff
        "staff_not_logged_in": lambda lang: public(lang).get("/api/v1/cases/"),
        "login_cross_origin": lambda lang: public(lang).post(
            "/api/v1/auth/login/", {"username": "x", "password": "y"}, content_type="application/json",
            HTTP_ORIGIN="https://elsewhere.example"),
        "login_failed": lambda lang: _json(public(lang), "/api/v1/auth/login/", {
            "username": world["owner"].membership.user.username, "password": "wrong", "otp": "000000"}),
        "login_shape": lambda lang: _json(public(lang), "/api/v1/auth/login/", {"username": "x"}),
        "case_not_found": lambda lang: staff(lang).get("/api/v1/cases/999999/"),
        "case_not_unlocked": lambda lang: without_unlock(lang).get(f"/api/v1/cases/{case}/"),
        "csrf_missing": lambda lang: Client(
            enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=lang,
            cookies=staff(lang).cookies).post(f"/api/v1/cases/{case}/take/"),
        "already_taken": lambda lang: _json(staff(lang), f"/api/v1/cases/{taken}/take/", {}),
        "status_invalid": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/status/", {"status": "x"}),
        "transfer_unknown": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/transfer/", {
            "organisation": "nobody"}),
        "transfer_same_organisation": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/transfer/", {
            "organisation": "home"}),
        "duplicate_of_itself": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/duplicate/", {
            "original": _reference(case)}),
        "unmark_not_duplicate": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/duplicate/", {
            "original": None}),
        "delete_unconfirmed": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/delete/", {
            "reason": "other", "confirm": False}),
        "classification_invalid": lambda lang: _json(staff(lang), f"/api/v1/cases/{case}/classification/", {
            "incident_type": "nope", "motives": ["nope"]}),
    }


def _reference(case_id: int) -> str:
    from reporting.models import Case

    return Case.objects.get(pk=case_id).reference


SCENARIOS = [
    "statistics_not_found", "statistics_bad_version", "report_not_an_object", "report_unreadable_json",
    "report_media_type", "report_too_large", "report_wrong_type", "report_form_refuses",
    "report_pow_required", "report_pow_invalid", "report_throttled", "report_method",
    "followup_not_found", "followup_blocked", "staff_not_logged_in", "login_cross_origin", "login_failed",
    "login_shape", "case_not_found", "case_not_unlocked", "csrf_missing", "already_taken", "status_invalid",
    "transfer_unknown", "transfer_same_organisation", "duplicate_of_itself", "unmark_not_duplicate",
    "delete_unconfirmed", "classification_invalid",
]


MARK = "⟦de⟧ "


@pytest.fixture
def german_marked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """German as the catalogue has it, and a marked source text where it has no entry yet.

    So "the message is German" means "it went through gettext in the client's language", also
    for texts the next catalogue update (make messages) has still to translate. Django's and
    DRF's own texts go through the same translation object.
    """
    german = trans_real.translation("de")
    real_gettext, real_ngettext = german.gettext, german.ngettext

    def gettext(message: str) -> str:
        result = real_gettext(message)
        return result if result != message or not message else MARK + message

    def ngettext(singular: str, plural: str, number: int) -> str:
        result = real_ngettext(singular, plural, number)
        return result if result not in (singular, plural) else MARK + result

    monkeypatch.setattr(german, "gettext", gettext)
    monkeypatch.setattr(german, "ngettext", ngettext)
    yield
    # drf-spectacular keeps the enum names it resolved per language: those resolved from the
    # marked German must not outlive this test (a later schema would see its enums collide).
    _load_enum_name_overrides.cache_clear()


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.usefixtures("german_marked")
def test_every_api_error_has_the_one_shape_its_status_and_german_text(
    name: str, world: dict[str, Any], settings: Any,
) -> None:
    validator = _error_validator(_schema())
    run = _scenarios(world, settings)[name]
    answers = {language: run(language) for language in ("en", "de")}
    bodies = {language: response.json() for language, response in answers.items()}
    for language, response in answers.items():
        assert response["Content-Type"].startswith("application/json"), (name, language)
        validator.validate(bodies[language])
    english, german = bodies["en"]["error"], bodies["de"]["error"]
    code = english["code"]
    assert german["code"] == code and answers["de"].status_code == answers["en"].status_code
    assert answers["en"].status_code == STATUS_OVERRIDES.get((name, code), status_for(code)), (name, code)
    assert german["message"] != english["message"], f"{name}: untranslated message {german['message']!r}"
    assert german["fields"].keys() == english["fields"].keys()
    for field, messages in german["fields"].items():
        assert messages != english["fields"][field], f"{name}: untranslated {field} {messages!r}"


def test_the_schema_declares_one_error_body_for_every_error_response() -> None:
    """Every 4xx/5xx response of every operation refers to components/schemas/Error."""
    schema = _schema()
    assert {"Error", "ErrorBody"} <= schema["components"]["schemas"].keys()
    assert not {"PublicError", "PublicErrorBody"} & schema["components"]["schemas"].keys()
    undeclared = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                refs = {media.get("schema", {}).get("$ref") for media in response.get("content", {}).values()}
                if refs != {"#/components/schemas/Error"}:
                    undeclared.append((method.upper(), path, status, refs))
    assert undeclared == []


def test_api_errors_are_written_in_one_place() -> None:
    """No view builds an error body of its own: they raise ApplicationError (or Http404, or
    let DRF raise), and meldestelle.api.exception_handler writes the body."""
    offenders = []
    for path in sorted([*ROOT.glob("reporting/**/*.py"), *ROOT.glob("counselling/**/*.py"),
                        *ROOT.glob("stats/**/*.py"), *ROOT.glob("meldestelle/**/*.py")]):
        if path.name == "api.py" and path.parent.name == "meldestelle":
            continue
        text = path.read_text(encoding="utf-8")
        if "error_response(" in text or re.search(r'Response\(\s*\{\s*"error"', text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
