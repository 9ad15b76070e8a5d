"""Property-based fuzzing of the public entry points: API submission, follow-up, HTML form.

Invariants: never a 5xx; API 4xx bodies are {"error": {"code", "message", "fields"}}; and a refused
request stores nothing (Case / Message counts unchanged).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting import abuse
from reporting.models import Case, Message

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports/"
FOLLOWUP = "/api/v1/followup/"
MESSAGES = "/api/v1/followup/messages/"
FORM = "/de/report/"

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Full unicode incl. control characters, NUL and RTL marks; lone surrogates excluded (not encodable).
SPECIAL = st.sampled_from(["\x00", "\u200f", "\u202e", "\u200b", "\ufeff", "\r\n", "\t", "\x1b[31m",
                           "𝔘𝔫𝔦", "שלום", "مرحبا", "漢字", "🏳️‍🌈", "e\u0301", "'; DROP TABLE x;--",
                           "<script>alert(1)</script>", "%s%n", "../../etc/passwd"])
TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.lists(SPECIAL, max_size=8).map("".join),
    st.integers(min_value=0, max_value=30_000).map(lambda n: "Ä" * n),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_VALUE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=10,
)
# JSON cannot carry NaN in strict parsers, but json.dumps emits it; include it deliberately.
WRONG_TYPE = st.one_of(JSON_VALUE, st.just(float("nan")), st.just(float("inf")),
                       st.integers(min_value=10**30, max_value=10**40))

FIELDS = ["description", "district", "motives", "incident_type", "occurred_on", "occurred_month", "consent",
          "language", "partner", "people_affected", "contact", "contact_email", "contact_phone", "role",
          "area_of_life", "place_details", "wants_counselling", "notify_email", "keep_metadata", "files"]


def valid_report() -> dict[str, Any]:
    return {"description": "Someone spat at me.", "district": "03241", "motives": ["antisemitism"],
            "incident_type": "assault", "occurred_on": "2025-01-02", "consent": True}


@st.composite
def report_payloads(draw: Any) -> Any:
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "random"]))
    if kind == "random":
        return draw(JSON_VALUE)
    data = valid_report()
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        action = draw(st.sampled_from(["text", "wrong", "drop"]))
        if action == "drop":
            data.pop(field, None)
        elif action == "text":
            data[field] = draw(TEXT)
        else:
            data[field] = draw(WRONG_TYPE)
    extra = draw(st.dictionaries(TEXT, JSON_VALUE, max_size=3))
    for key, value in extra.items():
        data.setdefault(key, value)
    return data


GARBAGE_TYPES = st.sampled_from([
    "application/json", "application/json; charset=latin-1", "application/json; charset=bogus",
    "multipart/form-data", "multipart/form-data; boundary=xyz", "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded", "text/plain", "application/xml", "", "*/*",
    "application/octet-stream", "multipart/mixed; boundary=\x00",
])
GARBAGE_BODIES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"{", b"[]", b"null", b"1e999999", b'"x"', b'{"description": NaN}',
                     b"--xyz\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nx\r\n--xyz--\r\n",
                     b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpg\"\r\n"
                     b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--xyz--\r\n",
                     b"--xyz\r\nContent-Disposition: form-data; name=\"x\r\n\r\n",
                     b"\xef\xbb\xbf{\"description\": \"x\"}", b"[" * 500 + b"]" * 500,
                     b"description=%FF%FE&consent=true&motives=%00"]),
)


def json_body(payload: Any) -> str:
    return json.dumps(payload, allow_nan=True, ensure_ascii=len(str(payload)) % 2 == 0)


def check_api(response: Any, before: dict[str, int], *, success: tuple[int, ...]) -> None:
    status = response.status_code
    assert status < 500, (status, response.content[:2000])
    if 400 <= status < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message", "fields"}, body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if status not in success:
        assert counts() == before, (status, response.content[:500])


def counts() -> dict[str, int]:
    return {"cases": Case.objects.count(), "messages": Message.objects.count()}


@FUZZ
@given(payload=report_payloads())
def test_api_submit_json_never_crashes(client: Any, fallback_org: Any, payload: Any) -> None:
    cache.clear()
    before = counts()
    response = client.post(REPORTS, json_body(payload), content_type="application/json")
    check_api(response, before, success=(201,))
    if response.status_code == 201:
        assert Case.objects.count() == before["cases"] + 1
        assert response.json()["receipt"]


@FUZZ
@given(body=GARBAGE_BODIES, content_type=GARBAGE_TYPES)
def test_api_submit_garbage_bodies(client: Any, fallback_org: Any, body: bytes, content_type: str) -> None:
    cache.clear()
    before = counts()
    response = client.generic("POST", REPORTS, body, content_type=content_type)
    check_api(response, before, success=(201,))


@st.composite
def multipart_payloads(draw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {**valid_report(), "consent": "true"}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        action = draw(st.sampled_from(["text", "list", "drop", "file"]))
        if action == "drop":
            data.pop(field, None)
        elif action == "text":
            data[field] = draw(TEXT).replace("\x00", "")  # the test client cannot encode NUL in multipart
        elif action == "list":
            data[field] = draw(st.lists(st.text(max_size=20).map(lambda s: s.replace("\x00", "")), max_size=3))
        else:
            from django.core.files.uploadedfile import SimpleUploadedFile

            name = draw(st.text(min_size=1, max_size=30).map(lambda s: s.replace("\x00", "") or "f"))
            mime = draw(st.sampled_from(["image/jpeg", "application/pdf", "text/plain", "image/png", ""]))
            data[field] = SimpleUploadedFile(name, draw(st.binary(max_size=500)), mime or None)
    return data


@FUZZ
@given(data=multipart_payloads())
def test_api_submit_multipart_never_crashes(client: Any, fallback_org: Any, data: dict[str, Any]) -> None:
    cache.clear()
    before = counts()
    response = client.post(REPORTS, data)
    check_api(response, before, success=(201,))


RECEIPTS = st.one_of(
    TEXT,
    st.from_regex(r"[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}", fullmatch=True),
    st.from_regex(r"[0-9A-Z -]{0,40}", fullmatch=True),
    WRONG_TYPE,
)


@FUZZ
@given(receipt=RECEIPTS, extra=st.dictionaries(TEXT, JSON_VALUE, max_size=3), drop=st.booleans())
def test_followup_random_receipts(client: Any, fallback_org: Any, submit: Any, receipt: Any,
                                  extra: dict[str, Any], drop: bool) -> None:
    cache.clear()
    before = counts()
    payload: Any = {**extra, "receipt": receipt}
    if drop:
        payload.pop("receipt")
    response = client.post(FOLLOWUP, json_body(payload), content_type="application/json")
    check_api(response, before, success=())
    assert counts() == before


@FUZZ
@given(receipt=RECEIPTS, body=st.one_of(TEXT, WRONG_TYPE), use_real=st.booleans(),
       raw=st.one_of(st.none(), GARBAGE_BODIES), content_type=GARBAGE_TYPES)
def test_followup_messages_fuzz(client: Any, fallback_org: Any, submit: Any, receipt: Any, body: Any,
                                use_real: bool, raw: bytes | None, content_type: str) -> None:
    cache.clear()
    if use_real:
        receipt = submit().receipt_code
    before = counts()
    if raw is not None:
        response = client.generic("POST", MESSAGES, raw, content_type=content_type)
    else:
        response = client.post(MESSAGES, json_body({"receipt": receipt, "body": body}),
                               content_type="application/json")
    check_api(response, before, success=(201,))
    if response.status_code == 201:
        assert counts() == {**before, "messages": before["messages"] + 1}
    assert Case.objects.count() == before["cases"]


FORM_FIELDS = ["incident_type", "description", "date_known", "occurred_on", "occurred_month_month",
               "occurred_month_year", "district", "area_of_life", "place_details", "motives", "role",
               "people_affected", "wants_counselling", "contact", "contact_email", "contact_phone",
               "notify_email", "partner", "consent", "keep_metadata", "form_ts", "challenge", "nonce", "homepage"]


def valid_form() -> dict[str, Any]:
    return {"form_ts": abuse.form_timestamp(time.time() - 60), "challenge": "", "nonce": "", "homepage": "",
            "incident_type": "offensive_behaviour", "description": "Someone shouted at us at the bus stop.",
            "date_known": "month", "occurred_month_month": "03", "occurred_month_year": "2025",
            "district": "03241", "area_of_life": "transport", "motives": ["racism", "xenophobia"],
            "role": "affected", "contact": "mailbox", "consent": "on"}


@st.composite
def form_payloads(draw: Any) -> dict[str, Any]:
    data = valid_form()
    for field in draw(st.lists(st.sampled_from(FORM_FIELDS), max_size=5, unique=True)):
        action = draw(st.sampled_from(["text", "list", "drop"]))
        if action == "drop":
            data.pop(field, None)
        elif action == "text":
            data[field] = draw(TEXT).replace("\x00", "")
        else:
            data[field] = draw(st.lists(TEXT.map(lambda s: s.replace("\x00", "")[:50]), max_size=3))
    return data


@FUZZ
@given(data=form_payloads())
def test_html_form_never_crashes(fallback_org: Any, data: dict[str, Any]) -> None:
    cache.clear()
    client = Client()
    client.get(FORM)  # CSRF cookie; the test client skips the check anyway
    before = counts()
    response = client.post(FORM, data)
    assert response.status_code < 500, (response.status_code, data)
    stored = Case.objects.count() - before["cases"]
    if response.status_code == 200 and b'data-code="' in response.content:
        assert stored == 1
    else:
        assert stored == 0, (response.status_code, data)


@FUZZ
@given(body=GARBAGE_BODIES, content_type=GARBAGE_TYPES)
def test_html_form_garbage_bodies(client: Any, fallback_org: Any, body: bytes, content_type: str) -> None:
    cache.clear()
    before = counts()
    response = client.generic("POST", FORM, body, content_type=content_type)
    assert response.status_code < 500, (response.status_code, body[:200], content_type)
    assert counts() == before


# Found by this fuzzer: JSON nested deeper than Python's recursion limit used to raise
# RecursionError in DRF's JSONParser (a 500); meldestelle.api.SafeJSONParser turns it into a 400.
@pytest.mark.parametrize("url", [REPORTS, FOLLOWUP, MESSAGES])
@pytest.mark.parametrize("body", [b"[" * 5000, b'{"a":' * 2000], ids=["arrays", "objects"])
def test_deeply_nested_json_is_refused_not_crashed(client: Any, fallback_org: Any, url: str, body: bytes) -> None:
    before = counts()
    response = client.generic("POST", url, body, content_type="application/json")
    check_api(response, before, success=())
