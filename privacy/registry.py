"""The declarations put together: every model column and stored entry resolved to its kind,
category, deletion rule and readers, and the checks that keep the declarations complete.

`undeclared()` walks ``apps.get_models()`` (through models included) and returns one problem
per column without a declaration, each naming the model, the field and where to declare it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import models

from privacy.catalogue import ACTIVITIES, CATEGORIES, KEYS, RETENTION
from privacy.fields import FIELDS
from privacy.inventory import Category, Field, Granularity, Kind, Retention, Role
from privacy.stores import SECTIONS, Stored

FIELDS_FILE = "privacy/fields.py"
STORES_FILE = "privacy/stores.py"

# Kinds a declaration may name a key for: the key it is encrypted or keyed under.
KEYED_KINDS = (Kind.CIPHERTEXT, Kind.KEYED_HASH, Kind.MAC)
AUTO_FIELDS = models.AutoField | models.BigAutoField | models.SmallAutoField


@dataclass(frozen=True)
class Resolved:
    """One declared column or stored entry with everything the documents say about it."""

    section: str  # "model", "session", "cache", "queue", "cookies"
    owner: str  # the model label, or the section
    name: str  # the field name, session key, cache key pattern, task or cookie
    field: Field
    category_key: str
    retention_key: str
    stored: Stored | None = None

    @property
    def label(self) -> str:
        return f"{self.owner}.{self.name}" if self.section == "model" else f"{self.section}:{self.name}"

    @property
    def category(self) -> Category:
        return CATEGORIES[self.category_key]

    @property
    def retention(self) -> Retention:
        return RETENTION[self.retention_key]

    @property
    def categories(self) -> tuple[str, ...]:
        """The category and any further ones held inside the value."""
        return (self.category_key, *self.field.contains)

    @property
    def readers(self) -> frozenset[Role]:
        """Who can read the value itself: the key's holders for a ciphertext; otherwise the
        category's readers and the operator, who can read whatever is stored in plaintext on
        the server (a cookie is stored in the browser)."""
        if self.field.kind is Kind.CIPHERTEXT and self.field.key:
            return KEYS[self.field.key].holders
        if self.section == "cookies":  # in the browser; the server sees it with each request
            return frozenset({Role.SERVER})
        return self.category.readers | {Role.OPERATOR}


def model_label(model: type[models.Model]) -> str:
    return str(model._meta.label)


def inventoried_models() -> list[type[models.Model]]:
    """Every model with a table of its own: proxies share their concrete model's declarations."""
    return [m for m in apps.get_models(include_auto_created=True) if not m._meta.proxy]


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The model's own fields: columns and many-to-many relations."""
    return [*model._meta.local_fields, *model._meta.local_many_to_many]


def _declaration(label: str, name: str) -> tuple[Field, str] | None:
    declared = FIELDS.get(label)
    if declared is None or name not in declared.fields:
        return None
    field = declared.fields[name]
    return field, field.category or declared.category


def _resolve(section: str, owner: str, name: str, field: Field, category: str,
             stored: Stored | None = None) -> Resolved:
    retention = field.retention or (CATEGORIES[category].retention if category in CATEGORIES else "")
    return Resolved(section, owner, name, field, category, retention, stored)


def resolved() -> Iterator[Resolved]:
    """Every declaration: model columns (sorted by model label), then the stores."""
    for label in sorted(FIELDS):
        declared = FIELDS[label]
        for name, field in declared.fields.items():
            yield _resolve("model", label, name, field, field.category or declared.category)
    for section, (_title, entries) in SECTIONS.items():
        for name, stored in entries.items():
            category = stored.field.category or ""
            yield _resolve(section, section, name, stored.field, category, stored)


# --------------------------------------------------------------------------------------------
# Completeness


def _example(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.DateTimeField | models.DateField):
        return "Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND)"
    if isinstance(field, models.BinaryField | models.FileField):
        return 'ciphertext("<key from privacy.catalogue.KEYS>")'
    if isinstance(field, models.BooleanField):
        return "CODE"
    if field.is_relation or isinstance(field, AUTO_FIELDS):
        return "ID"
    return "Field(Kind.<KIND>, note=T(\"…\", \"…\"))"


