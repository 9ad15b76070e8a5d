"""Access matrix (SPEC §1, §7, §9; issue 6): every URL pattern and API operation × every role.

The endpoints are enumerated from the URL resolver and from the OpenAPI schema; the test fails
when one of them has no row in TABLE (or a row names an endpoint that no longer exists), so a
new endpoint cannot be forgotten. Every response body is also scanned for the description
markers of the cases: a marker may appear only in answers to roles that may read that case.

The copy holder (SPEC §1) is a counsellor of organisation H, which received case A, transferred
it to organisation A and kept a copy: it reads case A (page, API detail, files) and gets 404 for
every action on it, like anybody outside organisation A; case A's state is compared before and
after each of its requests.

One test function walks the whole table and collects every mismatch, so a failure lists all.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.generators import SchemaGenerator

from counselling.models import Membership
from counselling.replies import reply_template_save
from reporting import crypto
from reporting.services import (
    FileInput,
    ReportInput,
    case_transfer,
    help_service_save,
    report_submit,
)
from stats.services import classification_save, statistics_publish
from tests.helpers import (
    PASSWORD,
    browser_lookup_token,
    case_state,
    png_bytes,
    totp_code,
    url_patterns,
)

pytestmark = pytest.mark.django_db

PNG = png_bytes()

MARKER_A = "Matrix-Marker-A-5e1d"  # case A: reporter A, routed to organisation A
MARKER_B = "Matrix-Marker-B-93c0"  # case B: reporter B, also routed to organisation A
MARKER_C = "Matrix-Marker-C-2b77"  # case C: manual entry of organisation B ("another case")
# Case A reached organisation H first (the reporter chose it); H transferred it to A, keeping a copy.
YEAR = 2024  # the published statistics year

ROLES = ("anonymous", "reporter_a", "reporter_b", "counsellor_a", "counsellor_b", "partner_admin_a",
         "coordinator", "superuser", "copy_holder")
REPORTERS = ("reporter_a", "reporter_b")
STAFF = ("counsellor_a", "counsellor_b", "partner_admin_a", "coordinator", "superuser", "copy_holder")
MAY_READ = {  # who may ever see a case's description
    MARKER_A: {"reporter_a", "counsellor_a", "partner_admin_a", "copy_holder"},
    MARKER_B: {"reporter_b", "counsellor_a", "partner_admin_a"},
    MARKER_C: {"counsellor_b"},
}

# Expected answers: an int is a status; "302 /path/" a redirect to that path (any query string),
# "302 /prefix*" one whose path starts so; a tuple is a set of acceptable answers.
LOGIN = "302 /staff/login/"
CASE_PAGE = "302 /staff/cases/*"
INBOX = "302 /staff/"
ADMIN = "302 /staff/admin/"
HELP_DIRECTORY = "302 /staff/help-directory/"
FOLLOWUP_AFTER_SENDING = "303 /de/followup/"
Expected = int | str | tuple[int | str, ...]


def roles(default: Expected, **overrides: Expected) -> dict[str, Expected]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in ROLES}


def everyone(status: Expected) -> dict[str, Expected]:
    return roles(status)


def staff_page(**overrides: Expected) -> dict[str, Expected]:
    """A staff page: the login page for people without a staff session, 404 unless overridden."""
    return roles(404, anonymous=LOGIN, reporter_a=LOGIN, reporter_b=LOGIN, **overrides)


def staff_api(**overrides: Expected) -> dict[str, Expected]:
    return roles(404, anonymous=401, reporter_a=401, reporter_b=401, **overrides)


def org_a(status: Expected, *, api: bool = False) -> dict[str, Expected]:
    """Only members of the organisation holding the case (A) get past the 404."""
    make = staff_api if api else staff_page
    return make(counsellor_a=status, partner_admin_a=status)


def readers_a(status: Expected, *, api: bool = False) -> dict[str, Expected]:
    """Reading case A: organisation A's members and the copy holder; 404 for everyone else."""
    make = staff_api if api else staff_page
    return make(counsellor_a=status, partner_admin_a=status, copy_holder=status)


def all_staff(status: Expected, *, api: bool = False) -> dict[str, Expected]:
    make = staff_api if api else staff_page
    return make(**dict.fromkeys(STAFF, status))


def members(status: Expected) -> dict[str, Expected]:
    """Staff with a membership (the superuser has none)."""
    return staff_page(**{**dict.fromkeys(STAFF, status), "superuser": 404})


