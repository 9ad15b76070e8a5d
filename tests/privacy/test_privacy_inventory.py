"""The data inventory is complete and true (issue 18): no model field without a declaration, and
every name a declaration gives (categories, keys, rules, the code that deletes, the tests that
show it) exists."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import get_commands
from django_q.models import Schedule

from counselling import auth
from privacy import catalogue, registry
from privacy.fields import FIELDS
from privacy.inventory import Model
from privacy.risks import RISKS
from privacy.stores import QUEUE, SECTIONS

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("reporting", "counselling", "stats", "meldestelle", "privacy")


def test_every_field_of_every_model_is_declared() -> None:
    problems = registry.undeclared()
    assert not problems, "\n".join(problems)


def test_no_declaration_names_a_model_or_field_that_is_gone() -> None:
    problems = registry.stale()
    assert not problems, "\n".join(problems)


def test_every_declaration_is_consistent() -> None:
    """Known categories, keys and rules; a ciphertext names its key, a timestamp its
    granularity; the kind fits the column (a text column cannot be declared ciphertext)."""
    problems = registry.declaration_problems()
    assert not problems, "\n".join(problems)


def test_a_field_without_a_declaration_is_named_with_where_to_declare_it(monkeypatch: Any) -> None:
    case = FIELDS["reporting.Case"]
    without = {name: field for name, field in case.fields.items() if name != "report_ciphertext"}
    monkeypatch.setitem(FIELDS, "reporting.Case", Model(case.category, without))
    monkeypatch.delitem(FIELDS, "reporting.Note")

    problems = registry.undeclared()

    assert len(problems) == 2
    field_problem = next(p for p in problems if p.startswith("reporting.Case.report_ciphertext "))
    assert 'FIELDS["reporting.Case"] in privacy/fields.py' in field_problem
    assert 'ciphertext("<key' in field_problem  # a binary column: the example is a ciphertext
    model_problem = next(p for p in problems if p.startswith("reporting.Note "))
    assert 'FIELDS["reporting.Note"]' in model_problem and "privacy/fields.py" in model_problem


@pytest.mark.django_db
def test_the_walk_covers_every_table_of_the_database() -> None:
    """Through tables of many-to-many fields and third-party apps are walked too."""
    from django.db import connection

    walked = {model._meta.db_table for model in registry.inventoried_models()}
    tables = set(connection.introspection.table_names())
    # The database cache table is not a model: its keys are declared in privacy/stores.py.
    assert tables - walked <= {"django_migrations", "meldestelle_cache"}


def _test_exists(node_id: str) -> bool:
    path, _, name = node_id.partition("::")
    file = ROOT / path
    return file.exists() and f"def {name}(" in file.read_text()


@pytest.mark.django_db
def test_every_deletion_rule_names_code_and_tests_that_exist() -> None:
    commands = get_commands()
    schedules = set(Schedule.objects.values_list("name", flat=True))  # created by the migrations
    missing = []
    for key, rule in catalogue.RETENTION.items():
        for mechanism in rule.mechanisms:
            if mechanism.startswith("manage.py "):
                ok = mechanism.removeprefix("manage.py ") in commands
            elif mechanism.startswith("schedule:"):
                ok = mechanism.removeprefix("schedule:") in schedules
            else:
                try:
                    ok = callable(registry.resolve_dotted(mechanism))
                except (ImportError, AttributeError):
                    ok = False
            if not ok:
                missing.append(f"{key}: {mechanism}")
        missing += [f"{key}: {test}" for test in rule.evidence if not _test_exists(test)]
    assert missing == []


def test_every_risk_names_tests_that_exist() -> None:
    missing = [f"{key}: {test}" for key, risk in RISKS.items() for test in risk.evidence if not _test_exists(test)]
    assert missing == []


def test_what_writes_each_stored_entry_exists() -> None:
    missing = []
    for section, (_title, entries) in SECTIONS.items():
        for name, stored in entries.items():
            try:
                registry.resolve_dotted(stored.written_by)
            except (ImportError, AttributeError):
                missing.append(f"{section}:{name}: {stored.written_by}")
    assert missing == []


def test_every_server_key_is_a_setting() -> None:
    assert [key for key in catalogue.KEYS.values() if key.setting and not hasattr(settings, key.setting)] == []


def _queued_functions() -> set[str]:
    """The task names the project's code passes to async_task, read from the source."""
    names = set()
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "async_task"
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    names.add(node.args[0].value)
    return names


@pytest.mark.django_db
def test_every_queued_task_and_schedule_is_declared() -> None:
    scheduled = set(Schedule.objects.values_list("func", flat=True))
    queued = _queued_functions()
    assert queued, "the scan must find the notices' async_task calls"
    assert (queued | scheduled) - set(QUEUE) == set()
    assert [name for name in QUEUE if not callable(registry.resolve_dotted(name))] == []


def test_declared_defaults_are_the_settings_defaults(tmp_path: Path) -> None:
    """The documents state production defaults; the test settings change some of them, so read
    them from a process that imports the settings with an empty environment."""
    script = (
        "import json, meldestelle.settings as s; print(json.dumps({"
        "'SESSION_COOKIE_AGE': s.SESSION_COOKIE_AGE,"
        "'FOLLOWUP_FAILURE_WINDOW_SECONDS': s.FOLLOWUP_FAILURE_WINDOW_SECONDS,"
        "'TASK_SAVE_LIMIT': s.Q_CLUSTER['save_limit'],"
        "'ARGON2': {n: getattr(s, n) for n in ('ARGON2_TIME_COST', 'ARGON2_MEMORY_KIB', 'ARGON2_LANES')}}))"
    )
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
                   "MELDESTELLE_LOCAL_DIR": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static"),
                   "SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    result = subprocess.run([sys.executable, "-c", script], env=environment, cwd=tmp_path,
                            capture_output=True, text=True, check=True, timeout=60)
    defaults = json.loads(result.stdout)
    assert defaults == {
        "SESSION_COOKIE_AGE": catalogue.SESSION_COOKIE_AGE,
        "FOLLOWUP_FAILURE_WINDOW_SECONDS": catalogue.FOLLOWUP_FAILURE_WINDOW_SECONDS,
        "TASK_SAVE_LIMIT": catalogue.TASK_SAVE_LIMIT,
        "ARGON2": catalogue.ARGON2,
    }
    assert auth._THROTTLE_MEMORY_SECONDS == catalogue.LOGIN_THROTTLE_MEMORY_SECONDS


def test_ciphertext_is_read_only_by_the_holders_of_its_key_and_plaintext_also_by_the_operator() -> None:
    from privacy.inventory import Kind, Role

    for item in registry.resolved():
        if item.field.kind is Kind.CIPHERTEXT or item.section == "cookies":
            assert Role.OPERATOR not in item.readers, item.label
        else:
            assert Role.OPERATOR in item.readers, item.label
