"""Every language's catalogue is complete and compiled, and uses its termbase consistently.

The termbase of each language (``locale/<lang>/TERMS.md``) fixes how the core words of the
service and every label of the taxonomy are rendered. Its tables are machine-readable:

``| English source | term | forms | matches |``

- *term* is the fixed rendering. For taxonomy labels (table "Labels") the catalogue must
  translate the English label to exactly this text.
- *forms* are the accepted stems or inflected forms, separated by ``;``. Every catalogue entry
  whose English text matches *matches* (a case-insensitive regular expression; ``—`` means
  "check the label only") must contain at least one of them in every translated form.
- the table "Avoid" lists renderings that must not appear anywhere in the catalogue (the
  outside names, the payment-receipt words, …).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from reporting.taxonomy import AntisemitismForm, IncidentType, Motive

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["de", "ar", "fa", "tr", "uk", "ru"]
REQUIRED_TERMS = {"case", "report", "receipt code", "message", "status", "counselling service"}


def _taxonomy_labels() -> list[str]:
    """The English source of every motive, incident type and antisemitism form label."""
    with translation.override("en"):  # English is the source language: no catalogue
        return [str(c.label) for enum in (Motive, IncidentType, AntisemitismForm) for c in enum]


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


# --- the catalogue, read without third-party tools -------------------------------------------


def _entries(language: str) -> list[tuple[str, list[str]]]:
    """(msgid, [msgstr, …]) for every live entry of the catalogue; plural entries give the
    singular and plural msgid joined and every plural form."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#")]
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if not fields.get("msgid"):
            continue  # the header
        msgid = fields["msgid"] + ("\n" + fields["msgid_plural"] if "msgid_plural" in fields else "")
        entries.append((msgid, [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]))
    return entries


# --- the termbase -----------------------------------------------------------------------------


def _termbase(language: str) -> dict[str, list[dict[str, str]]]:
    """The tables of TERMS.md by section heading ("Terms", "Labels", "Avoid")."""
    text = (LOCALE / language / "TERMS.md").read_text(encoding="utf-8")
    tables: dict[str, list[dict[str, str]]] = {}
    section = ""
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            section, header = line[3:].strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if header is None:
            header = cells
        elif not all(set(c) <= set("-: ") for c in cells):
            tables.setdefault(section, []).append(dict(zip(header, cells, strict=True)))
    return tables


def _forms(row: dict[str, str]) -> list[str]:
    return [f.strip() for f in row["forms"].split(";") if f.strip() and f.strip() != "—"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_termbase_covers_the_core_terms_and_every_taxonomy_label(language: str) -> None:
    tables = _termbase(language)
    terms = {row["English source"] for row in tables.get("Terms", [])}
    labels = {row["English source"] for row in tables.get("Labels", [])}
    assert REQUIRED_TERMS <= terms, REQUIRED_TERMS - terms
    assert set(_taxonomy_labels()) <= labels, set(_taxonomy_labels()) - labels
    for row in tables["Terms"] + tables["Labels"]:
        assert row["term"] and (_forms(row) or row["matches"] == "—"), row
        re.compile(row["matches"]) if row["matches"] != "—" else None


@pytest.mark.parametrize("language", LANGUAGES)
def test_taxonomy_labels_translate_exactly_to_the_termbase(language: str) -> None:
    rows = {row["English source"]: row["term"] for row in _termbase(language)["Labels"]}
    labels = _taxonomy_labels()
    with translation.override(language):
        wrong = {
            label: (translation.gettext(label), rows[label])
            for label in labels
            if translation.gettext(label) != rows[label]
        }
    assert wrong == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_uses_the_termbase_consistently(language: str) -> None:
    tables = _termbase(language)
    entries = _entries(language)
    assert len(entries) > 500  # the parser read the catalogue
    inconsistent = []
    for row in tables["Terms"] + tables["Labels"]:
        if row["matches"] == "—":
            continue
        pattern = re.compile(row["matches"], re.IGNORECASE)
        forms = [f.casefold() for f in _forms(row)]
        for msgid, msgstrs in entries:
            if not pattern.search(msgid):
                continue
            for msgstr in msgstrs:
                if not any(form in msgstr.casefold() for form in forms):
                    inconsistent.append(f"{row['English source']!r} → {row['term']!r}: {msgid!r} → {msgstr!r}")
    assert inconsistent == [], "\n".join(inconsistent)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_avoids_the_words_the_termbase_rules_out(language: str) -> None:
    avoid = [row["avoid"] for row in _termbase(language).get("Avoid", [])]
    found = [
        (word, msgid)
        for msgid, msgstrs in _entries(language)
        for word in avoid
        if any(word.casefold() in msgstr.casefold() for msgstr in msgstrs)
    ]
    assert found == []
