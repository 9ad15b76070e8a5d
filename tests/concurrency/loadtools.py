"""Load-test tools shared by the concurrency tests and the benchmarks: a JSON client that never
raises, a report payload with a marker, and a real gunicorn server process."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------------------------
# HTTP


@dataclass
class Response:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def post_json(base_url: str, path: str, payload: dict[str, Any], timeout: float = 60) -> Response:
    """One POST on a fresh connection; a refused or cut connection is status 0, not an exception."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(payload), headers={"Content-Type": "application/json"})
        raw = conn.getresponse()
        data = raw.read()
        try:
            body = json.loads(data) if data else {}
        except ValueError:
            body = {"raw": data[:200].decode(errors="replace")}
        return Response(raw.status, body if isinstance(body, dict) else {"value": body})
    except OSError as exc:
        return Response(0, error=type(exc).__name__)
    finally:
        conn.close()


def report_payload(marker: str, **extra: Any) -> dict[str, Any]:
    payload = {
        "description": f"Concurrency marker {marker}: someone shouted at us at the bus stop.",
        "district": "03241",
        "motives": ["racism"],
        "consent": True,
        "language": "de",
    }
    payload.update(extra)
    return payload


def require_api() -> None:
    """Skip until the public submission API is routed (checked at run time, not collection)."""
    import pytest
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/reports/")
    except Resolver404:
        pytest.skip("POST /api/v1/reports/ is not routed yet")


# --------------------------------------------------------------------------------------------
# A real server process against the test database


def server_env(**overrides: str) -> dict[str, str]:
    """The environment for a server process that shares this test's database, keys and media."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "SQLITE"))}
    if connection.vendor == "postgresql":
        user = db["USER"] or ""
        auth = f"{user}:{db['PASSWORD']}@" if db["PASSWORD"] else (f"{user}@" if user else "")
        env["DATABASE_URL"] = f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        env["DATABASE_CONN_MAX_AGE"] = "0"
    else:
        name = str(db["NAME"])
        assert "memory" not in name, "SQLite test database must be a file for a server process"
        env["SQLITE_PATH"] = name
    env.update(
        # The test settings: proof of work and form timing off, fast password hasher.
        DJANGO_SETTINGS_MODULE="meldestelle.settings_test",
        Q_ASYNC="1",  # notices go to the ORM broker as in production, not inline
        SECRET_KEY=settings.SECRET_KEY,
        RECEIPT_PEPPER=base64.b64encode(settings.RECEIPT_PEPPER).decode(),
        NOTIFICATION_KEY=base64.b64encode(settings.NOTIFICATION_KEY).decode(),
        ADDRESS_HASH_KEY=base64.b64encode(settings.ADDRESS_HASH_KEY).decode(),
        AUDIT_CHAIN_KEY=base64.b64encode(settings.AUDIT_CHAIN_KEY).decode(),
        KEY_AUTH_KEY=base64.b64encode(settings.KEY_AUTH_KEY).decode(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        REPORT_RATE_PER_HOUR="1000000",
        REPORT_RATE_PER_HOUR_NO_POW="1000000",
        REPORT_GLOBAL_RATE_PER_MINUTE="1000000",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def terminate(self) -> float:
        """SIGTERM; returns the seconds until the process had exited (60 if it never did)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return 60.0
        return time.monotonic() - started


def wait_until_serving(server: Server, timeout: float = 30, *, healthy: bool = False) -> None:
    """Until the server answers /healthz (with 200 when `healthy`)."""
    host, port = server.base_url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            if not healthy or response.status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {timeout}s:\n{server.log()}")


@contextmanager
def task_cluster(log_path: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """`manage.py qcluster` on this test's database, as production runs it; stopped by its PID."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BASE_DIR / ".venv" / "bin" / "python"), "manage.py", "qcluster"],
            cwd=BASE_DIR, env=server_env(**env), stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
