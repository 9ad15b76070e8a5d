"""`manage.py check --deploy` is clean with production settings, and production refuses to
start without its secrets."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path: Path) -> dict[str, str]:
    dropped = ("DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    key = base64.b64encode(b"k" * 32).decode()
    env.update(
        MELDESTELLE_PRODUCTION="true",
        MELDESTELLE_TESTING="false",
        SECRET_KEY="x" * 64 + "production-secret-key-for-the-check-only",
        RECEIPT_PEPPER=key,
        NOTIFICATION_KEY=key,
        ADDRESS_HASH_KEY=key,
        ALLOWED_HOSTS="meldestelle.example.org",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MELDESTELLE_LOCAL_DIR=str(tmp_path / "local"),
    )
    return env


def test_check_deploy_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_names_the_missing_secret(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["RECEIPT_PEPPER"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "RECEIPT_PEPPER" in result.stderr
