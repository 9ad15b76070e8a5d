"""The directory of further help (SPEC §4.0, §5.1), kept by the coordinator: the one directory
the reporter's help page shows (entries not ``referral_only``) and counsellors refer people to
(every entry). Public contacts of services, nothing about reporters."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from meldestelle.errors import ApplicationError
from reporting.audit import AuditAction, audit_log
from reporting.models import HelpService

EDITABLE = ("name", "kind", "description", "phone", "web", "languages", "region", "position", "referral_only")
# As people dial it: digits, spaces, brackets, slashes, hyphens and a leading +.
PHONE_PATTERN = re.compile(r"\+?[0-9 ()/\-]{2,40}")


def phone_is_valid(value: str) -> bool:
    return not value or PHONE_PATTERN.fullmatch(value) is not None


def help_services(*, help_page: bool = False) -> QuerySet[HelpService]:
    """The directory in its order (what counsellors refer to); ``help_page``: only what the
    reporter's help page shows."""
    entries = HelpService.objects.all()
    return entries.filter(referral_only=False) if help_page else entries


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
        try:
            entry.full_clean()
        except ValidationError as exc:
            raise ApplicationError("invalid", _("Some answers need another look."), fields={
                name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}) from exc
        entry.save()
        audit_log(actor=actor, action=AuditAction.HELP_SERVICE_SAVED,
                  data={"help_service": entry.pk, "fields": sorted(fields), "created": service is None})
    return entry


def help_service_delete(*, actor: Any, service: HelpService) -> None:
    """Remove an entry; referrals to it stay (their service becomes empty), so the counselling
    statistics keep counting them."""
    with transaction.atomic():
        entry_id = service.pk
        service.delete()
        audit_log(actor=actor, action=AuditAction.HELP_SERVICE_DELETED, data={"help_service": entry_id})
