"""Filters for the Markdown privacy documents (privacy.documents): table cells and code lists."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

register = template.Library()


@register.filter
def cell(value: object) -> str:
    """Text that is safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ").strip() or "–"


@register.filter
def codes(values: Iterable[object]) -> str:
    """`a`, `b`, `c` (or – for none)."""
    return ", ".join(f"`{value}`" for value in values) or "–"


@register.filter
def grouped(labels: Iterable[str]) -> str:
    """Field labels grouped by their model or section: `app.Model`: a, b; `cache`: `x`."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        if ":" in label.split(".")[0]:
            owner, _, name = label.partition(":")
        else:
            owner, _, name = label.rpartition(".")
        name, _, detail = name.partition(" (")
        groups.setdefault(owner, []).append(f"`{name}`" + (f" ({detail}" if detail else ""))
    text = "; ".join(f"**{owner}**: {', '.join(names)}" for owner, names in groups.items()) or "–"
    return text.replace("|", "\\|")
