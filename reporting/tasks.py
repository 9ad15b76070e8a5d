"""Tasks run by the django-q2 cluster. Each gets ids, loads, and sends a content-free notice."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from reporting.models import Case
from reporting.services import notify_address


def _staff_addresses(organisation_id: int) -> list[str]:
    # Staff membership lives in the counselling app; reporting must not import it.
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return list(
        user_model.objects.filter(
            membership__organisation_id=organisation_id, is_active=True, membership__notify=True
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _send_staff(case_id: int, subject: str, body: str) -> int:
    case = Case.objects.filter(pk=case_id).only("organisation_id").first()
    if case is None:
        return 0
    recipients = _staff_addresses(case.organisation_id)
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse("counselling:inbox")
    with translation.override(settings.LANGUAGE_CODE):
        for address in recipients:
            send_mail(str(subject), str(body).format(link=link), None, [address])
    return len(recipients)


def send_new_case_notice(case_id: int, transferred: bool = False) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A case is waiting in your inbox") if transferred else _("A new report has arrived")
        body = _("There is something new for your organisation in Meldestelle.\n\nOpen the inbox: {link}\n")
    return _send_staff(case_id, subject, body)


def send_new_message_notice(case_id: int) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A new message has arrived")
        body = _("A reporter has written a new message.\n\nOpen the inbox: {link}\n")
    return _send_staff(case_id, subject, body)


def send_reporter_reply_notice(case_id: int) -> int:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return 0
    address = notify_address(case=case)
    if not address:
        return 0
    with translation.override(case.language):
        link = settings.SITE_URL.rstrip("/") + reverse("reporting:followup")
        send_mail(
            _("There is a reply to your report"),
            _(
                "The counselling service has answered your report.\n"
                "Open {link} and enter your receipt code to read it.\n"
            ).format(link=link),
            None,
            [address],
        )
    return 1
