"""Keep statistics records in step with their case's status.

Why a signal: the case services live in ``reporting``, which must not import ``stats`` (the
dependency points the other way).  A record whose case is rejected, or marked as a duplicate,
must stop counting *before* the case can be shredded - after shredding the link is NULL and
only the record's own ``excluded`` flag is left to decide.  The receiver is one conditional
UPDATE inside the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from reporting.models import Case


@receiver(post_save, sender=Case, dispatch_uid="stats_record_sync_case")
def _case_saved(sender: type[Case], instance: Case, created: bool, **kwargs: Any) -> None:
    if created:
        return
    from stats.services import record_sync_case

    record_sync_case(case=instance)
