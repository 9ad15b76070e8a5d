"""The daily audit anchor (SPEC §3.9): the chain head, kept outside the database.

Once a day (schedule "audit-anchor", created by a migration) the chain is verified, its head
(entry id and MAC) is stored as an `AuditAnchor` and, after commit, e-mailed to every
coordinator. The e-mail holds the anchor value and nothing else. Kept by the coordinators, it
lets `verify_audit_chain --anchor VALUE` show that no entry up to it was removed or rewritten,
even by someone who rolled the whole database back.

A broken chain is logged at ERROR (entry id only) and shown on the coordinator's audit page.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from counselling.models import Membership
from reporting.audit import audit_anchor_create, audit_verify_chain, audit_verify_stored_anchors
from reporting.models import AuditAnchor
from reporting.tasks import deliver_once

logger = logging.getLogger(__name__)


def audit_anchor_daily() -> int | None:
    """Verify, anchor, and queue the e-mails; the new anchor's id (None for an empty log)."""
    # Outside the head lock: the walk reads the whole log while others keep writing.
    problem = audit_verify_chain() or audit_verify_stored_anchors()
    if problem is not None:
        logger.error("%s", problem)
    with transaction.atomic():
        anchor = audit_anchor_create(verdict=problem)
        if anchor is None:
            return None
        anchor_id, notice_id = anchor.pk, uuid.uuid4().hex
        transaction.on_commit(
            lambda: async_task("counselling.tasks.send_audit_anchor", anchor_id, notice_id=notice_id)
        )
    return anchor_id


def _coordinator_addresses() -> list[tuple[int, str]]:
    return list(
        get_user_model().objects.filter(membership__role=Membership.Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", "email")
    )


def anchor_mail(anchor: AuditAnchor) -> tuple[str, str]:
    """Subject and body in the site language: the anchor value and how to use it, nothing else."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Today's audit log anchor")
        body = _(
            "Today's anchor of the Meldestelle audit log is:\n\n{anchor}\n\n"
            "Please keep this e-mail. With this value the operator can show that no entry of the "
            "audit log up to today was removed or changed later:\n"
            "manage.py verify_audit_chain --anchor {anchor}\n"
        ).format(anchor=anchor.value)
    return str(subject), str(body)


def send_audit_anchor(anchor_id: int, notice_id: str | None = None) -> int:
    """E-mail one anchor to every coordinator, once each; how many e-mails went out now."""
    anchor = AuditAnchor.objects.filter(pk=anchor_id).first()
    if anchor is None:
        return 0
    subject, body = anchor_mail(anchor)
    sent = 0
    for user_id, address in _coordinator_addresses():

        def send(address: str = address) -> int:
            return send_mail(subject, body, None, [address])

        sent += deliver_once(notice_id, f"user{user_id}", send)
    return sent