def partner_admin(status: Expected) -> dict[str, Expected]:
    return staff_page(partner_admin_a=status)


def receipt_holders(reporter: Expected, others: Expected) -> dict[str, Expected]:
    return roles(others, reporter_a=reporter, reporter_b=reporter)


@dataclass(frozen=True)
class Row:
    route: str  # as the resolver spells it, with the /de/ prefix for i18n patterns
    method: str
    expect: dict[str, Expected]
    body: dict[str, Any] = field(default_factory=dict)
    receipt: bool = False  # reporters send their receipt, everyone else a wrong one
    token: bool = False  # likewise, as its look-up token (the follow-up in the browser)
    json: bool = False
    sealed_files: bool = False  # multipart: the body as the JSON part `sealed`, and one sealed file
    probe: bool = False  # a method the endpoint does not offer (not in the schema)
    fresh: bool = False  # ends the session: run with a separate, freshly logged-in client
    last: bool = False  # destroys case data: run after everything else
    # Variant of a case route for case C (organisation B); default: A's members ↔ B's counsellor.
    expect_case_c: dict[str, Expected] | None = None
    must_show: tuple[tuple[str, str], ...] = ()  # (role, marker) that must be in a 200 answer


def _case_c(row: Row) -> dict[str, Expected]:
    if row.expect_case_c is not None:
        return row.expect_case_c
    expect = dict(row.expect)
    expect["counsellor_b"] = row.expect["counsellor_a"]
    # Organisation B's case is as foreign to A's members and to the copy holder as A's is to B.
    expect["counsellor_a"] = expect["partner_admin_a"] = expect["copy_holder"] = row.expect["counsellor_b"]
    return expect


CASE = "<int:case_id>"
CASEWORK_PAGES = ("contact", "intervention", "justice", "deadline", "deadline/done", "referral", "close", "summary",
                  "consent")
CASEWORK_API = ("contacts", "interventions", "justice", "deadlines", "deadlines/done", "referrals", "close", "summary",
                "consent")
DIRECTORY_READERS = ("counsellor_a", "counsellor_b", "partner_admin_a", "coordinator", "copy_holder")
RECORDERS = ("counsellor_a", "counsellor_b", "partner_admin_a", "copy_holder")  # members of an organisation
MEMBER = "<int:member_id>"
POST_ONLY_PAGE = everyone(405)  # require_POST answers before anything else