def undeclared() -> list[str]:
    """One message per model column without a declaration."""
    problems = []
    for model in inventoried_models():
        label = model_label(model)
        if label not in FIELDS:
            names = ", ".join(f.name for f in columns(model))
            problems.append(
                f"{label} has no privacy declaration (fields: {names}). Add "
                f'FIELDS["{label}"] = Model("<category>", {{...one line per field...}}) in '
                f"{FIELDS_FILE}; categories are in privacy/catalogue.py."
            )
            continue
        for field in columns(model):
            if field.name not in FIELDS[label].fields:
                problems.append(
                    f"{label}.{field.name} ({type(field).__name__}) has no privacy declaration. "
                    f'Add one line to FIELDS["{label}"] in {FIELDS_FILE}, e.g. '
                    f'"{field.name}": {_example(field)}, saying what it holds (its kind, and its '
                    "key if encrypted), its category and, if not the category's, its retention."
                )
    return problems


def stale() -> list[str]:
    """Declarations of models or fields that no longer exist."""
    present = {model_label(m): {f.name for f in columns(m)} for m in inventoried_models()}
    problems = []
    for label, declared in FIELDS.items():
        if label not in present:
            problems.append(f"{label} is declared in {FIELDS_FILE} but is not a model any more: remove it.")
            continue
        for name in declared.fields:
            if name not in present[label]:
                problems.append(f"{label}.{name} is declared in {FIELDS_FILE} but is not a field any more: remove it.")
    return problems


# --------------------------------------------------------------------------------------------
# Consistency of each declaration


def _kind_fits(kind: Kind, column: models.Field[Any, Any]) -> bool:
    if isinstance(column, models.DateTimeField | models.DateField):
        return kind is Kind.TIMESTAMP
    if isinstance(column, models.BooleanField):
        return kind is Kind.CODE
    if column.is_relation or isinstance(column, AUTO_FIELDS | models.UUIDField):
        return kind is Kind.ID
    if isinstance(column, models.BinaryField | models.FileField):
        return kind in (Kind.CIPHERTEXT, Kind.PUBLIC_KEY, Kind.CRYPTO_PARAMETER, Kind.HASH)
    return kind is not Kind.CIPHERTEXT


def declaration_problems() -> list[str]:
    """Declarations that name unknown categories, keys or rules, or do not fit their column."""
    problems = []
    models_by_label = {model_label(m): m for m in inventoried_models()}
    for item in resolved():
        field, where = item.field, item.label
        if item.category_key not in CATEGORIES:
            problems.append(f"{where}: unknown category {item.category_key!r}")
        for extra in field.contains:
            if extra not in CATEGORIES:
                problems.append(f"{where}: unknown category {extra!r} in contains")
        if field.contains and field.kind is not Kind.CIPHERTEXT:
            problems.append(f"{where}: only a ciphertext holds further categories (contains)")
        if item.retention_key not in RETENTION:
            problems.append(f"{where}: unknown retention rule {item.retention_key!r}")
        if field.kind is Kind.CIPHERTEXT and field.key is None:
            problems.append(f"{where}: a ciphertext must name its key (privacy.catalogue.KEYS)")
        if field.key is not None and (field.key not in KEYS or field.kind not in KEYED_KINDS):
            problems.append(f"{where}: key {field.key!r} unknown, or not allowed for kind {field.kind.value}")
        if (field.kind is Kind.TIMESTAMP) != (field.granularity is not None):
            problems.append(f"{where}: a timestamp, and only a timestamp, has a granularity")
        if item.section == "model" and item.owner in models_by_label:
            column = {f.name: f for f in columns(models_by_label[item.owner])}.get(item.name)
            if column is None:  # a stale declaration, reported by stale()
                continue
            if not _kind_fits(field.kind, column):
                problems.append(f"{where}: kind {field.kind.value} does not fit a {type(column).__name__}")
            if isinstance(column, models.DateField) and not isinstance(column, models.DateTimeField) \
                    and field.granularity in (Granularity.MICROSECOND, Granularity.SECOND, Granularity.HOUR):
                problems.append(f"{where}: a date is stored to the day at the finest")
    for key, category in CATEGORIES.items():
        if category.activity not in ACTIVITIES:
            problems.append(f"category {key}: unknown activity {category.activity!r}")
        if category.retention not in RETENTION:
            problems.append(f"category {key}: unknown retention rule {category.retention!r}")
    used = {c for item in resolved() for c in item.categories}
    for key in CATEGORIES:
        if key not in used:
            problems.append(f"category {key} holds no declared field: remove it or declare its fields")
    return problems


def resolve_dotted(path: str) -> Any:
    """Import the longest module prefix of `path` and follow the rest as attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: Any = import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(path)


# --------------------------------------------------------------------------------------------
# Views for the documents and the notice


def reporter_categories() -> set[str]:
    """Categories the reporters' privacy notice must mention."""
    return {key for key, category in CATEGORIES.items() if category.concerns_reporter}


def items_of_category(category: str) -> list[Resolved]:
    return [item for item in resolved() if category in item.categories]
