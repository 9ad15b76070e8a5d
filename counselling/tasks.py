"""Tasks run by the django-q2 cluster: dumb wrappers that call a service."""

from __future__ import annotations

from django.core.management import call_command

from counselling.digest import send_daily_digests as _send_daily_digests
from counselling.retention import retention_purge


def purge_expired_task() -> int:
    """Daily (schedule "retention-purge", created by a migration): shred expired cases."""
    return retention_purge()


def send_daily_digests() -> int:
    """Daily (schedule "staff-digest", created by a migration): content-free summary e-mails."""
    return _send_daily_digests()


def clear_expired_sessions() -> None:
    """Daily (schedule "sessions-clear", created by a migration): `clearsessions` removes expired
    sessions, with the unlock ciphertexts they hold (SPEC §3.9)."""
    call_command("clearsessions")