TABLE: list[Row] = [
    # ---------------------------------------------------------------- site, schema, operator
    Row("/", "GET", everyone("302 /en/")),  # the browser's language (every client here asks for English)
    Row("/healthz", "GET", everyone(200)),
    Row("/api/schema/", "GET", everyone(200)),
    Row("/operator/", "GET", roles("302 /operator/login/", superuser=200)),
    # ---------------------------------------------------------------- reporter pages
    Row("/de/", "GET", everyone(200)),
    Row("/de/report/", "GET", everyone(200)),
    Row("/de/report/", "POST", everyone(400)),
    Row("/de/privacy/", "GET", everyone(200)),
    Row("/de/help/", "GET", everyone(200)),
    Row("/de/safety/", "GET", everyone(200)),
    Row("/de/followup/", "GET", everyone(200)),
    Row("/de/followup/", "POST", receipt_holders(200, 400), receipt=True,
        must_show=(("reporter_a", MARKER_A), ("reporter_b", MARKER_B))),
    Row("/de/followup/reply/", "POST", receipt_holders(400, 400), receipt=True,
        must_show=(("reporter_a", MARKER_A),)),
    # Sent: post/redirect/get to the follow-up page that opens once (tests/reporting/test_followup.py).
    Row("/de/followup/reply/", "POST", receipt_holders(FOLLOWUP_AFTER_SENDING, 400), receipt=True,
        body={"body": "matrix reply"}),
    Row("/de/followup/files/", "POST", receipt_holders(400, 400), receipt=True),
    Row("/de/followup/delete/", "POST", receipt_holders(200, 400), receipt=True),  # asks to confirm
    # The reporter's choices (SPEC §5.1): no summary or question is waiting for case A or B.
    Row("/de/followup/consent/", "POST", receipt_holders(200, 400), receipt=True,
        body={"consent_contact": "on", "consent_statistics": "on"}),
    Row("/de/followup/summary/", "POST", receipt_holders(400, 400), receipt=True, body={"summary": "1", "answer": "veto"}),
    Row("/de/followup/outcome/", "POST", receipt_holders(400, 400), receipt=True, body={"answer": "yes"}),
    *(Row(f"/de/followup/{step}/", "GET", POST_ONLY_PAGE, probe=True) for step in ("consent", "summary", "outcome")),
    Row("/de/followup/reply/", "GET", POST_ONLY_PAGE, probe=True),
    Row("/de/followup/files/", "GET", POST_ONLY_PAGE, probe=True),
    Row("/de/followup/delete/", "GET", POST_ONLY_PAGE, probe=True),
    # ---------------------------------------------------------------- public statistics
    Row("/de/statistics/", "GET", everyone(200)),
    Row("/de/statistics/methodology/", "GET", everyone(200)),
    Row("/de/statistics/chronicle/", "GET", everyone(200)),
    Row("/de/statistics/<int:year>/", "GET", everyone(200)),
    Row("/de/statistics/<int:year>/data.csv", "GET", everyone(200)),
    Row("/de/statistics/<int:year>/data.json", "GET", everyone(200)),
    Row("/de/statistics/<int:year>/v<int:version>/", "GET", everyone(200)),
    Row("/de/statistics/<int:year>/v<int:version>/data.csv", "GET", everyone(200)),
    Row("/de/statistics/<int:year>/v<int:version>/data.json", "GET", everyone(200)),
    # ---------------------------------------------------------------- internal statistics (404 to all others)
    Row("/staff/statistics/", "GET", staff_page(coordinator=200, partner_admin_a=200)),
    Row("/staff/statistics/export.csv", "GET", staff_page(coordinator=200, partner_admin_a=200)),
    Row("/staff/counselling-statistics/", "GET", staff_page(coordinator=200, partner_admin_a=200)),
    Row("/staff/counselling-statistics/export.csv", "GET", staff_page(coordinator=200, partner_admin_a=200)),
    Row("/staff/exports/<slug:network>.csv", "GET", staff_page(coordinator=200, partner_admin_a=200)),
    Row("/staff/statistics/publish/", "GET", staff_page(coordinator=200)),
    Row("/staff/statistics/publish/", "POST", staff_page(coordinator=200)),  # empty form: shown again
    # ---------------------------------------------------------------- staff: session
    Row("/staff/login/", "GET", roles(INBOX, anonymous=200, reporter_a=200, reporter_b=200)),
    Row("/staff/login/", "POST", everyone(200)),  # empty form: shown again
    Row("/staff/logout/", "POST", roles(LOGIN), fresh=True),
    Row("/staff/logout/", "GET", POST_ONLY_PAGE, probe=True),
    Row("/staff/unlock/", "GET", all_staff(200)),
    Row("/staff/password/", "GET", members(200)),
    Row("/staff/notifications/", "GET", members(200)),
    Row("/staff/notifications/", "POST", members(200)),  # no choice made: shown again
    Row("/staff/", "GET", all_staff(200)),
    Row("/staff/help-directory/", "GET", staff_page(coordinator=200)),
    Row("/staff/help-directory/", "POST", staff_page(coordinator=400)),  # empty form: shown again
    Row("/staff/help-directory/<int:service_id>/", "GET", staff_page(coordinator=200)),
    Row("/staff/help-directory/<int:service_id>/", "POST", staff_page(coordinator=400)),
    Row("/staff/help-directory/<int:service_id>/delete/", "POST", staff_page(coordinator=HELP_DIRECTORY), last=True),
    Row("/staff/audit/", "GET", staff_page(partner_admin_a=200, coordinator=200)),
    Row("/staff/cases/new/", "GET", staff_page(counsellor_a=200, counsellor_b=200, partner_admin_a=200,
                                                copy_holder=200)),
    Row("/staff/cases/new/", "POST", staff_page(counsellor_a=200, counsellor_b=200, partner_admin_a=200,
                                                 copy_holder=200)),
    # ---------------------------------------------------------------- staff: case pages
    Row(f"/staff/cases/{CASE}/", "GET", readers_a(200),
        must_show=(("counsellor_a", MARKER_A), ("partner_admin_a", MARKER_A), ("counsellor_b", MARKER_C),
                   ("copy_holder", MARKER_A))),
    Row(f"/staff/cases/{CASE}/take/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/assign/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/status/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/messages/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/notes/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/duplicate/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/duplicate/remove/", "POST", org_a(CASE_PAGE)),  # not a duplicate: refused
    Row(f"/staff/cases/{CASE}/transfer/", "POST", org_a(CASE_PAGE)),
    Row(f"/staff/cases/{CASE}/files/", "POST", org_a(400)),  # no file chosen: the case page again, nothing stored
    Row(f"/staff/cases/{CASE}/delete/", "GET", org_a(200)),
    Row(f"/staff/cases/{CASE}/delete/", "POST", org_a(200)),  # no reason given: asked again, nothing deleted
    Row(f"/staff/cases/{CASE}/classify/", "GET", org_a(200),  # the report beside the form
        must_show=(("counsellor_a", MARKER_A), ("partner_admin_a", MARKER_A), ("counsellor_b", MARKER_C))),
    Row(f"/staff/cases/{CASE}/classify/", "POST", org_a(400)),
    Row(f"/staff/cases/{CASE}/files/<hexuuid:attachment_uuid>/", "GET", readers_a(200),
        expect_case_c=staff_page()),  # A's attachment under case C: nobody
    # The inline view of a file (issue 19): readers of the case, decrypted in memory.
    Row(f"/staff/cases/{CASE}/files/<hexuuid:attachment_uuid>/view/", "GET", readers_a(200),
        expect_case_c=staff_page()),
    *(Row(f"/staff/cases/{CASE}/{action}/", "GET", POST_ONLY_PAGE, probe=True, expect_case_c=POST_ONLY_PAGE)
      for action in ("take", "assign", "status", "messages", "notes", "duplicate", "duplicate/remove",
                     "transfer", "files")),
    # The counselling work (SPEC §5.1): an empty form is refused back to the case page.
    *(Row(f"/staff/cases/{CASE}/casework/{action}/", "POST", org_a(CASE_PAGE)) for action in CASEWORK_PAGES),
    *(Row(f"/staff/cases/{CASE}/casework/{action}/", "GET", POST_ONLY_PAGE, probe=True, expect_case_c=POST_ONLY_PAGE)
      for action in CASEWORK_PAGES),
    # ---------------------------------------------------------------- staff: partner admin
    Row("/staff/admin/", "GET", partner_admin(200)),
    Row("/staff/admin/invite/", "POST", partner_admin(200)),  # empty form: shown again
    Row("/staff/admin/settings/", "POST", partner_admin(200)),
    Row(f"/staff/admin/members/{MEMBER}/grant/", "POST", partner_admin(ADMIN)),
    # Renewing and revoking rotate the organisation key: the others' sessions must unlock again
    # (renewing keeps the admin's own session unlocked; revoking after it rotates once more).
    Row("/staff/admin/key/rotate/", "POST", partner_admin(ADMIN), last=True),
    Row(f"/staff/admin/members/{MEMBER}/revoke/", "POST", partner_admin(ADMIN), last=True),
    Row(f"/staff/admin/members/{MEMBER}/reset-password/", "POST", partner_admin(200)),
    Row("/staff/admin/replies/", "GET", partner_admin(200)),
    Row("/staff/admin/replies/", "POST", partner_admin(400)),  # empty form: shown again, nothing saved
    Row("/staff/admin/replies/<int:template_id>/delete/", "POST", partner_admin("302 /staff/admin/replies/")),
    Row("/staff/admin/replies/<int:template_id>/delete/", "GET", POST_ONLY_PAGE, probe=True),
    *(Row(route, "GET", POST_ONLY_PAGE, probe=True) for route in (
        "/staff/admin/invite/", "/staff/admin/settings/", f"/staff/admin/members/{MEMBER}/grant/",
        f"/staff/admin/members/{MEMBER}/revoke/", f"/staff/admin/members/{MEMBER}/reset-password/",
        "/staff/admin/key/rotate/")),
    # ---------------------------------------------------------------- public API
    Row("/api/v1/taxonomy/", "GET", everyone(200), json=True),
    Row("/api/v1/partners/", "GET", everyone(200), json=True),
    Row("/api/v1/reports/challenge/", "GET", everyone(200), json=True),
    Row("/api/v1/followup/challenge/", "GET", everyone(200), json=True),
    Row("/api/v1/reports/", "POST", everyone(400), json=True),
    Row("/api/v1/reports/bind/", "POST", everyone(200), json=True),  # codes default: "choose for me"
    Row("/api/v1/reports/sealed/", "POST", everyone(400), json=True),
    Row("/api/v1/followup/", "POST", receipt_holders(200, 404), json=True, receipt=True),
    Row("/api/v1/followup/messages/", "POST", receipt_holders(201, 404), json=True, receipt=True,
        body={"body": "matrix api reply"}),
    Row("/api/v1/followup/delete/", "POST", receipt_holders(200, 404), json=True, receipt=True, last=True),
    # The follow-up in the browser: the receipt's look-up token instead of the code. A reply is
    # ciphertext the server cannot read: one of the right shape is stored (and reads as unreadable).
    Row("/api/v1/followup/sealed/", "POST", receipt_holders(200, 404), json=True, token=True),
    Row("/api/v1/followup/sealed/messages/", "POST", receipt_holders(201, 404), json=True, token=True,
        body={"seal_id": "0" * 32, "body": base64.b64encode(b"\x01" + bytes(12 + 1024 + 16)).decode()}),
    # A file sealed in the browser: a stream of the right format (under some key) is stored.
    Row("/api/v1/followup/sealed/files/", "POST", receipt_holders(201, 404), json=True, token=True,
        sealed_files=True),
    Row("/api/v1/followup/choices/", "POST", receipt_holders(200, 404), json=True, receipt=True),
    Row("/api/v1/followup/consent/", "POST", receipt_holders(200, 404), json=True, receipt=True,
        body={"contact": True, "statistics": True, "network": False, "publication": False}),
    Row("/api/v1/followup/summary/", "POST", receipt_holders(400, 404), json=True, receipt=True,
        body={"summary": 1, "answer": "veto"}),
    Row("/api/v1/followup/outcome/", "POST", receipt_holders(400, 404), json=True, receipt=True,
        body={"answer": "yes"}),
    *(Row(f"/api/v1/followup/{step}/", "GET", everyone(405), json=True, probe=True)
      for step in ("choices", "consent", "summary", "outcome")),
    Row("/api/v1/chronicle/", "GET", everyone(200), json=True),
    Row("/api/v1/statistics/", "GET", everyone(200), json=True),
    Row("/api/v1/statistics/<int:year>/", "GET", everyone(200), json=True),
    *(Row(route, "GET", everyone(405), json=True, probe=True) for route in (
        "/api/v1/reports/", "/api/v1/reports/bind/", "/api/v1/reports/sealed/", "/api/v1/followup/",
        "/api/v1/followup/messages/", "/api/v1/followup/delete/", "/api/v1/followup/sealed/",
        "/api/v1/followup/sealed/messages/", "/api/v1/followup/sealed/files/")),
    Row("/api/v1/statistics/", "POST", everyone(405), json=True, probe=True),
    # ---------------------------------------------------------------- staff API
    Row("/api/v1/auth/login/", "POST", everyone(400), json=True),
    Row("/api/v1/auth/logout/", "POST", all_staff(204, api=True), json=True, fresh=True),
    Row("/api/v1/cases/", "GET", all_staff(200, api=True), json=True),
    Row(f"/api/v1/cases/{CASE}/", "GET", readers_a(200, api=True), json=True,
        must_show=(("counsellor_a", MARKER_A), ("partner_admin_a", MARKER_A), ("counsellor_b", MARKER_C),
                   ("copy_holder", MARKER_A))),
    Row(f"/api/v1/cases/{CASE}/status/", "POST", org_a(400, api=True), json=True),
    # The page's take (above) gave case A to counsellor A: a no-op for them, 409 for the colleague.
    Row(f"/api/v1/cases/{CASE}/take/", "POST", staff_api(counsellor_a=200, partner_admin_a=409), json=True,
        expect_case_c=staff_api(counsellor_b=200)),
    Row(f"/api/v1/cases/{CASE}/messages/", "POST", org_a(400, api=True), json=True),
    Row(f"/api/v1/cases/{CASE}/notes/", "POST", org_a(400, api=True), json=True),
    Row(f"/api/v1/cases/{CASE}/transfer/", "POST", org_a(400, api=True), json=True),
    Row(f"/api/v1/cases/{CASE}/duplicate/", "POST", org_a(400, api=True), json=True),
    Row(f"/api/v1/cases/{CASE}/delete/", "POST", org_a(400, api=True), json=True),  # no reason: nothing deleted
    Row(f"/api/v1/cases/{CASE}/classification/", "GET", org_a(200, api=True), json=True),
    # Twins of the case page's casework (issue 19).
    Row(f"/api/v1/cases/{CASE}/assign/", "POST", org_a(400, api=True), json=True),  # no assignee given
    Row(f"/api/v1/cases/{CASE}/files/", "POST", org_a(415, api=True), json=True),  # JSON, not multipart
    Row(f"/api/v1/cases/{CASE}/files/<hexuuid:attachment_uuid>/", "GET", readers_a(200, api=True), json=True,
        expect_case_c=staff_api()),
    Row(f"/api/v1/cases/{CASE}/files/<hexuuid:attachment_uuid>/preview/", "GET", readers_a(200, api=True),
        json=True, expect_case_c=staff_api()),
    Row(f"/api/v1/cases/{CASE}/reply-templates/", "GET", org_a(200, api=True), json=True),
    Row(f"/api/v1/cases/{CASE}/classification/", "POST",
        roles(404, anonymous=401, reporter_a=401, reporter_b=401, counsellor_a=400, partner_admin_a=400), json=True),
    Row(f"/api/v1/cases/{CASE}/casework/", "GET", readers_a(200, api=True), json=True),
    *(Row(f"/api/v1/cases/{CASE}/{action}/", "POST", org_a(400, api=True), json=True) for action in CASEWORK_API),
    *(Row(f"/api/v1/cases/{CASE}/{action}/", "GET", all_staff(405, api=True), json=True, probe=True,
          expect_case_c=all_staff(405, api=True)) for action in CASEWORK_API),
    Row("/api/v1/directory/", "GET", staff_api(**dict.fromkeys(DIRECTORY_READERS, 200)), json=True),
    Row("/api/v1/directory/", "POST", staff_api(coordinator=400), json=True),
    Row("/api/v1/directory/<int:entry_id>/", "GET", staff_api(**dict.fromkeys(DIRECTORY_READERS, 200)), json=True),
    Row("/api/v1/directory/<int:entry_id>/", "PATCH", staff_api(coordinator=200), json=True),  # nothing to change
    Row("/api/v1/directory/<int:entry_id>/", "DELETE", staff_api(coordinator=204), json=True, last=True),
    Row("/api/v1/directory/<int:entry_id>/", "POST", all_staff(405, api=True), json=True, probe=True),
    # Manual entry (empty body: nothing recorded).
    Row("/api/v1/cases/", "POST", staff_api(**dict.fromkeys(RECORDERS, 400)), json=True),
    Row("/api/v1/counselling-statistics/", "GET", staff_api(coordinator=200, partner_admin_a=200), json=True),
    Row("/api/v1/exports/<slug:network>/", "GET", staff_api(coordinator=200, partner_admin_a=200), json=True),
    Row("/api/v1/auth/login/", "GET", everyone(405), json=True, probe=True),
    *(Row(f"/api/v1/cases/{CASE}/{action}", "GET", all_staff(405, api=True), json=True, probe=True,
          expect_case_c=all_staff(405, api=True))
      for action in ("status/", "take/", "messages/", "notes/", "transfer/", "duplicate/", "delete/", "assign/",
                     "files/")),
]


