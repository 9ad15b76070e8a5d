"""`{% bundle_script "seal.js" %}`: a <script> for a built encryption module (SPEC §3.10),
same-origin, deferred, with its Subresource Integrity hash (reporting.bundle)."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from reporting.bundle import bundle_integrity

register = template.Library()


@register.simple_tag
def bundle_script(name: str) -> SafeString:
    integrity = bundle_integrity(name)
    if not integrity:
        return SafeString("")
    return format_html('<script src="{}" integrity="{}" defer></script>', static(f"bundle/{name}"), integrity)
