"""Every e-mail to staff about cases (SPEC §5 notifications): notices one per event, and the
daily digest. Content-free: a notice says that something happened and where to look; no
district, motive, reference or content.

Each member chooses (`Membership.Notify`, set on the notifications page):

- IMMEDIATE: one notice per event. The case core announces events after commit
  (`reporting.signals.case_received`, `reporter_wrote`); the receivers here queue a task with
  ids only and a random `notice_id`, and the task sends to every member who chose it. Delivery
  is once per recipient (`reporting.tasks.deliver_once`): a task the broker runs again sends
  what is missing and nothing twice.
- DIGEST: no notices, but once a day the counts of what happened for the organisation since
  the last digest: new reports, new reporter messages, cases transferred in. Each member's
  window is [last_digest_at, now), both on whole hours (reporter-caused times are stored to the
  hour, reporting.traces). The member row is locked, the mail sent and `last_digest_at` moved on
  in one transaction: a second run (or a concurrent one, which waits on the lock) finds an empty
  window and sends nothing; a run that crashed before the commit leaves the window as it was,
  so the re-run sends. (A crash between the mail server's "accepted" and the commit can repeat
  one digest or notice; the mails carry no content.)
- NONE: nothing.

The reporter's own reply notice is the case core's (reporting.tasks).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from counselling.models import Membership
from reporting.audit import AuditAction
from reporting.models import AuditEntry, Case, Message
from reporting.signals import case_received, reporter_wrote
from reporting.tasks import deliver_once
from reporting.traces import to_the_hour

logger = logging.getLogger(__name__)


def _inbox_link() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("counselling:inbox")


# --------------------------------------------------------------------------------------------
# One notice per event


def queue_new_case_notice(case_id: int, *, transferred: bool = False) -> None:
    async_task("counselling.tasks.send_new_case_notice", case_id, transferred, notice_id=uuid.uuid4().hex)


def queue_new_message_notice(case_id: int) -> None:
    async_task("counselling.tasks.send_new_message_notice", case_id, notice_id=uuid.uuid4().hex)


def _on_case_received(sender: Any, *, case_id: int, transferred: bool, **kwargs: Any) -> None:
    queue_new_case_notice(case_id, transferred=transferred)


def _on_reporter_wrote(sender: Any, *, case_id: int, **kwargs: Any) -> None:
    queue_new_message_notice(case_id)


def connect() -> None:
    """Called once from CounsellingConfig.ready()."""
    case_received.connect(_on_case_received, dispatch_uid="counselling.notifications.case_received")
    reporter_wrote.connect(_on_reporter_wrote, dispatch_uid="counselling.notifications.reporter_wrote")


def _immediate_recipients(organisation_id: int) -> list[tuple[int, str]]:
    """(user id, address) of the organisation's active members who chose one notice per event."""
    return list(
        get_user_model().objects.filter(
            membership__organisation_id=organisation_id, is_active=True,
            membership__notify=Membership.Notify.IMMEDIATE,
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", "email")
    )


def _send_staff(case_id: int, subject: Any, body: Any, notice_id: str | None) -> int:
    case = Case.objects.filter(pk=case_id).only("organisation_id").first()
    if case is None:
        return 0
    recipients = _immediate_recipients(case.organisation_id)
    if not recipients:
        return 0
    link = _inbox_link()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for user_id, address in recipients:

            def send(address: str = address) -> int:
                return send_mail(str(subject), str(body).format(link=link), None, [address])

            sent += deliver_once(notice_id, f"user{user_id}", send)
    return sent


def send_new_case_notice(case_id: int, transferred: bool = False, notice_id: str | None = None) -> int:
    """A new report, or a case transferred to the organisation; returns the e-mails sent now."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A case is waiting in your inbox") if transferred else _("A new report has arrived")
        body = _("There is something new for your organisation in Meldestelle.\n\nOpen the inbox: {link}\n")
    return _send_staff(case_id, subject, body, notice_id)


def send_new_message_notice(case_id: int, notice_id: str | None = None) -> int:
    """A reporter wrote; returns the e-mails sent now."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A new message has arrived")
        body = _("A reporter has written a new message.\n\nOpen the inbox: {link}\n")
    return _send_staff(case_id, subject, body, notice_id)


