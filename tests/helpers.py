"""Helpers shared by several test modules (fixtures stay in the conftest files)."""

from __future__ import annotations

from typing import Any

from reporting.models import Attachment, AuditEntry, Case, CaseGrant, Incident, Message, Note
from stats.models import StatisticsRecord

# Reading is audited: a look at the case or a download writes these and nothing else.
READ_ACTIONS = ("counselling.case.viewed", "counselling.attachment.downloaded")


def case_state(case_id: int) -> dict[str, Any]:
    """Everything an action on the case could change, for before/after comparisons.

    The case row with every field, its messages (with read markers), notes, files, grants, its
    incident and statistics record, and the audit entries about it other than reads.
    """
    case = Case.objects.filter(pk=case_id).values().first()
    incident_id = case["incident_id"] if case else None
    return {
        "case": case,
        "messages": list(Message.objects.filter(case_id=case_id)
                         .order_by("pk").values_list("pk", "read_at")),
        "notes": list(Note.objects.filter(case_id=case_id)
                      .order_by("pk").values_list("pk", flat=True)),
        "attachments": list(Attachment.objects.filter(case_id=case_id)
                            .order_by("pk").values_list("pk", flat=True)),
        "grants": sorted(CaseGrant.objects.filter(case_id=case_id)
                         .values_list("organisation_id", flat=True)),
        "incident": Incident.objects.filter(pk=incident_id).values().first() if incident_id else None,
        "statistics": (StatisticsRecord.objects.filter(incident_id=incident_id).values().first()
                       if incident_id else None),
        "audit": list(AuditEntry.objects.filter(case_id=case_id).exclude(action__in=READ_ACTIONS)
                      .order_by("pk").values_list("pk", "action")),
    }
