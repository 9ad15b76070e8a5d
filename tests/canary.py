"""Search everything at rest for markers: every column of every table, media, mail, cache, logs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _variants(marker: str) -> list[bytes]:
    raw = marker.encode()
    # JSON escaping of non-ASCII and a base64 look-alike would also count as plaintext at rest.
    return [raw, marker.lower().encode(), marker.encode("unicode_escape")]


def scan_database(markers: Iterable[str]) -> list[str]:
    """Every (table.column) whose any value contains a marker."""
    wanted = [(m, v) for m in markers for v in _variants(m)]
    hits: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    data = _as_bytes(value)
                    for marker, variant in wanted:
                        if variant and variant in data:
                            hits.append(f"{table}.{column}: {marker}")
    return sorted(set(hits))


def scan_tree(root: Path, markers: Iterable[str]) -> list[str]:
    hits = []
    if not root.exists():
        return hits
    wanted = [(m, v) for m in markers for v in _variants(m)]
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            name = str(path).encode()
            for marker, variant in wanted:
                if variant in data or variant in name:
                    hits.append(f"{path}: {marker}")
    return sorted(set(hits))


def scan_media(markers: Iterable[str]) -> list[str]:
    return scan_tree(Path(settings.MEDIA_ROOT), markers)


def scan_mail(markers: Iterable[str]) -> list[str]:
    from django.core import mail

    hits = []
    for message in getattr(mail, "outbox", []):
        text = str(message.message().as_bytes())
        for marker in markers:
            if marker in text or marker in str(message.body) or marker in str(message.subject):
                hits.append(f"mail to {message.to}: {marker}")
    return hits


def scan_cache(markers: Iterable[str]) -> list[str]:
    from django.core.cache import cache

    store = getattr(cache, "_cache", None)
    hits = []
    if isinstance(store, dict):
        for key, value in store.items():
            blob = _as_bytes(key) + _as_bytes(value)
            for marker in markers:
                if marker.encode() in blob:
                    hits.append(f"cache {key}: {marker}")
    return hits


def scan_text(text: str, markers: Iterable[str]) -> list[str]:
    return [marker for marker in markers if marker in text]
