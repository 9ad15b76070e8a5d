"""The directory of further help on the reporter's help page (SPEC §4.0), kept by the
coordinator: public contacts of services, nothing about reporters."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from reporting.audit import AuditAction, audit_log
from reporting.models import HelpService

EDITABLE = ("name", "kind", "description", "phone", "web", "languages", "region", "position")


def help_service_save(
    *, actor: Any, service: HelpService | None = None, is_demo: bool = False, **fields: Any
) -> HelpService:
    """Create an entry (`service=None`; `is_demo` marks the demo's fictional ones) or change
    one; the audit entry names the fields."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        entry = service or HelpService(is_demo=is_demo)
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.full_clean()
        entry.save()
        audit_log(actor=actor, action=AuditAction.HELP_SERVICE_SAVED,
                  data={"help_service": entry.pk, "fields": sorted(fields), "created": service is None})
    return entry


def help_service_delete(*, actor: Any, service: HelpService) -> None:
    with transaction.atomic():
        entry_id = service.pk
        service.delete()
        audit_log(actor=actor, action=AuditAction.HELP_SERVICE_DELETED, data={"help_service": entry_id})
