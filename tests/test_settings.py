"""Test settings live in their own module (issue 15, step 8): the production settings do not
change because a process imported pytest, and the suite runs on meldestelle.settings_test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, pytest, django
from django.conf import settings
django.setup()
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS, "pow": settings.REPORT_POW_DIFFICULTY,
    "form_seconds": settings.REPORT_MIN_FORM_SECONDS, "argon2_memory": settings.ARGON2_MEMORY_KIB,
    "sync": settings.Q_CLUSTER.get("sync", False), "cache": settings.CACHES["default"]["BACKEND"],
}))
"""


def test_production_settings_ignore_an_imported_pytest(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DATABASE", "SQLITE", "REDIS", "REPORT_", "ARGON2_", "Q_"))}
    env.update(DJANGO_SETTINGS_MODULE="meldestelle.settings", MELDESTELLE_LOCAL_DIR=str(tmp_path),
               SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    production = json.loads(out.strip().splitlines()[-1])
    assert production == {
        "hashers": ["meldestelle.hashers.Argon2idHasher"], "pow": 16, "form_seconds": 3,
        "argon2_memory": 64 * 1024, "sync": False,
        "cache": "django.core.cache.backends.db.DatabaseCache",
    }


def test_the_suite_runs_on_the_test_settings() -> None:
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "meldestelle.settings_test"
    assert settings.PASSWORD_HASHERS == ["meldestelle.hashers.FastTestHasher"]
    assert "TESTING" not in (ROOT / "meldestelle" / "settings.py").read_text(encoding="utf-8")
