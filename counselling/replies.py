"""Reply templates (issue 19): text blocks an organisation keeps for answering reporters.

Services write (`reply_template_save`, `reply_template_delete`, each one transaction and
audited); `templates_for_case` reads what the case page and the API offer: per kind, the
organisation's text in the reporter's language where it wrote one, else in its first language.
A counsellor always edits the text before it is sent: nothing here sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from counselling.models import ReplyTemplate
from reporting.audit import AuditAction, audit_log
from reporting.models import Case, Organisation
from reporting.services import ServiceError
from reporting.taxonomy import REPORTER_LANGUAGES

MAX_BODY = 5000
# Replaced by the case's reference when a template is offered for a case.
REFERENCE_PLACEHOLDER = "{reference}"


def reply_template_save(*, actor: Any, organisation: Organisation, kind: str, language: str,
                        body: str) -> ReplyTemplate:
    """Create or replace the organisation's template of this kind and language."""
    body = body.strip()
    if kind not in ReplyTemplate.Kind.values:
        raise ServiceError("invalid_kind", str(_("Choose a kind of template from the list.")))
    if language not in REPORTER_LANGUAGES:
        raise ServiceError("invalid_language", str(_("Choose a language from the list.")))
    if not body or len(body) > MAX_BODY:
        raise ServiceError("invalid_body", str(_("Write the text of the template (at most 5000 characters).")))
    with transaction.atomic():
        template, created = ReplyTemplate.objects.update_or_create(
            organisation=organisation, kind=kind, language=language, defaults={"body": body},
        )
        audit_log(actor=actor, action=AuditAction.REPLY_TEMPLATE_SAVED, organisation_id=organisation.pk,
                  data={"template": template.pk, "kind": kind, "language": language, "created": created})
    return template


def reply_template_delete(*, actor: Any, template: ReplyTemplate) -> None:
    with transaction.atomic():
        data = {"template": template.pk, "kind": template.kind, "language": template.language}
        organisation_id = template.organisation_id
        template.delete()
        audit_log(actor=actor, action=AuditAction.REPLY_TEMPLATE_DELETED, organisation_id=organisation_id,
                  data=data)


def templates_of(organisation: Organisation) -> list[ReplyTemplate]:
    return list(ReplyTemplate.objects.filter(organisation=organisation).order_by("kind", "language"))


@dataclass(frozen=True)
class OfferedTemplate:
    """A template as offered on one case: its text with the case's reference filled in."""

    id: int
    kind: str
    label: str
    language: str
    in_reporter_language: bool
    body: str


def templates_for_case(case: Case) -> list[OfferedTemplate]:
    """Per kind (first answer, referral, closing) the text to start from, in the order of the
    kinds: the reporter's language where the organisation wrote one, else the organisation's
    first language, else any."""
    by_kind: dict[str, dict[str, ReplyTemplate]] = {}
    for template in ReplyTemplate.objects.filter(organisation_id=case.organisation_id):
        by_kind.setdefault(template.kind, {})[template.language] = template
    languages = list(case.organisation.languages or []) + ["de", "en"]
    offered = []
    for kind, label in ReplyTemplate.Kind.choices:
        texts = by_kind.get(kind)
        if not texts:
            continue
        chosen = texts.get(case.language) or next(
            (texts[code] for code in languages if code in texts), None) or next(iter(texts.values()))
        offered.append(OfferedTemplate(
            id=chosen.pk, kind=kind, label=str(label), language=chosen.language,
            in_reporter_language=chosen.language == case.language,
            body=chosen.body.replace(REFERENCE_PLACEHOLDER, case.reference),
        ))
    return offered


def template_to_start_with(case: Case, offered: list[OfferedTemplate], chosen_kind: str = "") -> OfferedTemplate | None:
    """The template the reply box starts from: the one asked for, else the first answer while
    the case has none from the counselling service yet."""
    if chosen_kind:
        return next((t for t in offered if t.kind == chosen_kind), None)
    if case.first_reply_at is None and case.is_open:
        return next((t for t in offered if t.kind == ReplyTemplate.Kind.FIRST_ANSWER), None)
    return None
