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
        DJANGO_SETTINGS_MODULE="meldestelle.settings",
        SECRET_KEY="x" * 64 + "production-secret-key-for-the-check-only",
        RECEIPT_PEPPER=key,
        NOTIFICATION_KEY=key,
        ADDRESS_HASH_KEY=key,
        AUDIT_CHAIN_KEY=key,
        KEY_AUTH_KEY=key,
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


def test_production_refuses_to_start_without_the_audit_chain_key(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["AUDIT_CHAIN_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY is not set" in result.stderr
    # Nothing was generated in its place.
    assert not (tmp_path / "local" / "secrets.json").exists()


def test_production_reads_the_audit_chain_key_from_a_file(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["AUDIT_CHAIN_KEY"]
    key = base64.b64encode(b"a" * 32).decode()  # unlike the other keys here
    key_file = tmp_path / "audit-chain-key"
    key_file.write_text(key + "\n")
    env["AUDIT_CHAIN_KEY_FILE"] = str(key_file)
    code = "from django.conf import settings; import base64; print(base64.b64encode(settings.AUDIT_CHAIN_KEY).decode())"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == key


def test_production_refuses_to_start_without_the_key_authentication_key(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["KEY_AUTH_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "KEY_AUTH_KEY is not set" in result.stderr
    assert not (tmp_path / "local" / "secrets.json").exists()


def test_production_reads_the_key_authentication_key_from_a_file(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["KEY_AUTH_KEY"]
    key = base64.b64encode(b"m" * 32).decode()
    key_file = tmp_path / "key-auth-key"
    key_file.write_text(key + "\n")
    env["KEY_AUTH_KEY_FILE"] = str(key_file)
    code = "from django.conf import settings; import base64; print(base64.b64encode(settings.KEY_AUTH_KEY).decode())"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == key
