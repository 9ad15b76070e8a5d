"""Template helpers for accessible form fields.

A field's hint is its own `help_text` (never a template variable that could carry over to the
next field), shown as `hint-<name>` and wired to the control through aria-describedby, with the
error message `error-<name>`.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from reporting.taxonomy import INCIDENT_TYPE_HELP

register = template.Library()

# Example dates, months, phone numbers and receipt codes inside translated text: in an
# Arabic or Farsi sentence the bidi algorithm would show "2025-03-14" as "14-03-2025" (the
# digits take the Arabic direction), and a reader who types what they see enters an invalid
# date. Each such run is isolated left to right.
_LTR_RUN = re.compile(r"\+?\d+(?:[-./ ]\d+)+|X{4}(?:-X{4})+")


def described_by(field: BoundField) -> str:
    ids = []
    if field.help_text:
        ids.append(f"hint-{field.name}")
    if field.errors:
        ids.append(f"error-{field.name}")
    return " ".join(ids)


@register.simple_tag
def widget(field: BoundField, **attrs: Any) -> SafeString:
    """The field's control, pointing at its own hint and error message."""
    ids = described_by(field)
    if ids:
        attrs["aria-describedby"] = ids
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag
def describedby(field: BoundField) -> str:
    return described_by(field)


@register.filter
def ltr_examples(text: Any) -> SafeString:
    """Escape `text` and isolate each example date, phone number, code or address left to right."""
    escaped = str(conditional_escape(text))
    return mark_safe(_LTR_RUN.sub(lambda match: f'<bdi dir="ltr">{match.group(0)}</bdi>', escaped))  # noqa: S308 - escaped above


@register.simple_tag
def incident_help(code: str) -> str:
    return str(INCIDENT_TYPE_HELP.get(code, ""))


@register.simple_tag
def revealed_by(field: BoundField, value: Any) -> str:
    """The template of the follow-up question shown under this choice ("" for none): the form's
    `REVEALS`, e.g. {"contact": {"phone": "reporting/_reveal_phone.html"}}."""
    reveals = getattr(field.form, "REVEALS", {})
    return str(reveals.get(field.name, {}).get(str(value), ""))
