"""What the statistics do when the case core announces a change (``reporting.signals``).

Only declared signals sent by the case services inside their transaction; no model signals.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from reporting.models import Incident
from reporting.signals import incident_merged


@receiver(incident_merged, sender=Incident, dispatch_uid="stats_incident_merged")
def _incident_merged(sender: type[Incident], source_id: int, target_id: int, **kwargs: Any) -> None:
    """The source incident is about to go: its record moves to the target, unless the target
    is classified already (then the target's classification stays, SPEC §6)."""
    from stats.services import record_merge

    record_merge(source_incident_id=source_id, target_incident_id=target_id)
