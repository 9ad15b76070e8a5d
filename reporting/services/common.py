"""What every part of the case core shares: errors, the case binding, purposes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from meldestelle.errors import ApplicationError
from reporting.models import (
    Case,
)

logger = logging.getLogger(__name__)



PURPOSE_REPORT = "report"
PURPOSE_MESSAGE = "message"
PURPOSE_NOTE = "note"
PURPOSE_ATTACHMENT_META = "attachment-meta"
PURPOSE_NOTIFY = "notify-address"
PURPOSE_CASE_KEY = "case-key"
PURPOSE_INTERNAL_KEY = "internal-key"
PURPOSE_REPORTER_WRAP = "reporter-wrap"
PURPOSE_RECOVERY_WRAP = "recovery-wrap"
PURPOSE_RECOVERY_SEAL = "recovery-seal"



# The services raise the one application error (code, translated message, status: see
# meldestelle.errors); ServiceError is its name in the case core.
ServiceError = ApplicationError


def case_binding(case: Case) -> str:
    """What every ciphertext of a case is bound to (associated data): its reference, or for a
    report sealed in the reporter's browser the binding it was sealed to (SPEC §3.10)."""
    return case.seal_binding or case.reference


@dataclass(frozen=True)
class CaseKeys:
    case_key: bytes
    internal_key: bytes | None  # None for the reporter, who never holds it
