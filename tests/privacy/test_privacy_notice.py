"""The reporters' privacy notice against the data inventory (issue 18), in all seven languages.

The notice's paragraphs carry data-category="…" with the keys of the inventory's categories
(privacy/catalogue.py). Rendered in each language, the notice must name every category that
concerns reporters, name nothing the inventory does not hold, and say something where it names.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings

from privacy import registry
from privacy.catalogue import CATEGORIES
from privacy.inventory import Category, Origin, Subject, T

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class _Marked(HTMLParser):
    """The text of every element with a data-category attribute, by category."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, list[str]] = {}
        self.language = ""
        self._open: list[tuple[str, list[str], list[str]]] = []  # (tag, categories, text parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.language = values.get("lang") or ""
        if values.get("data-category") is not None:
            self._open.append((tag, (values["data-category"] or "").split(), []))

    def handle_data(self, data: str) -> None:
        for _tag, _categories, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _tag, categories, parts = self._open.pop()
            for category in categories:
                self.texts.setdefault(category, []).append(" ".join("".join(parts).split()))


def _notice(client: Any, language: str) -> _Marked:
    response = client.get(f"/{language}/privacy/")
    assert response.status_code == 200
    parser = _Marked()
    parser.feed(response.content.decode())
    assert parser.language == language
    return parser


def _gaps(marked: _Marked) -> dict[str, set[str]]:
    named = set(marked.texts)
    return {
        "missing from the notice": registry.reporter_categories() - named,
        "not in the inventory": named - set(CATEGORIES),
        "named without text": {c for c, texts in marked.texts.items() if not all(texts)},
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_names_every_reporter_category_of_the_inventory_and_nothing_else(
    client: Any, language: str,
) -> None:
    marked = _notice(client, language)
    assert _gaps(marked) == {"missing from the notice": set(), "not in the inventory": set(),
                             "named without text": set()}


def test_a_new_reporter_category_is_missing_from_the_notice_until_it_is_named(
    client: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(CATEGORIES, "voice_recordings", Category(
        T("Sprachaufnahmen", "voice recordings"), T("", ""), "reports", frozenset({Subject.REPORTER}),
        Origin.REPORTER, T("", ""), frozenset(), "case",
    ))
    assert _gaps(_notice(client, "de"))["missing from the notice"] == {"voice_recordings"}
