"""Tasks run by the django-q2 cluster: dumb wrappers that call a service."""

from __future__ import annotations

from counselling.retention import retention_purge


def purge_expired_task() -> int:
    """Daily (schedule "retention-purge", created by a migration): shred expired cases."""
    return retention_purge()
