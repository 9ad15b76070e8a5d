"""The suite's own plumbing (issue 15, step 8): shared helpers come from tests/helpers.py (or the
helper libraries beside it), never from a conftest file or another test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_module_imports_a_conftest_or_another_test_module() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                last = node.module.rsplit(".", 1)[-1]
                if node.module.startswith("tests") and (last == "conftest" or last.startswith("test_")):
                    found.append(f"{path.relative_to(TESTS)}:{node.lineno} {node.module}")
    assert found == []
