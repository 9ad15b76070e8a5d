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


def url_patterns() -> list[tuple[str, Any]]:
    """Every URL pattern as (route, URLPattern): the route as the resolver spells it, with the
    /de/ prefix for the language-prefixed patterns (the matrix and the fuzzing walk these)."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import LocalePrefixPattern

    def walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for pattern in patterns:
            part = "de/" if isinstance(pattern.pattern, LocalePrefixPattern) else str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + part)
            elif isinstance(pattern, URLPattern):
                found.append(("/" + prefix + part, pattern))
        return found

    return walk(get_resolver().url_patterns, "")


def view_handlers(callback: Any) -> list[tuple[str, Any]]:
    """(HTTP method or "*", handler) for a resolved view: the function, or a class view's methods."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return [("*", callback)]
    return [(name.upper(), getattr(view_class, name)) for name in view_class.http_method_names
            if name != "options" and hasattr(view_class, name)]
