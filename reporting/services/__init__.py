"""Writes of the case core: organisations and keys, submission, grants, the mailbox, transfer,
shredding.

Each service is one transaction, takes `actor=` where a person acts, and writes its audit
entry itself. Keys arrive as arguments (the caller unlocked them); nothing here keeps them.
The parts live in submodules; this package is the one place callers import from.
"""

from __future__ import annotations

from reporting.services.cases import (
    case_mark_duplicate,
    case_set_status,
    case_shred,
    case_take,
    case_transfer,
    case_unmark_duplicate,
)
from reporting.services.common import CaseKeys, ServiceError, case_binding
from reporting.services.conversation import (
    ReporterAccess,
    message_post,
    message_purpose,
    message_text,
    messages_mark_read,
    note_add,
    note_text,
    notify_address,
    report_decrypt,
    reporter_find,
    reporter_open,
    sealed_message_post,
)
from reporting.services.help import help_service_delete, help_service_save, help_services
from reporting.services.keys import (
    KeyMismatch,
    KeyUnverified,
    RotatedKey,
    RotationReason,
    browser_seals_check,
    case_keys_for_organisation,
    organisation_key_check,
    organisation_key_mark_due,
    organisation_key_rotate,
    organisation_keys_mark_due,
    organisation_private_key_from_recovery,
    organisation_sealing_key,
)
from reporting.services.organisations import (
    NewOrganisation,
    organisation_create,
    organisation_update,
)
from reporting.services.sealed import SealedReport, SealOffer, seal_offer, sealed_report_submit
from reporting.services.submission import (
    FileInput,
    ReportInput,
    Submitted,
    attachment_add,
    attachment_meta,
    attachment_open,
    report_submit,
)

__all__ = [
    "help_service_delete",
    "help_service_save",
    "help_services",
    "CaseKeys",
    "FileInput",
    "KeyMismatch",
    "KeyUnverified",
    "NewOrganisation",
    "ReportInput",
    "ReporterAccess",
    "RotatedKey",
    "RotationReason",
    "ServiceError",
    "Submitted",
    "attachment_add",
    "attachment_meta",
    "attachment_open",
    "case_binding",
    "browser_seals_check",
    "case_keys_for_organisation",
    "case_mark_duplicate",
    "case_set_status",
    "case_shred",
    "case_take",
    "case_transfer",
    "case_unmark_duplicate",
    "message_post",
    "message_purpose",
    "message_text",
    "messages_mark_read",
    "note_add",
    "note_text",
    "notify_address",
    "organisation_create",
    "organisation_key_check",
    "organisation_key_mark_due",
    "organisation_key_rotate",
    "organisation_keys_mark_due",
    "organisation_private_key_from_recovery",
    "organisation_sealing_key",
    "organisation_update",
    "report_decrypt",
    "report_submit",
    "seal_offer",
    "sealed_report_submit",
    "SealedReport",
    "SealOffer",
    "reporter_find",
    "reporter_open",
    "sealed_message_post",
]