# ------------------------------------------------------------------------------ enumeration


def resolver_routes() -> set[str]:
    routes = set()
    for route, _pattern in url_patterns():
        if route.startswith("/operator/") and route != "/operator/":
            continue  # Django admin internals: only its index is in the matrix
        if route.startswith(("/static/", "/media/")):
            continue
        routes.add(route)
    return routes


def schema_operations() -> set[tuple[str, str]]:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    methods = {"get", "post", "put", "patch", "delete"}
    return {(path, method.upper()) for path, item in paths.items() for method in item if method in methods}


def as_schema_path(route: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_endpoint_has_a_row() -> None:
    """Every resolver pattern and every schema operation is in TABLE, and nothing else is."""
    routes = resolver_routes()
    in_table = {row.route for row in TABLE}
    assert not routes - in_table, f"URL patterns without a row in the access matrix: {sorted(routes - in_table)}"
    assert not in_table - routes, f"rows for URL patterns that do not exist: {sorted(in_table - routes)}"
    operations = schema_operations()
    api_rows = {(as_schema_path(row.route), row.method) for row in TABLE
                if row.route.startswith("/api/v1/") and not row.probe}
    assert not operations - api_rows, f"API operations without a row: {sorted(operations - api_rows)}"
    assert not api_rows - operations, f"rows for API operations missing from the schema: {sorted(api_rows - operations)}"
    probes = {(as_schema_path(row.route), row.method) for row in TABLE if row.probe}
    assert not probes & operations, f"probe rows for operations the schema offers: {sorted(probes & operations)}"
    rows = [(row.route, row.method, row.body.get("body")) for row in TABLE]
    assert len(rows) == len(set(rows)), "duplicate rows"


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    clients: dict[str, Client]
    fresh: dict[str, Callable[[], Client]]
    receipts: dict[str, str]
    case_a: Any
    case_c: Any
    attachment_uuid: str
    help_service: int
    directory_entry: int  # removed through the API (the page's delete removes help_service)
    member_own: int  # a counsellor of organisation A (victim of the admin actions)
    member_foreign: int  # a counsellor of organisation B
    template_own: int  # a reply template of organisation A
    template_foreign: int  # a reply template of organisation B


@pytest.fixture
def world(make_org: Any, make_member: Any, submit: Any, settings: Any) -> World:
    settings.FOLLOWUP_MAX_FAILURES = 10_000  # every non-reporter role tries a wrong receipt
    org_a_ = make_org("matrix-a", is_fallback=True)
    org_b_ = make_org("matrix-b", statewide=False)
    b = submit(description=f"{MARKER_B} at the station", motives=["racism"])
    org_h_ = make_org("matrix-h")  # the copy holder's organisation
    holder = make_member(org_h_, username="m-copy-holder").membership.user
    a = submit(description=f"{MARKER_A} at the bus stop", motives=["racism"], partner="matrix-h",
               files=(FileInput("beweis.png", PNG, "image/png"),))
    assert a.case.organisation_id == org_h_.organisation.pk
    case_transfer(actor=holder, case=a.case, to_organisation=org_a_.organisation,
                  org_private_key=org_h_.private_key, keep_copy=True)
    a.case.refresh_from_db()
    assert a.case.organisation_id == b.case.organisation_id == org_a_.organisation.pk
    c = report_submit(report=ReportInput(description=f"{MARKER_C} by phone", motives=["racism"], channel="phone"),
                      organisation=org_b_.organisation)
    classification_save(actor=None, case=c.case, data={
        "incident_type": "assault", "motives": ["racism"], "area_of_life": "public_space", "district": "03241",
        "year": YEAR, "month": 5, "channel": "phone", "people_affected": 1,
    })
    statistics_publish(actor=None, year=YEAR)

    users = {
        "counsellor_a": make_member(org_a_, username="m-counsellor-a").membership.user,
        "counsellor_b": make_member(org_b_, username="m-counsellor-b").membership.user,
        "partner_admin_a": make_member(org_a_, username="m-admin-a", role=Membership.Role.PARTNER_ADMIN).membership.user,
        "coordinator": make_member(None, username="m-coordinator", role=Membership.Role.COORDINATOR).membership.user,
        "copy_holder": holder,
    }
    root = get_user_model().objects.create_superuser("m-root", "root@example.org", PASSWORD)
    TOTPDevice.objects.create(user=root, name="default", confirmed=True)
    users["superuser"] = root

    clients: dict[str, Client] = {}
    for number, role in enumerate(ROLES, start=1):
        client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"192.0.2.{number}")
        if role in users:
            user = users[role]
            response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD,
                                                     "otp": totp_code(user)})
            assert response.status_code == 302, (role, response.content[:300])
        clients[role] = client

    def fresh_client(role: str) -> Callable[[], Client]:
        def make() -> Client:
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            if role in users:
                client.force_login(users[role])
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=users[role]).persistent_id
                session.save()
            return client
        return make

    return World(
        clients=clients, fresh={role: fresh_client(role) for role in ROLES},
        receipts={"reporter_a": a.receipt_code, "reporter_b": b.receipt_code},
        case_a=a.case, case_c=c.case, attachment_uuid=a.case.attachments.get().uuid.hex,
        help_service=help_service_save(actor=None, name="Matrix help", kind="other").pk,
        directory_entry=help_service_save(actor=None, name="Matrix referral", kind="legal_advice",
                                          referral_only=True).pk,
        member_own=make_member(org_a_, username="m-victim-a").membership.pk,
        member_foreign=make_member(org_b_, username="m-other-b").membership.pk,
        template_own=reply_template_save(actor=None, organisation=org_a_.organisation, kind="first_answer",
                                         language="de", body="Danke für Ihre Meldung {reference}.").pk,
        template_foreign=reply_template_save(actor=None, organisation=org_b_.organisation, kind="closing",
                                             language="de", body="Wir schließen den Fall.").pk,
    )


