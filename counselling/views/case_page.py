"""The case page built for work (issue 19): what it offers beside the report, and the inline
view of a file.

`case_work_context` adds to the case page: the reporter's language, the reply templates (the
first answer already in the reply box of a case nobody has answered yet), the classification
form prefilled from the report, and which files can be looked at inline. `attachment_inline`
serves that look: decrypted and re-encoded in memory (`counselling.previews`), never written to
a file, under a sandboxing CSP.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from counselling import previews, selectors
from counselling.access import get_case_for_member, key_required, request_case_keys
from counselling.attachments import inline_response
from counselling.decorators import staff_required
from counselling.forms import MessageForm
from counselling.replies import template_to_start_with, templates_for_case
from counselling.views.classification import (
    ClassificationForm,
    incident_record,
    record_values,
    suggestion_from_report,
)
from counselling.views.inbox import language_name
from reporting.models import Case
from reporting.taxonomy import CaseStatus


def case_work_context(request: HttpRequest, case: Case, content: selectors.CaseContent) -> dict[str, Any]:
    """What the case page shows beyond the report for the organisation that acts on it."""
    offered = templates_for_case(case)
    chosen = template_to_start_with(case, offered, str(request.GET.get("template", ""))[:20])
    record = incident_record(case)
    return {
        "reporter_language": language_name(case.language),
        "reply_templates": offered,
        "chosen_template": chosen,
        "message_form": MessageForm(auto_id="message_%s", initial={"body": chosen.body} if chosen else None),
        "classification_form": ClassificationForm(
            auto_id="classify_%s", initial=record_values(record) if record is not None else suggestion_from_report(case, content.report)),
        "classification_record": record,
        "quick_statuses": [(code, label) for code, label in CaseStatus.choices if code != case.status],
    }


def inline_files(case: Case, content: selectors.CaseContent) -> list[dict[str, Any]]:
    """Each file with, where it can be looked at inline, the URL of its picture."""
    shown = []
    for attachment in content.attachments:
        url = None
        if previews.previewable(attachment.content_type):
            url = reverse("counselling:attachment_inline", args=[case.pk, attachment.uuid])
        shown.append({"file": attachment, "inline_url": url,
                      "is_pdf": attachment.content_type == "application/pdf"})
    return shown


@staff_required
@key_required
def attachment_inline(request: HttpRequest, case_id: int, attachment_uuid: UUID) -> HttpResponse:
    """A file as a picture: an image without its metadata, a PDF's first pages.

    Same origin, `Content-Security-Policy: sandbox`, no caching, shown inline rather than saved:
    the decrypted evidence never lands in a Downloads folder or a temporary file.
    """
    case = get_case_for_member(request.user, case_id)
    attachment = selectors.attachment_for_case(case, attachment_uuid)
    if attachment is None:
        raise Http404
    response = inline_response(actor=request.user, attachment=attachment, keys=request_case_keys(request, case))
    if response is None:
        raise Http404
    return response
