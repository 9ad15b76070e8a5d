"""Helpers shared by several test modules (fixtures stay in the conftest files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

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
