"""Tasks run by the django-q2 cluster: dumb wrappers that call a service."""

from __future__ import annotations

from django.core.management import call_command

from counselling import notifications
from counselling.audit_anchor import audit_anchor_daily
from counselling.audit_anchor import send_audit_anchor as _send_audit_anchor
from counselling.keys import org_keys_due_daily
from counselling.keys import send_key_rotation_due as _send_key_rotation_due
from counselling.retention import retention_purge


def purge_expired_task() -> int:
    """Daily (schedule "retention-purge", created by a migration): shred expired cases."""
    return retention_purge()


def send_daily_digests() -> int:
    """Daily (schedule "staff-digest", created by a migration): content-free summary e-mails."""
    return notifications.send_daily_digests()


def send_new_case_notice(case_id: int, transferred: bool = False, notice_id: str | None = None) -> int:
    """Queued when a case arrives (counselling.notifications): a notice to each member who chose one."""
    return notifications.send_new_case_notice(case_id, transferred, notice_id=notice_id)


def send_new_message_notice(case_id: int, notice_id: str | None = None) -> int:
    """Queued when a reporter writes (counselling.notifications): a notice to each member who chose one."""
    return notifications.send_new_message_notice(case_id, notice_id=notice_id)


def clear_expired_sessions() -> None:
    """Daily (schedule "sessions-clear", created by a migration): `clearsessions` removes expired
    sessions, with the unlock ciphertexts they hold (SPEC §3.9)."""
    call_command("clearsessions")


def audit_anchor_task() -> int | None:
    """Daily (schedule "audit-anchor", created by a migration): verify the audit chain, store
    its head as an anchor and queue the e-mail to the coordinators."""
    return audit_anchor_daily()


def send_audit_anchor(anchor_id: int, notice_id: str | None = None) -> int:
    """Queued by `audit_anchor_task` after commit: the anchor e-mail to each coordinator."""
    return _send_audit_anchor(anchor_id, notice_id=notice_id)


def org_key_rotation_due_task() -> list[int]:
    """Daily (schedule "org-key-rotation", created by a migration): mark organisation keys
    older than ORG_KEY_ROTATION_DAYS as due and tell the partner admins. The server holds no
    organisation key at rest, so the rotation itself happens at the next unlock of a member."""
    return org_keys_due_daily()


def send_key_rotation_due(organisation_id: int, notice_id: str | None = None) -> int:
    """Queued by `org_key_rotation_due_task`: the content-free notice to the partner admins."""
    return _send_key_rotation_due(organisation_id, notice_id=notice_id)


def send_deadline_reminders() -> int:
    """Hourly (schedule "deadline-reminders", created by a migration): the content-free
    reminders of due deadlines; failed ones are retried at the next run."""
    from counselling.casework import deadline_reminders_run

    return deadline_reminders_run()
