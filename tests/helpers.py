"""Helpers shared by several test modules: the one place they live (fixtures stay in the
conftest files, which take their helpers from here too; test modules import nothing from
conftest files or from each other)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from pypdf import PdfWriter

from reporting import crypto
from reporting.models import Attachment, AuditEntry, Case, CaseGrant, Incident, Message, Note
from stats.models import StatisticsRecord

# Reading is audited: a look at the case or a download writes these and nothing else.
READ_ACTIONS = ("counselling.case.viewed", "counselling.attachment.downloaded", "counselling.attachment.viewed")


def case_state(case_id: int) -> dict[str, Any]:
    """Everything an action on the case could change, for before/after comparisons.

    The case row with every field, its messages (with read markers), notes, files, grants, its
    incident and statistics record, and the audit entries about it other than reads.
    """
    case = Case.objects.filter(pk=case_id).values().first()
    incident_id = case["incident_id"] if case else None
    return {
        "case": case,
        "messages": list(Message.objects.filter(case_id=case_id)
                         .order_by("pk").values_list("pk", "read_at")),
        "notes": list(Note.objects.filter(case_id=case_id)
                      .order_by("pk").values_list("pk", flat=True)),
        "attachments": list(Attachment.objects.filter(case_id=case_id)
                            .order_by("pk").values_list("pk", flat=True)),
        "grants": sorted(CaseGrant.objects.filter(case_id=case_id)
                         .values_list("organisation_id", flat=True)),
        "incident": Incident.objects.filter(pk=incident_id).values().first() if incident_id else None,
        "statistics": (StatisticsRecord.objects.filter(incident_id=incident_id).values().first()
                       if incident_id else None),
        "audit": list(AuditEntry.objects.filter(case_id=case_id).exclude(action__in=READ_ACTIONS)
                      .order_by("pk").values_list("pk", "action")),
    }


def url_patterns() -> list[tuple[str, Any]]:
    """Every URL pattern as (route, URLPattern): the route as the resolver spells it, with the
    /de/ prefix for the language-prefixed patterns (the matrix and the fuzzing walk these)."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import LocalePrefixPattern

    def walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for pattern in patterns:
            part = "de/" if isinstance(pattern.pattern, LocalePrefixPattern) else str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + part)
            elif isinstance(pattern, URLPattern):
                found.append(("/" + prefix + part, pattern))
        return found

    return walk(get_resolver().url_patterns, "")


def view_handlers(callback: Any) -> list[tuple[str, Any]]:
    """(HTTP method or "*", handler) for a resolved view: the function, or a class view's methods."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return [("*", callback)]
    return [(name.upper(), getattr(view_class, name)) for name in view_class.http_method_names
            if name != "options" and hasattr(view_class, name)]


def files_in(root: Path | str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def swap_org_public_key(organisation: Any, public_key: bytes, *, forge_mac: bool = False) -> None:
    """What a database writer does (review F-14): one UPDATE of the current key's bytes.

    `forge_mac` also writes a valid MAC, as only a holder of KEY_AUTH_KEY could: then only the
    unlock-time check can notice.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reporting_organisationkey SET public_key = %s WHERE organisation_id = %s AND active",
            [public_key, organisation.pk],
        )
        if forge_mac:
            version = organisation.current_key.version
            mac = crypto.public_key_mac(settings.KEY_AUTH_KEY, kind=crypto.PUBLIC_KEY_ORGANISATION,
                                        owner_id=organisation.pk, version=version, public_key=public_key)
            cursor.execute(
                "UPDATE reporting_organisationkey SET public_key_mac = %s WHERE organisation_id = %s AND active",
                [mac, organisation.pk],
            )


def swap_member_public_key(membership: Any, public_key: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE counselling_membership SET member_public_key = %s WHERE id = %s", [public_key, membership.pk]
        )