# ------------------------------------------------------------------------------ the matrix


def _variants(row: Row, world: World) -> list[tuple[str, dict[str, Any], dict[str, Expected]]]:
    """(label, URL parameters, expected answers) for each object the row is checked with."""
    base = {"year": YEAR, "version": 1, "attachment_uuid": world.attachment_uuid, "network": "rias",
            "service_id": world.help_service, "entry_id": world.directory_entry}
    if "<int:case_id>" in row.route:
        return [("case A", {**base, "case_id": world.case_a.pk}, row.expect),
                ("case C", {**base, "case_id": world.case_c.pk}, _case_c(row))]
    if "<int:template_id>" in row.route:
        foreign = dict(row.expect) if row.probe else {**row.expect, "partner_admin_a": 404}
        return [("own template", {**base, "template_id": world.template_own}, row.expect),
                ("foreign template", {**base, "template_id": world.template_foreign}, foreign)]
    if "<int:member_id>" in row.route:
        foreign = dict(row.expect) if row.probe else {**row.expect, "partner_admin_a": 404}
        return [("own member", {**base, "member_id": world.member_own}, row.expect),
                ("foreign member", {**base, "member_id": world.member_foreign}, foreign)]
    return [("", base, row.expect)]


def _url(route: str, params: dict[str, Any]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), route)


