"""Verify the audit log's MAC chain (with AUDIT_CHAIN_KEY from the environment), the kept
anchors, and optionally an anchor a coordinator received by e-mail.

Exits non-zero and logs at ERROR on any break, naming the entry id only, never content.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.audit import (
    audit_chain_pending,
    audit_verify_anchor,
    audit_verify_chain,
    audit_verify_stored_anchors,
    parse_anchor,
)
from reporting.models import AuditEntry

logger = logging.getLogger("reporting.audit")


class Command(BaseCommand):
    help = "Verify the tamper-evident audit chain, and that no entry up to a kept anchor was removed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor", metavar="VALUE",
            help="an anchor the coordinators received (<entry id>:<hash>); checks that the log still holds it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = None
        if options["anchor"] is not None:
            anchor = parse_anchor(options["anchor"])
            if anchor is None:
                raise CommandError("Not an anchor: expected <entry id>:<64 hex digits>, as in the e-mail.")
        # Entries committed a moment ago may still wait for the chain writer: chain them first.
        audit_chain_pending(wait=True)
        problem = audit_verify_chain() or audit_verify_stored_anchors()
        if problem is None and anchor is not None:
            problem = audit_verify_anchor(anchor)
        if problem is not None:
            logger.error("%s", problem)
            raise CommandError(str(problem))
        count = AuditEntry.objects.count()
        if anchor is not None:
            self.stdout.write(f"Audit chain intact ({count} entries), and it holds the anchor at entry {anchor.entry_id}.")
        else:
            self.stdout.write(f"Audit chain intact ({count} entries).")