def sealed_grant_bytes(case_id: int) -> list[tuple[str, bytes, bytes]]:
    """(case reference, sealed case key, sealed internal key) of every grant of the case, read
    straight from the table, as someone with a copy of the database files would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reference, g.sealed_case_key, g.sealed_internal_key FROM reporting_casegrant g "
            "JOIN reporting_case c ON c.id = g.case_id WHERE g.case_id = %s",
            [case_id],
        )
        return [(reference, bytes(a), bytes(b)) for reference, a, b in cursor.fetchall()]


def opens_grant(private_key: bytes, grant: tuple[str, bytes, bytes]) -> bool:
    reference, sealed_case_key, _sealed_internal_key = grant
    try:
        crypto.unseal(private_key, sealed_case_key, case_id=reference, purpose="case-key")
    except crypto.CryptoError:
        return False
    return True


def reachable_org_keys(organisation_id: int, *, passwords: dict[str, str], recovery_code: str) -> list[bytes]:
    """Every organisation private key that anyone holding the database, the members' passwords
    and the recovery code can still open, read with raw SQL and `crypto` only (not the services
    under test): the members' wraps and pending grants, and every epoch's recovery wraps."""
    found: list[bytes] = []
    params = crypto.Argon2Params(time_cost=settings.ARGON2_TIME_COST, memory_kib=settings.ARGON2_MEMORY_KIB,
                                 lanes=settings.ARGON2_LANES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, u.username, m.kek_salt, m.wrapped_member_key, m.wrapped_org_key, m.pending_org_key "
            "FROM counselling_membership m JOIN auth_user u ON u.id = m.user_id WHERE m.organisation_id = %s",
            [organisation_id],
        )
        members = cursor.fetchall()
        cursor.execute(
            "SELECT version, sealed_for_recovery, wrapped_by_recovery FROM reporting_organisationkey "
            "WHERE organisation_id = %s", [organisation_id],
        )
        epochs = cursor.fetchall()
    for member_id, username, salt, wrapped_member, wrapped_org, pending in members:
        if username not in passwords or not salt:
            continue
        kek = crypto.password_kek(passwords[username], bytes(salt), params)
        owner = f"member:{member_id}"
        if wrapped_org:
            try:
                found.append(crypto.unwrap_key(kek, bytes(wrapped_org), owner=owner, purpose="org-key-wrap"))
            except crypto.CryptoError:
                pass
        if pending and wrapped_member:
            try:
                member_private = crypto.unwrap_key(kek, bytes(wrapped_member), owner=owner, purpose="member-key")
                found.append(crypto.unseal(member_private, bytes(pending), case_id=owner, purpose="pending-grant"))
            except crypto.CryptoError:
                pass
    recovery = crypto.recovery_keypair(recovery_code, organisation_id=organisation_id)
    for version, sealed, wrapped in epochs:
        owner = f"org:{organisation_id}:v{version}"
        if sealed:
            try:
                found.append(crypto.unseal(recovery.private_key, bytes(sealed), case_id=owner, purpose="recovery-seal"))
            except crypto.CryptoError:
                pass
        if wrapped:
            try:
                kek = crypto.recovery_kek(recovery_code, organisation_id=organisation_id)
                found.append(crypto.unwrap_key(kek, bytes(wrapped), owner=owner, purpose="recovery-wrap"))
            except crypto.CryptoError:
                pass
    return found


def incident_record(**overrides: Any) -> Any:
    """One classified incident for the pure statistics tests: an assault out of racism in
    public space in Hannover, March 2025, unless ``overrides`` say otherwise."""
    from stats.tables import IncidentRecord

    fields: dict[str, Any] = {
        "year": 2025, "month": 3, "district": "03241", "incident_type": "assault",
        "motives": ("racism",), "area_of_life": "public_space", "channel": "online_form",
        "people_affected": 1, "antisemitism_forms": (),
    }
    fields.update(overrides)
    return IncidentRecord(**fields)


# --------------------------------------------------------------------------------------------
# Staff: passwords, TOTP codes and the one way tests log in

PASSWORD = "correct horse battery staple"


def totp_code(user: Any) -> str:
    """The current code of the user's device; the next step's if the current one is used up.

    django-otp accepts each time step once (`last_t`), so a second login within 30 seconds
    needs the following step's code (inside the device's tolerance of one step).
    """
    device = TOTPDevice.objects.get(user=user)
    current = (int(time.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - current)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + ahead)
    return f"{token:0{device.digits}d}"


def _user(member: Any) -> Any:
    return member.membership.user if hasattr(member, "membership") else member


def login(client: Any, member: Any, password: str = PASSWORD) -> Any:
    """Post the staff login form (password and the current TOTP code); the response."""
    user = _user(member)
    return client.post("/staff/login/", {"username": user.username, "password": password, "otp": totp_code(user)})


def logged_in(member: Any, client: Any = None, *, api: bool = False, unlocked: bool = True) -> Any:
    """A test client logged in as `member` the way staff log in: password and TOTP, which also
    unlocks the organisation key. The one login helper of the suite.

    `api`: through the API login (JSON), with a client that enforces CSRF as a browser script
    meets it; `client.csrf` holds the token for unsafe requests. `unlocked=False` drops the
    unlock cookie afterwards: logged in, but the session holds no usable organisation key.
    """
    if api:
        client = client or Client(enforce_csrf_checks=True)
        user = _user(member)
        response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                       "otp": totp_code(user)}, content_type="application/json")
        assert response.status_code == 200, response.content
        client.csrf = response.json()["csrf_token"]
    else:
        client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
        response = login(client, member)
        assert response.status_code == 302, response.content[:500]
    if not unlocked:
        del client.cookies[settings.UNLOCK_COOKIE_NAME]
    return client


def case_world(make_org: Any, make_member: Any, submit: Any, **report: Any) -> dict[str, Any]:
    """One case of organisation "home" and everyone who may or may not see it."""
    from counselling.models import Membership

    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    submitted = submit(motives=["racism"], **report)
    superuser = make_member(home, username="root", role=Membership.Role.COORDINATOR)
    superuser.membership.user.is_superuser = True
    superuser.membership.user.is_staff = True
    superuser.membership.user.save()
    return {
        "home": home, "other": other, "case": submitted.case, "receipt": submitted.receipt_code,
        "owner": make_member(home, username="owner"), "colleague": make_member(home, username="colleague"),
        "outsider": make_member(other, username="outsider"),
        "coordinator": make_member(None, username="coord", role=Membership.Role.COORDINATOR),
        "superuser": superuser,
    }


# --------------------------------------------------------------------------------------------
# Reporter side: evidence files, the form and the API


REPORT_FORM_URL = "/en/report/"
REPORTS = "/api/v1/reports/"


def make_jpeg(*, gps: bool = False, size: tuple[int, int] = (32, 24)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x013B] = "MARKERARTIST"  # Artist
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (52.0, 22.0, 30.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (9.0, 44.0, 10.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def make_pdf(*, author: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if author:
        writer.add_metadata({"/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def nothing_stored() -> bool:
    """No case and no file: what every refused submission leaves."""
    return Case.objects.count() == 0 and files_in(settings.MEDIA_ROOT) == []


def receipt_of(response: Any) -> str:
    """The receipt code on the form's success page."""
    match = re.search(rb'data-code="([0-9A-Z-]+)"', response.content)
    assert match, "no receipt on the page"
    return match.group(1).decode()


def post_json(client: Any, url: str, payload: Any, **extra: Any) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", **extra)


def report(**overrides: Any) -> dict[str, Any]:
    """A valid API report; keyword arguments override fields."""
    data = {"description": "Someone spat at me.", "district": "03241", "motives": ["antisemitism"],
            "incident_type": "assault", "occurred_on": "2025-01-02", "consent": True}
    data.update(overrides)
    return data


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The API's one error body with this status (and code); returns the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def solve(challenge: str, difficulty: int) -> str:
    """A nonce whose SHA-256 with the challenge begins with `difficulty` zero bits."""
    nonce = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - difficulty) == 0:
            return str(nonce)
        nonce += 1
def png_bytes(width: int = 2, height: int = 2, color: str = "red") -> bytes:
    """A small valid PNG."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_exif(marker: str, width: int = 64, height: int = 48) -> bytes:
    """A JPEG whose EXIF names `marker` as the camera maker and carries a GPS position."""
    from io import BytesIO

    from PIL import Image

    picture = Image.new("RGB", (width, height), "blue")
    exif = picture.getexif()
    exif[0x010F] = marker  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPSInfo
    out = BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    """A valid PDF with `pages` blank pages."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=300)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