# --------------------------------------------------------------------------------------------
# The daily digest

TRANSFER_ACTION = AuditAction.CASE_TRANSFERRED
# A member who never had a digest (switched without the page, e.g. in the admin) starts here.
FIRST_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class DigestCounts:
    new_cases: int
    new_messages: int
    transferred_in: int

    def __bool__(self) -> bool:
        return bool(self.new_cases or self.new_messages or self.transferred_in)


def digest_counts(*, organisation_id: int, since: datetime, until: datetime) -> DigestCounts:
    # [since, until) on whole hours: what a reporter causes is stored at the start of its hour
    # (reporting.traces), so an hour is counted only once it has passed.
    window = {"created_at__gte": since, "created_at__lt": until}
    return DigestCounts(
        new_cases=Case.objects.filter(organisation_id=organisation_id, **window).count(),
        new_messages=Message.objects.filter(
            case__organisation_id=organisation_id, direction=Message.Direction.FROM_REPORTER, **window
        ).count(),
        transferred_in=AuditEntry.objects.filter(
            action=TRANSFER_ACTION, data__to=organisation_id, **window
        ).count(),
    )


def _digest_mail(counts: DigestCounts) -> tuple[str, str]:
    """Subject and body in the site language: counts and the inbox link, nothing else."""
    link = _inbox_link()
    with translation.override(settings.LANGUAGE_CODE):
        lines = []
        if counts.new_cases:
            lines.append(_("New reports: {count}").format(count=counts.new_cases))
        if counts.new_messages:
            lines.append(_("New messages from reporters: {count}").format(count=counts.new_messages))
        if counts.transferred_in:
            lines.append(_("Cases transferred to your organisation: {count}").format(count=counts.transferred_in))
        subject = _("Your daily summary from Meldestelle")
        body = _("Since your last summary:\n\n{counts}\n\nOpen the inbox: {link}\n").format(
            counts="\n".join(f"- {line}" for line in lines), link=link
        )
    return str(subject), str(body)


def send_digest(membership_id: int) -> bool:
    """The digest for one member, if anything happened since the last one; True if sent."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(pk=membership_id, notify=Membership.Notify.DIGEST)
            .first()
        )
        if membership is None or membership.organisation_id is None:
            return False
        # Taken under the lock: a run that waited sees the first one's window.
        now = to_the_hour()
        # On the hour too (a member who switched at 14:37 gets 14:00): nothing is missed, at
        # worst part of one hour counted that immediate notices already told them about.
        since = to_the_hour(membership.last_digest_at) if membership.last_digest_at else now - FIRST_WINDOW
        if since >= now:
            return False
        counts = digest_counts(organisation_id=membership.organisation_id, since=since, until=now)
        user = membership.user
        sent = bool(counts) and user.is_active and bool(user.email)
        if sent:
            subject, body = _digest_mail(counts)
            send_mail(subject, body, None, [user.email])  # an exception rolls the window back
        membership.last_digest_at = now
        membership.save(update_fields=["last_digest_at"])
    return sent


def send_daily_digests() -> int:
    """Every digest member's summary; returns how many e-mails went out.

    One member's failed mail does not hold up the others; the run then fails so that the
    broker retries it, and the retry sends only what is still missing.
    """
    member_ids = list(
        Membership.objects.filter(
            notify=Membership.Notify.DIGEST, organisation__isnull=False, user__is_active=True
        ).exclude(user__email="").order_by("pk").values_list("pk", flat=True)
    )
    sent = 0
    failure: Exception | None = None
    for member_id in member_ids:
        try:
            sent += send_digest(member_id)
        except Exception as exc:  # noqa: BLE001 - re-raised below, after the other members
            logger.exception("digest for membership %s failed", member_id)
            failure = failure or exc
    if failure is not None:
        raise failure
    return sent
