"""Tasks of the case core run by the django-q2 cluster: the reporter's content-free reply notice
(ids in, load, send) and the vacuum after a shred. Staff notices are counselling's
(counselling.notifications), which delivers them through `deliver_once` too.

Delivery is once per recipient: `deliver_once` (also used for the audit anchor e-mails,
counselling.audit_anchor) inserts the recipient's NoticeSent row and sends inside one
transaction, committing only after the mail went out. A run that crashed
before sending left no row, so the re-run sends; a run that sent left the row, so the re-run
skips; two runs at once queue on the row's unique key and the second finds it. (A crash in the
instant between the mail server's "accepted" and the commit can still repeat one notice; that
is the at-least-once end of the trade, and the notices carry no content.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from reporting.models import Case, NoticeSent
from reporting.services import notify_address
from reporting.vacuum import vacuum_tables as _vacuum_tables


def deliver_once(notice_id: str | None, recipient: str, send: Callable[[], object]) -> bool:
    """Send unless this notice already reached this recipient; True if it was sent now.

    Tasks queued before notice ids existed carry none and are sent as they are.
    """
    if not notice_id:
        send()
        return True
    with transaction.atomic():
        _marker, created = NoticeSent.objects.get_or_create(key=f"{notice_id}:{recipient}")
        if not created:
            return False
        send()  # an exception rolls the marker back, so the re-run sends
    return True


def send_reporter_reply_notice(case_id: int, notice_id: str | None = None) -> int:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return 0
    address = notify_address(case=case)
    if not address:
        return 0
    with translation.override(case.language):
        link = settings.SITE_URL.rstrip("/") + reverse("reporting:followup")
        subject = _("There is a reply to your report")
        body = _(
            "The counselling service has answered your report.\n"
            "Open {link} and enter your receipt code to read it.\n"
        ).format(link=link)
    return int(deliver_once(notice_id, "reporter", lambda: send_mail(subject, body, None, [address])))


def vacuum_tables(tables: list[str]) -> int:
    """Queued after a shred or a key rotation commits (reporting.vacuum): the deleted rows
    leave the table files."""
    return _vacuum_tables(tables)


def chain_audit_entries() -> None:
    """Chain the audit entries that wait (reporting.audit); queued by earlier versions, and
    kept so that such a task still in the queue runs."""
    from reporting.audit import audit_chain_pending

    audit_chain_pending(wait=True)


def submissions_writer() -> int:
    """What submissions leave for after commit (reporting.writer): chain the audit entries
    that wait and queue the staff notices of new cases; poked on commit of submissions and
    run every minute."""
    from reporting import writer

    return writer.run()


def clear_expired_rate_counters() -> int:
    """Hourly (schedule "rate-counters-clear", created by a migration): the rate-limit counter
    rows of ended windows go (meldestelle.ratelimit, database cache only)."""
    from meldestelle.ratelimit import clear_expired

    return clear_expired()
