"""The privacy documents, generated from the inventory into ``docs/privacy/`` (issue 18).

German (the authorities' language) and English: the Art. 30 record of processing activities,
the deletion concept (DIN 66398), the Art. 32 technical and organisational measures, a DPIA
pre-filled with the system's facts and the reviews' risks, and the full data inventory.

The prose is in ``privacy/templates/privacy_docs/<language>/``; every fact comes from the
declarations. A part an organisation must complete itself is written ``⟦…⟧`` in a template;
the generator numbers these and lists them at the top of each document. Output is
deterministic (no dates, no environment), so `make test` can compare the committed files
with a fresh rendering (tests/privacy/test_privacy_documents.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.template import Context, Engine

from privacy import catalogue, registry
from privacy.catalogue import ACTIVITIES, CATEGORIES, KEYS, RETENTION
from privacy.inventory import KIND_LABELS, ROLE_ORDER, Kind, Role, Text
from privacy.risks import RISKS, Status
from privacy.stores import SECTIONS

LANGUAGES = ("de", "en")
TEMPLATES = Path(__file__).resolve().parent / "templates" / "privacy_docs"
OUTPUT = Path("docs") / "privacy"

# Document key: its file name in each language.
DOCUMENTS: dict[str, dict[str, str]] = {
    "record": {"de": "verzeichnis-der-verarbeitungstaetigkeiten.md", "en": "record-of-processing-activities.md"},
    "deletion": {"de": "loeschkonzept.md", "en": "deletion-concept.md"},
    "toms": {"de": "technische-und-organisatorische-massnahmen.md", "en": "technical-and-organisational-measures.md"},
    "dpia": {"de": "datenschutz-folgenabschaetzung.md", "en": "data-protection-impact-assessment.md"},
    "inventory": {"de": "datenbestand.md", "en": "data-inventory.md"},
}

# ⟦text⟧ in a template; ⟦O1: text⟧ once numbered (the headers mention ⟦O…⟧ themselves).
PLACEHOLDER = re.compile(r"⟦(?!O[0-9…])([^⟧]+)⟧")
NUMBERED = re.compile(r"⟦(O[0-9]+: [^⟧]+)⟧")
TO_COMPLETE_MARK = "@@TO_COMPLETE@@"
INVALID = "⟪invalid: %s⟫"


def _engine() -> Engine:
    return Engine(dirs=[str(TEMPLATES)], autoescape=False, string_if_invalid=INVALID,
                  libraries={"docs": "privacy.templatetags.privacy_docs"})


def _t(text: Text | None, language: str) -> str:
    return text.get(language) if text else ""


def _roles(roles: Iterable[Role], language: str) -> str:
    chosen = set(roles)
    return "; ".join(role.label.get(language) for role in ROLE_ORDER if role in chosen) or "–"


# --------------------------------------------------------------------------------------------
# The facts, in one language


def _field_row(item: registry.Resolved, language: str) -> dict[str, Any]:
    field = item.field
    detail = []
    if field.key:
        detail.append(KEYS[field.key].name.get(language))
    if field.granularity:
        detail.append(field.granularity.label.get(language))
    if field.contains:
        detail.append(", ".join(CATEGORIES[c].name.get(language) for c in field.contains))
    if item.stored and item.stored.params:
        detail.append(", ".join(item.stored.params))
    if item.stored and item.stored.lifetime:
        detail.append(item.stored.lifetime.get(language))
    if field.note:
        detail.append(field.note.get(language))
    return {
        "label": item.label, "name": item.name, "kind": field.kind.label.get(language),
        "plaintext": field.kind.plaintext, "category": item.category.name.get(language),
        "detail": "; ".join(detail), "readers": _roles(item.readers, language),
        "retention": RETENTION[item.retention_key].name.get(language), "retention_key": item.retention_key,
    }


# Identifiers and crypto parameters are plaintext for the operator everywhere; who reads a
# category is decided by the fields that carry its substance.
REFERENCE_KINDS = (Kind.ID, Kind.CRYPTO_PARAMETER)


def _category_readers(own: list[registry.Resolved]) -> frozenset[Role]:
    substance = [item for item in own if item.field.kind not in REFERENCE_KINDS] or own
    return frozenset().union(*(item.readers for item in substance))


def _category(key: str, language: str, items: list[registry.Resolved]) -> dict[str, Any]:
    category = CATEGORIES[key]
    own = [item for item in items if key in item.categories]
    # What the operator reads: plaintext on the server (cookies live in the browser).
    plaintext = [item for item in own if item.field.kind.plaintext and item.category_key == key
                 and item.section != "cookies"]
    # A category kept in plaintext columns is not "unreadable" for a ciphertext copy of it.
    substantive_plaintext = [item for item in plaintext if item.field.kind not in REFERENCE_KINDS]
    return {
        "key": key, "name": category.name.get(language), "description": category.description.get(language),
        "subjects": "; ".join(s.label.get(language) for s in sorted(category.subjects, key=lambda s: s.value)),
        "origin": category.origin.label.get(language), "purpose": category.purpose.get(language),
        "special": category.special, "activity": ACTIVITIES[category.activity].name.get(language),
        "readers": _roles(_category_readers(own), language),
        "retention": RETENTION[category.retention].name.get(language), "retention_key": category.retention,
        "period": RETENTION[category.retention].period.get(language),
        "fields": [item.label for item in own], "notice": category.concerns_reporter,
        "plaintext": [item.label for item in plaintext],
        "encrypted": [f"{item.label} ({KEYS[item.field.key].name.get(language)})" for item in own
                      if item.field.kind is Kind.CIPHERTEXT and item.field.key
                      and (item.category_key == key or not substantive_plaintext)],
    }


def _access(language: str, items: list[registry.Resolved]) -> list[dict[str, Any]]:
    """Per category and role: reads plaintext, decrypts, or nothing."""
    rows = []
    for key in CATEGORIES:
        own = [item for item in items if key in item.categories]
        cells = []
        for role in ROLE_ORDER:
            plain = any(role in item.readers for item in own if item.field.kind.plaintext and item.category_key == key)
            decrypts = any(role in item.readers for item in own if item.field.kind is Kind.CIPHERTEXT)
            word = {(True, True): {"de": "Klartext + Schlüssel", "en": "plaintext + key"},
                    (True, False): {"de": "Klartext", "en": "plaintext"},
                    (False, True): {"de": "mit Schlüssel", "en": "with key"},
                    (False, False): {"de": "–", "en": "–"}}[(plain, decrypts)][language]
            cells.append(word)
        rows.append({"name": CATEGORIES[key].name.get(language), "cells": cells})
    return rows


def _rule(key: str, language: str) -> dict[str, Any]:
    rule = RETENTION[key]
    return {
        "key": key, "name": rule.name.get(language), "trigger": rule.trigger.get(language),
        "period": rule.period.get(language), "mechanisms": list(rule.mechanisms), "evidence": list(rule.evidence),
        "gap": _t(rule.gap, language), "decides": _t(rule.organisation_decides, language),
        "categories": [c.name.get(language) for c in CATEGORIES.values() if c.retention == key],
    }


def context(language: str) -> dict[str, Any]:
    items = list(registry.resolved())
    categories = [_category(key, language, items) for key in CATEGORIES]
    by_activity = []
    for key, activity in ACTIVITIES.items():
        own = [c for c in categories if CATEGORIES[c["key"]].activity == key]
        subjects = sorted({s for c in own for s in c["subjects"].split("; ")})
        readers = _category_readers([item for item in items if CATEGORIES[item.category_key].activity == key])
        rules = sorted({c["retention_key"] for c in own})
        by_activity.append({
            "key": key, "name": activity.name.get(language), "purpose": activity.purpose.get(language),
            "legal_basis": activity.legal_basis.get(language), "categories": own, "subjects": subjects,
            "recipients": _roles(readers, language), "rules": [_rule(r, language) for r in rules],
            "special": any(c["special"] for c in own),
        })
    models = []
    for label in sorted(registry.FIELDS):
        models.append({"label": label, "rows": [_field_row(i, language) for i in items
                                                if i.section == "model" and i.owner == label]})
    stores = [{"title": title.get(language), "rows": [_field_row(i, language) for i in items if i.section == section]}
              for section, (title, _entries) in SECTIONS.items()]
    keys = [{"key": key, "name": k.name.get(language), "holders": _roles(k.holders, language),
             "explanation": k.explanation.get(language), "setting": k.setting or "",
             "fields": [i.label for i in items if i.field.key == key]} for key, k in KEYS.items()]
    risks = [{"id": rid, "source": r.source, "severity": r.severity, "title": r.title.get(language),
              "risk": r.risk.get(language), "measure": r.measure.get(language),
              "status": r.status.label.get(language), "met": r.status is Status.MET,
              "evidence": list(r.evidence)} for rid, r in RISKS.items()]
    rules = [_rule(key, language) for key in RETENTION]
    return {
        "language": language, "documents": {key: names[language] for key, names in DOCUMENTS.items()},
        "other_language": {key: f"../{'en' if language == 'de' else 'de'}/{names['en' if language == 'de' else 'de']}"
                           for key, names in DOCUMENTS.items()},
        "activities": by_activity, "categories": categories, "models": models, "stores": stores,
        "keys": keys, "rules": rules, "gaps": [r for r in rules if r["gap"]],
        "decisions": [r for r in rules if r["decides"]], "risks": risks,
        "roles": [role.label.get(language) for role in ROLE_ORDER], "access": _access(language, items),
        "kinds": [{"name": kind.value, "label": label.get(language)} for kind, label in KIND_LABELS.items()],
        "reporter_categories": [c for c in categories if c["notice"]],
        "operator_plaintext": [c for c in categories if c["plaintext"]],
        "operator_encrypted": [c for c in categories if c["encrypted"]],
        "field_count": len([i for i in items if i.section == "model"]),
        "model_count": len(registry.FIELDS),
        "defaults": {
            "retention_days": catalogue.RETENTION_DAYS, "rejected_retention_days": catalogue.REJECTED_RETENTION_DAYS,
            "session_hours": catalogue.SESSION_COOKIE_AGE // 3600, **catalogue.ARGON2,
            "argon2_memory_mib": catalogue.ARGON2["ARGON2_MEMORY_KIB"] // 1024,
        },
    }


# --------------------------------------------------------------------------------------------
# Rendering


def _number_placeholders(text: str, language: str) -> str:
    """Number each distinct ⟦…⟧ and list them where the template put the mark."""
    found: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(1) not in found:
            found.append(match.group(1))
    text = PLACEHOLDER.sub(lambda m: f"⟦O{found.index(m.group(1)) + 1}: {m.group(1)}⟧", text)
    if not found:
        items = "- " + ("Nichts." if language == "de" else "Nothing.")
    else:
        items = "\n".join(f"- **O{n}** {item}" for n, item in enumerate(found, start=1))
    return text.replace(TO_COMPLETE_MARK, items)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render(document: str, language: str, engine: Engine | None = None) -> str:
    engine = engine or _engine()
    template = engine.get_template(f"{language}/{document}.md")
    text = template.render(Context(context(language), autoescape=False))
    if "⟪invalid:" in text:
        raise ValueError(f"{language}/{document}.md uses a name the context lacks: "
                         f"{re.findall(r'⟪invalid: ([^⟫]*)⟫', text)}")
    return _tidy(_number_placeholders(text, language))


def render_all() -> dict[str, str]:
    """Relative path under docs/privacy/ -> contents."""
    engine = _engine()
    out = {f"{language}/{DOCUMENTS[document][language]}": render(document, language, engine)
           for language in LANGUAGES for document in DOCUMENTS}
    out["README.md"] = _tidy(engine.get_template("README.md").render(Context({
        "documents": DOCUMENTS,
        "to_complete": {path: list(dict.fromkeys(NUMBERED.findall(text))) for path, text in out.items()},
    }, autoescape=False)))
    return out


def write(directory: Path) -> list[Path]:
    """Write every document under `directory`, removing files that are no longer generated."""
    rendered = render_all()
    written = []
    for relative, text in rendered.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for path in directory.rglob("*.md"):
        if path.relative_to(directory).as_posix() not in rendered:
            path.unlink()
    return written


def differences(directory: Path) -> list[str]:
    """Files under `directory` that differ from a fresh rendering (missing, changed or extra)."""
    rendered = render_all()
    problems = []
    for relative, text in rendered.items():
        path = directory / relative
        if not path.exists():
            problems.append(f"{relative}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{relative}: out of date")
    if directory.exists():
        problems += [f"{p.relative_to(directory).as_posix()}: no longer generated"
                     for p in directory.rglob("*.md") if p.relative_to(directory).as_posix() not in rendered]
    return problems
