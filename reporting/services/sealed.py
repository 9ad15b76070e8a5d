"""Reports sealed in the reporter's browser (SPEC §3.10): the server never sees what was written.

Two steps. `seal_offer` takes codes only (district, motives, language, chosen organisation),
routes them as a submission would, and returns a case binding (a random string, signed into a
short-lived, single-use token together with the routed organisation and its key epoch) and that
organisation's verified public key. The browser binds everything it encrypts to the binding:
AES-GCM associated data, HPKE `info`, the receipt wrap's HKDF salt, exactly as
`reporting.crypto` does for a case whose binding is its reference.

`sealed_report_submit` takes the ciphertexts (with the files' streams, already in the attachment
store: reporting.services.sealed_files), checks the token and the formats by length and
shape (it cannot read them), and stores the case like any other: numbered at arrival, routed to
the organisation of the token, one grant sealed to its current epoch, the audit entry and the
new-case notice. A counsellor opens it exactly like a case encrypted on the server.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from meldestelle.db import GuardFailed, insert_together
from reporting import crypto, snapshot
from reporting.audit import AuditAction, audit_log
from reporting.models import Case, CaseGrant, Incident, Organisation, OrganisationKey
from reporting.services.common import PURPOSE_NOTIFY, ServiceError
from reporting.services.keys import organisation_key_hold, organisation_sealing_key
from reporting.services.sealed_files import SealedFile, check_sealed_files, sealed_files_store
from reporting.services.submission import (
    _claim_turn,
    _next_number,
    _reference,
    at_once_applies,
    new_case_notice,
    notice_after_commit,
    route_among,
    store_at_once,
)
from reporting.taxonomy import Channel
from reporting.traces import MIN_BUCKET, to_the_hour

logger = logging.getLogger(__name__)

_BINDING_SALT = "reporting.sealed.binding"
# The browser asks for the binding when the person presses "send" and seals at once.
BINDING_MAX_AGE_SECONDS = 15 * 60
BINDING_PREFIX = "S-"
# A report of at most 20,000 characters (4 bytes each in UTF-8 at worst) and its short answers
# pads to at most this bucket (reporting.traces).
REPORT_MAX_BUCKET = 128 * 1024


def _used_key(binding: str) -> str:
    return "seal-binding-used:" + hashlib.sha256(binding.encode()).hexdigest()


@dataclass(frozen=True)
class SealOffer:
    token: str  # signed: binding, organisation, key epoch, the codes; single use
    binding: str  # what every ciphertext of the case is bound to
    organisation_id: int
    key_version: int
    public_key: bytes  # verified (SPEC §3.9) before it is offered


def seal_offer(*, district: str, motives: Sequence[str], language: str, partner: str) -> SealOffer:
    """Route the codes and offer a binding and the routed organisation's current public key.

    ServiceError('no_organisation') if nobody can receive reports; KeyUnverified (a
    ServiceError) if the organisation's stored key fails its MAC: nothing is offered.
    """
    organisations = list(Organisation.objects.all())
    organisation = route_among(
        organisations, district=district, motives=motives, language=language, partner=partner
    )
    key = organisation_sealing_key(organisation)
    binding = BINDING_PREFIX + secrets.token_hex(16)
    token = signing.dumps(
        {"b": binding, "o": organisation.pk, "v": key.version, "d": district,
         "m": sorted(set(motives)), "l": language},
        salt=_BINDING_SALT, compress=True,
    )
    return SealOffer(
        token=token, binding=binding, organisation_id=organisation.pk, key_version=key.version,
        public_key=bytes(key.public_key),
    )


@dataclass(frozen=True)
class SealedReport:
    """What the browser sends: ciphertexts, codes, and the look-up token of the receipt code."""

    token: str
    sealed_case_key: bytes  # HPKE to the offered key, info bound to the binding, "case-key"
    sealed_internal_key: bytes  # likewise, "internal-key"
    report_ciphertext: bytes  # AES-GCM under the case key, padded JSON, "report"
    lookup_token: bytes  # crypto.receipt_lookup_token(code)
    reporter_wrap: bytes  # the case key under crypto.receipt_kek(code, binding)
    incident_type: str = ""
    wants_counselling: bool = False
    notify_email: str = ""  # the server must read it to send notices: encrypted on arrival
    consent_contact: bool = True
    consent_statistics: bool = True
    consent_network: bool = False
    consent_publication: bool = False
    channel: str = Channel.ONLINE_FORM
    # Streamed into the attachment store by the upload handler; the caller removes their blobs
    # when this raises (reporting.services.sealed_files).
    files: tuple[SealedFile, ...] = ()


def _claims(token: str) -> dict[str, Any]:
    try:
        claims = signing.loads(token, salt=_BINDING_SALT, max_age=BINDING_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise ServiceError("binding_expired", "The binding has expired.") from exc
    except signing.BadSignature as exc:
        raise ServiceError("binding_invalid", "The binding is not one of ours.") from exc
    if not (
        isinstance(claims, dict) and isinstance(claims.get("b"), str) and claims["b"].startswith(BINDING_PREFIX)
        and isinstance(claims.get("o"), int) and isinstance(claims.get("v"), int)
        and isinstance(claims.get("d"), str) and isinstance(claims.get("m"), list)
        and isinstance(claims.get("l"), str)
    ):
        raise ServiceError("binding_invalid", "The binding is not one of ours.")
    return claims


def _check_formats(sealed: SealedReport) -> None:
    """Length and shape only: the server cannot open any of it."""
    ok = (
        len(sealed.sealed_case_key) == crypto.SEALED_KEY_BYTES
        and len(sealed.sealed_internal_key) == crypto.SEALED_KEY_BYTES
        and sealed.sealed_case_key != sealed.sealed_internal_key
        and len(sealed.lookup_token) == crypto.RECEIPT_TOKEN_BYTES
        and len(sealed.reporter_wrap) == crypto.WRAPPED_KEY_BYTES
        and sealed.reporter_wrap[:1] == b"\x01"
        and crypto.padded_ciphertext_ok(sealed.report_ciphertext, min_bucket=MIN_BUCKET, max_bucket=REPORT_MAX_BUCKET)
    )
    if not ok:
        raise ServiceError("malformed", "The encrypted report does not have the expected format.")
    check_sealed_files(sealed.files)


def sealed_report_submit(*, sealed: SealedReport) -> Case:
    """Store a browser-sealed report as a new case; ServiceError and nothing stored if the token
    is expired, forged or used, a format is wrong, or the organisation's key epoch changed.

    No global critical section (issue 16), as for a report sealed on the server
    (reporting.services.submission): the number and the routing turn are statements of their
    own before the rows are written, and the rows are written under a shared hold on the
    organisation's key epoch; on PostgreSQL, for a report without files, in one statement.
    """
    claims = _claims(sealed.token)
    _check_formats(sealed)
    binding: str = claims["b"]
    if not cache.add(_used_key(binding), 1, timeout=BINDING_MAX_AGE_SECONDS):
        raise _binding_used()
    organisation, key = _offered_key(claims)
    now = timezone.now()
    received_at = to_the_hour(now)
    received_on = timezone.localdate(now)
    number, case_id, incident_id = _next_number(received_on.year, with_ids=True)
    _claim_turn(organisation, received_at=received_at, contested=False)
    case = Case(
        pk=case_id,
        created_at=received_at,
        reference=_reference(received_on.year, number),
        seal_binding=binding,
        organisation=organisation,
        channel=sealed.channel,
        received_on=received_on,
        district=claims["d"] or "unknown",
        incident_type=sealed.incident_type,
        motives=sorted(set(claims["m"])),
        language=claims["l"],
        wants_counselling=sealed.wants_counselling,
        consent_contact=sealed.consent_contact,
        consent_statistics=sealed.consent_statistics,
        consent_network=sealed.consent_network,
        consent_publication=sealed.consent_publication,
        staff_unread=True,
        notice_pending=notice_after_commit(),
        last_reporter_activity_at=received_at,
        updated_at=received_at,
        report_ciphertext=sealed.report_ciphertext,
        receipt_lookup=crypto.receipt_lookup_from_token(settings.RECEIPT_PEPPER, sealed.lookup_token),
        reporter_wrapped_key=sealed.reporter_wrap,
    )
    case.incident = Incident(
        pk=incident_id, created_at=received_at, consent_statistics=sealed.consent_statistics,
        consent_network=sealed.consent_network, consent_publication=sealed.consent_publication,
    )
    if sealed.notify_email:
        case.notify_ciphertext = crypto.encrypt(
            settings.NOTIFICATION_KEY, sealed.notify_email.encode(), case_id=binding, purpose=PURPOSE_NOTIFY
        )
    # Who can decrypt: members of the organisation holding epoch `key.version` (if the browser
    # sealed honestly; the first unlock opens it and flags a seal that does not open:
    # keys.browser_seals_check).
    grant = CaseGrant(
        case=case, organisation=organisation, key_version=key.version,
        sealed_case_key=sealed.sealed_case_key, sealed_internal_key=sealed.sealed_internal_key,
        seal_check=CaseGrant.SealCheck.PENDING, created_at=received_at,
    )
    rows: list[Any] = [case.incident, case, grant]
    data = {"channel": sealed.channel, "files": len(sealed.files)}
    if not sealed.files and at_once_applies(case):
        try:
            store_at_once(rows, case, key, actor=None, data=data)
        except GuardFailed as exc:
            raise _binding_stale() from exc
        except IntegrityError:
            if Case.objects.filter(seal_binding=binding).exists():
                raise _binding_used() from None
            raise
        return case
    with transaction.atomic():
        hold = organisation_key_hold(organisation)
        if not hold.active or hold.key_id != key.pk:
            raise _binding_stale()
        if Case.objects.filter(seal_binding=binding).exists():
            raise _binding_used()
        if case.pk is None:
            # The ids come from the inserts (SQLite): the files and the audit entry need the case's.
            insert_together(rows)
            rows = []
        sealed_files_store(case=case, files=sealed.files)
        audit_log(
            actor=None, action=AuditAction.CASE_SUBMITTED, case_id=case.pk, organisation_id=organisation.pk,
            data=data, deferred=True, insert_with=rows,
        )
        insert_together(rows)
        new_case_notice(case)
    return case


def _offered_key(claims: dict[str, Any]) -> tuple[Organisation, OrganisationKey]:
    """The organisation and key epoch the binding was offered for, from the process's snapshot
    of the organisations (read again once when they do not match it); binding_stale if the
    organisation no longer receives reports or its epoch changed since the offer. The hold
    under which the rows are written checks both again."""
    for attempt in range(2):
        if attempt:
            snapshot.clear()
        organisation = next((org for org in snapshot.organisations() if org.pk == claims["o"] and org.active), None)
        key = snapshot.sealing_key(organisation) if organisation is not None else None
        if organisation is not None and key is not None and key.version == claims["v"]:
            return organisation, key
    raise _binding_stale()


def _binding_stale() -> ServiceError:
    # Paused or rotated since the offer: the browser asks again and seals to the new epoch.
    return ServiceError("binding_stale", "The organisation no longer receives reports under this key epoch.")


def _binding_used() -> ServiceError:
    return ServiceError("binding_used", "The binding was used before.")
