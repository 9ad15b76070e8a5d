"""Retention (SPEC §5): closed cases are crypto-shredded a set time after closing.

The clock starts at the later of closing and the reporter's last input (a message or a file
from the reporter after closing restarts it). The period is the organisation's
`retention_days` (default 365), or `rejected_retention_days` (default 30) for rejected cases.
A case is due once the full period (in 24-hour days) has passed; the daily task at 03:00
picks it up at its first run after that. Statistics records live in the stats app, keep no
link to content and are not touched here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import (
    Case as CaseWhen,
)
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from reporting.models import Case
from reporting.services import case_shred
from reporting.taxonomy import CLOSED_STATUSES, CaseStatus

logger = logging.getLogger(__name__)



def cases_due_for_deletion(now: datetime) -> QuerySet[Case]:
    """Closed cases whose retention period has run out at `now`, in one query.

    The organisation's retention settings are joined in and compared row by row:
    `now - max(closed_at, last_reporter_activity_at) >= days × 1 day`.
    """
    clock_start = Greatest(F("closed_at"), Coalesce(F("last_reporter_activity_at"), F("closed_at")))
    retention_days = CaseWhen(
        When(status=CaseStatus.REJECTED, then=F("organisation__rejected_retention_days")),
        default=F("organisation__retention_days"),
        output_field=IntegerField(),
    )
    return (
        Case.objects.filter(status__in=CLOSED_STATUSES, closed_at__isnull=False)
        .alias(
            retention_age=ExpressionWrapper(
                Value(now, output_field=DateTimeField()) - clock_start, output_field=DurationField()
            ),
            retention_period=ExpressionWrapper(
                retention_days * Value(timedelta(days=1)), output_field=DurationField()
            ),
        )
        .filter(retention_age__gte=F("retention_period"))
        .order_by("pk")
    )


def retention_purge(*, now: datetime | None = None) -> int:
    """Crypto-shred every case due at `now`; returns how many were shredded.

    Each case is shredded in its own transaction, after locking it and checking again that it
    is still due (the reporter may have written in the meantime). A case that fails is logged
    by id and left for the next run; the others go ahead.
    """
    now = now or timezone.now()
    due_ids = list(cases_due_for_deletion(now).values_list("pk", flat=True))
    shredded = 0
    for case_id in due_ids:
        try:
            with transaction.atomic():
                case = Case.objects.select_for_update().filter(pk=case_id).first()
                if case is None or not cases_due_for_deletion(now).filter(pk=case_id).exists():
                    continue
                case_shred(actor=None, case=case, reason="retention")
        except Exception as exc:
            # Only the id and the kind of error: an exception message might quote content.
            logger.error("retention: case %s could not be shredded (%s)", case_id, type(exc).__name__)
            continue
        shredded += 1
    if due_ids:
        logger.info("retention: %s of %s due cases shredded", shredded, len(due_ids))
    return shredded
