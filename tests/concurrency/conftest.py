"""Fixtures for the concurrency tests: a test database other processes can reach, a real
gunicorn server against it, and a client that fires JSON submissions.

SQLite's default test database lives in memory, where the live server shares one connection
between all its threads (which serialises and hides every locking problem) and no other
process can see it. When these tests are collected on SQLite, the test database moves to a
file of its own (one per test process), so threads and server processes each open their own
connection, exactly as `make run` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from loadtools import BASE_DIR, Server, free_port, server_env, wait_until_serving

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(HERE in Path(str(item.path)).parents for item in items):
        return
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    test = database.setdefault("TEST", {})
    if test.get("NAME") in (None, "", ":memory:"):
        test["NAME"] = str(Path(tempfile.gettempdir()) / f"meldestelle-test-{os.getpid()}.sqlite3")


@pytest.fixture
def gunicorn(tmp_path: Path, transactional_db: None) -> Iterator[Callable[..., Server]]:
    """Start gunicorn (gthread workers) against this test's database; stopped at the end."""
    started: list[Server] = []

    def start(workers: int = 2, threads: int = 8, graceful_timeout: int = 3, **env: str) -> Server:
        port = free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        command = [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            "meldestelle.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--worker-class", "gthread",
            "--graceful-timeout", str(graceful_timeout),
            "--timeout", "60",
            "--backlog", "256",
            "--no-control-socket",  # several servers may run at once; no shared socket path
        ]
        if not (BASE_DIR / ".venv" / "bin" / "gunicorn").exists():
            command[0:1] = [sys.executable, "-m", "gunicorn"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=BASE_DIR, env=server_env(**env), stdout=log, stderr=subprocess.STDOUT
            )
        server = Server(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
        started.append(server)
        wait_until_serving(server)
        return server

    yield start
    for server in started:
        server.terminate()


@pytest.fixture
def receiving_org(transactional_db: None) -> Any:
    """The one organisation that receives everything (statewide fallback), with its key."""
    from reporting.services import organisation_create

    return organisation_create(
        actor=None, slug="landesstelle", name="Landesstelle (demo)", statewide=True,
        is_fallback=True, languages=["de", "en"],
    )
