"""Template helpers for accessible form fields: hint and error ids wired to aria-describedby."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from reporting.taxonomy import INCIDENT_TYPE_HELP

register = template.Library()


def described_by(field: BoundField, hint: bool) -> str:
    ids = []
    if hint:
        ids.append(f"hint-{field.name}")
    if field.errors:
        ids.append(f"error-{field.name}")
    return " ".join(ids)


@register.simple_tag
def widget(field: BoundField, hint: bool = False) -> SafeString:
    """The field's control, pointing at its hint and error message."""
    attrs: dict[str, Any] = {}
    ids = described_by(field, hint)
    if ids:
        attrs["aria-describedby"] = ids
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag
def describedby(field: BoundField, hint: bool = False) -> str:
    return described_by(field, hint)


@register.simple_tag
def incident_help(code: str) -> str:
    return str(INCIDENT_TYPE_HELP.get(code, ""))
