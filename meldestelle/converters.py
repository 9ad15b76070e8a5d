"""Path converters: a URL parameter that does not fit never reaches a view (SPEC §7: no 500).

Django's `<int:…>` already refuses anything but digits; the ORM answers "no such row" for a
number beyond the column's range. Attachment ids are UUIDs, written in URLs as 32 hex digits.
"""

from __future__ import annotations

from uuid import UUID


class HexUUIDConverter:
    """A UUID as 32 hex digits (how the pages link to it), or in the dashed form."""

    regex = (r"[0-9a-fA-F]{32}"
             r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

    def to_python(self, value: str) -> UUID:
        return UUID(value)

    def to_url(self, value: UUID | str) -> str:
        return value.hex if isinstance(value, UUID) else UUID(str(value)).hex


def register_hexuuid() -> None:
    """Register `<hexuuid:…>` once, whichever URL module is imported first."""
    from django.urls import register_converter
    from django.urls.converters import get_converters

    if "hexuuid" not in get_converters():
        register_converter(HexUUIDConverter, "hexuuid")
