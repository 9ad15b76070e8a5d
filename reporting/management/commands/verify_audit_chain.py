"""Verify the audit log's hash chain; exits non-zero and names the first bad entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reporting.audit import audit_verify_chain
from reporting.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the tamper-evident audit chain."

    def handle(self, *args: Any, **options: Any) -> None:
        problem = audit_verify_chain()
        if problem is not None and problem.entry_id is None:
            raise CommandError(f"Audit chain broken: {problem.reason}.")
        if problem is not None:
            raise CommandError(f"Audit chain broken at entry {problem.entry_id}: it {problem.reason}.")
        self.stdout.write(f"Audit chain intact ({AuditEntry.objects.count()} entries).")