def _matches(expected: Expected, response: Any) -> bool:
    if isinstance(expected, tuple):
        return any(_matches(one, response) for one in expected)
    if isinstance(expected, int):
        return response.status_code == expected
    status, target = expected.split(" ", 1)
    path = response.get("Location", "").split("?", 1)[0]
    if target.endswith("*"):
        return response.status_code == int(status) and path.startswith(target[:-1])
    return response.status_code == int(status) and path == target


def _observed(response: Any) -> str:
    location = response.get("Location")
    return f"{response.status_code} {location}" if location else str(response.status_code)


def _content(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


def _request(row: Row, world: World, role: str, url: str) -> Any:
    client = world.fresh[role]() if row.fresh else world.clients[role]
    body = dict(row.body)
    if row.receipt:
        body["receipt"] = world.receipts.get(role) or crypto.new_receipt_code()  # a wrong code for others
    if row.token:
        body["lookup_token"] = browser_lookup_token(world.receipts.get(role) or crypto.new_receipt_code())
    if row.method == "GET":
        return client.get(url)
    if row.sealed_files:
        attachment_id = secrets.token_hex(16)  # the browser's random id: fresh for every request
        stream = io.BytesIO()
        crypto.encrypt_stream(crypto.new_key(), [b"matrix file"], stream, case_id="S-x", attachment_id=attachment_id)
        stream.seek(0)
        stream.name = "blob"
        body["attachments"] = [{"id": attachment_id, "meta": base64.b64encode(b"\x01" + bytes(12 + 1024 + 16)).decode()}]
        return client.post(url, {"sealed": json.dumps(body), "file": [stream]})
    if row.json:
        return client.generic(row.method, url, json.dumps(body), content_type="application/json")
    return client.generic(row.method, url, urlencode(body), content_type="application/x-www-form-urlencoded")


def test_access_matrix(world: World) -> None:
    mismatches: list[str] = []
    checks = 0
    ordered = [row for row in TABLE if not row.last] + [row for row in TABLE if row.last]
    for row in ordered:
        for label, params, expect in _variants(row, world):
            url = _url(row.route, params)
            order = [r for r in ROLES if r != "reporter_a"] + ["reporter_a"] if row.last else list(ROLES)
            for role in order:
                before = case_state(world.case_a.pk) if role == "copy_holder" else None
                response = _request(row, world, role, url)
                checks += 1
                where = f"{row.method} {url} ({label or row.route}) as {role}"
                if before is not None and case_state(world.case_a.pk) != before:
                    mismatches.append(f"{where}: the copy holder changed case A")
                if not _matches(expect[role], response):
                    mismatches.append(f"{where}: expected {expect[role]}, got {_observed(response)}")
                content = _content(response)
                for marker, readers in MAY_READ.items():
                    if marker in content and role not in readers:
                        mismatches.append(f"{where}: LEAK of {marker}")
                relevant = {"case A": {MARKER_A}, "case C": {MARKER_C}}.get(label, {MARKER_A, MARKER_B})
                for must_role, marker in row.must_show:
                    if must_role == role and marker in relevant and marker not in content:
                        mismatches.append(f"{where}: {marker} missing from the answer")
    assert checks > 500, checks
    assert not mismatches, f"{len(mismatches)} of {checks} checks failed:\n" + "\n".join(mismatches)
