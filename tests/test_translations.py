"""Every language's catalogue is complete and compiled: a fresh clone shows all seven."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["de", "ar", "fa", "tr", "uk", "ru"]


def _untranslated(po_text: str) -> list[str]:
    missing = []
    for block in po_text.split("\n\n"):
        if "msgid " not in block or block.lstrip().startswith("#~"):
            continue
        if 'msgid ""\nmsgstr ""\n"Project-Id' in block or "#, fuzzy" in block.split("msgid", 1)[0]:
            if "#, fuzzy" in block.split("msgid", 1)[0] and 'msgid ""\nmsgstr ""\n"Project-Id' not in block:
                missing.append(block.strip().splitlines()[-1])
            continue
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"\n?((?:".*"\n?)*)', block, re.MULTILINE)
        if not msgstrs or any(first == "" and not rest.strip() for first, rest in msgstrs):
            missing.append(block.strip().splitlines()[-2] if len(block.strip().splitlines()) > 1 else block)
    return missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(language: str) -> None:
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert _untranslated(po) == []
    assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Einen Vorfall melden"), ("ar", "الإبلاغ عن حادثة"), ("tr", "Bir olay bildirin")],
)
def test_compiled_catalogue_is_used(language: str, expected: str) -> None:
    with translation.override(language):
        assert translation.gettext("Report an incident") == expected
