"""The onion service set-up end to end: Debian's nginx in front of gunicorn (issue 13, F-08).

nginx runs the shipped `deploy/nginx-onion.conf` (only its ports and paths changed), listening
with `proxy_protocol` as Tor's `HiddenServiceExportCircuitID haproxy` expects. The test client
plays Tor: every connection starts with the PROXY protocol v1 line Tor writes, whose source
address carries the circuit id. The application runs in gunicorn with its own database (SQLite
file or a fresh PostgreSQL database, following the session's), started here and stopped by PID.

What must hold: two circuits are two clients for the submission limit; whatever a client puts
in X-Forwarded-For (or X-Tor-Circuit) changes nothing; wrong receipt codes from one circuit make
that circuit's next try cost proof of work and leave every other circuit alone; and a client
that reaches the application any other way cannot claim a circuit.

Without nginx the test skips, unless MELDESTELLE_REQUIRE_NGINX=1 (CI), where that fails.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[1]
SHIPPED = BASE_DIR / "deploy" / "nginx-onion.conf"
NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
ONION_PROXY_ADDRESS = "127.0.0.2"
HOST = "meldestellexyz.onion"
PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable
GUNICORN = [str(BASE_DIR / ".venv" / "bin" / "gunicorn")]
if not Path(GUNICORN[0]).exists():
    GUNICORN = [sys.executable, "-m", "gunicorn"]
# Small limits, so that a few requests reach them.
SUBMISSIONS_PER_HOUR = 2
FREE_WRONG_CODES = 2
POW_BITS = 4


def _unavailable(reason: str) -> None:
    if os.environ.get("MELDESTELLE_REQUIRE_NGINX") == "1":
        pytest.fail(f"{reason} (MELDESTELLE_REQUIRE_NGINX=1)")
    pytest.skip(reason)


def _nginx() -> str:
    found = NGINX if Path(NGINX).exists() else shutil.which("nginx")
    if not found:
        _unavailable(f"nginx not found at {NGINX}: install Debian's nginx to run the onion proxy test")
    with socket.socket() as probe:
        try:
            probe.bind((ONION_PROXY_ADDRESS, 0))
        except OSError:
            _unavailable(f"cannot bind {ONION_PROXY_ADDRESS} (the onion site's proxy_bind address)")
    return str(found)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"not listening within {timeout}s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process we started (by its PID), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------------------------
# A database of the server's own


@pytest.fixture(scope="module")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment entries for a fresh database of the session's kind, dropped at the end."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        yield {"SQLITE_PATH": str(tmp_path_factory.mktemp("onion-db") / "db.sqlite3")}
        return
    import psycopg

    user = database["USER"] or "postgres"
    auth = f"{user}:{database['PASSWORD']}@" if database["PASSWORD"] else f"{user}@"
    server = f"postgres://{auth}{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    name = f"meldestelle_onion_{secrets.token_hex(6)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield {"DATABASE_URL": f"{server}/{name}", "DATABASE_CONN_MAX_AGE": "0"}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# gunicorn and nginx


@dataclass(frozen=True)
class Stack:
    onion_port: int  # nginx, speaking PROXY protocol like Tor's onion service port
    app_port: int  # gunicorn itself


def _nginx_conf(tmp: Path, *, onion_port: int, app_port: int) -> Path:
    """The shipped onion site with its ports and paths changed, in a minimal main config."""
    site = SHIPPED.read_text()
    for old, new in (
        ("listen 127.0.0.1:8080 proxy_protocol;", f"listen 127.0.0.1:{onion_port} proxy_protocol;"),
        ("proxy_pass http://127.0.0.1:8001;", f"proxy_pass http://127.0.0.1:{app_port};"),
        ("/var/log/nginx/meldestelle-onion-error.log", str(tmp / "site-error.log")),
        ("/srv/meldestelle/staticfiles/", str(tmp / "static") + "/"),
    ):
        assert old in site, f"deploy/nginx-onion.conf no longer has {old!r}: update this test"
        site = site.replace(old, new)
    for required in ("proxy_bind 127.0.0.2;", "X-Tor-Circuit $proxy_protocol_addr;", 'X-Forwarded-For "";'):
        assert required in site, f"deploy/nginx-onion.conf lost {required!r}"
    temp = tmp / "temp"
    temp.mkdir()
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
""")
    return conf


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, server_database: dict[str, str]) -> Iterator[Stack]:
    nginx = _nginx()
    tmp = tmp_path_factory.mktemp("onion")
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
    env.update(server_database)
    env.update(
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="meldestelle.settings",
        MELDESTELLE_LOCAL_DIR=str(tmp / "local"),
        SECRET_KEY=secrets.token_urlsafe(50),
        **{name: base64.b64encode(secrets.token_bytes(32)).decode() for name in (
            "RECEIPT_PEPPER", "NOTIFICATION_KEY", "ADDRESS_HASH_KEY", "AUDIT_CHAIN_KEY")},
        ALLOWED_HOSTS="127.0.0.1,localhost,.onion",
        MEDIA_ROOT=str(tmp / "media"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp / "mail"),
        BEHIND_PROXY="true",
        TOR_PROXY_ADDRESSES=ONION_PROXY_ADDRESS,
        REPORT_POW_DIFFICULTY="0",
        REPORT_MIN_FORM_SECONDS="0",
        REPORT_RATE_PER_HOUR=str(SUBMISSIONS_PER_HOUR),
        REPORT_RATE_PER_HOUR_NO_POW=str(SUBMISSIONS_PER_HOUR),
        FOLLOWUP_MAX_FAILURES=str(FREE_WRONG_CODES),
        FOLLOWUP_POW_DIFFICULTY=str(POW_BITS),
        FOLLOWUP_POW_MAX_DIFFICULTY=str(POW_BITS + 4),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for command in (["migrate", "--noinput"], ["createcachetable"],
                    ["create_partner", "--slug", "landesstelle", "--name", "Landesstelle", "--fallback",
                     "--languages", "de,en"]):
        done = subprocess.run([PYTHON, "manage.py", *command], cwd=BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"manage.py {' '.join(command)}:\n{done.stdout}\n{done.stderr}"

    app_port, onion_port = _free_port(), _free_port()
    app_log, nginx_log = tmp / "gunicorn.log", tmp / "nginx.out"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with app_log.open("wb") as log:
            app = subprocess.Popen(
                [*GUNICORN, "meldestelle.wsgi:application", "--bind", f"127.0.0.1:{app_port}",
                 "--workers", "1", "--threads", "4", "--graceful-timeout", "3", "--timeout", "60",
                 "--no-control-socket", "--error-logfile", "-"],
                cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        processes.append(app)
        _wait_for_port(app_port, app, app_log)
        conf = _nginx_conf(tmp, onion_port=onion_port, app_port=app_port)
        with nginx_log.open("wb") as log:
            proxy = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
                                     cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        processes.append(proxy)
        _wait_for_port(onion_port, proxy, tmp / "error.log")
        yield Stack(onion_port=onion_port, app_port=app_port)
    finally:
        for process in reversed(processes):
            _stop(process)


# --------------------------------------------------------------------------------------------
# Tor's side of the connection


def proxy_line(circuit: int) -> bytes:
    """The line Tor writes for HiddenServiceExportCircuitID haproxy (see tor(1))."""
    return f"PROXY TCP6 fc00:dead:beef:4dad::{circuit >> 16:x}:{circuit & 0xFFFF:x} ::1 {circuit & 0xFFFF} 80\r\n".encode()


class CircuitConnection(http.client.HTTPConnection):
    """An HTTP connection that arrives over one Tor circuit (the PROXY line comes first)."""

    def __init__(self, port: int, circuit: int) -> None:
        super().__init__("127.0.0.1", port, timeout=30)
        self.circuit = circuit

    def connect(self) -> None:
        super().connect()
        assert self.sock is not None
        self.sock.sendall(proxy_line(self.circuit))


def call(connection: http.client.HTTPConnection, method: str, path: str, payload: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    sent = {"Host": HOST, "Accept": "application/json", **(headers or {})}
    if payload is not None:
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=None if payload is None else json.dumps(payload), headers=sent)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, json.loads(data) if data else {}


def via(stack: Stack, circuit: int, method: str, path: str, payload: Any = None, **headers: str) -> tuple[int, dict[str, Any]]:
    return call(CircuitConnection(stack.onion_port, circuit), method, path, payload, headers)


def report(marker: str) -> dict[str, Any]:
    return {"description": f"Onion test {marker}: someone shouted at me.", "district": "03241",
            "motives": ["racism"], "consent": True, "language": "de"}


WRONG = {"receipt": "AAAA-BBBB-CCCC-DDDD"}
FORGED = {
    "X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.8", "Forwarded": "for=198.51.100.9",
    "X-Tor-Circuit": "fc00:dead:beef:4dad::ffff:ffff",
}


def solve(challenge: str, difficulty: int) -> str:
    nonce = 0
    while int.from_bytes(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest(), "big") >> (256 - difficulty):
        nonce += 1
    return str(nonce)


# --------------------------------------------------------------------------------------------


def test_two_circuits_get_separate_submission_limits(stack: Stack) -> None:
    for number in range(SUBMISSIONS_PER_HOUR):
        status, body = via(stack, 0x1001, "POST", "/api/v1/reports/", report(f"a{number}"))
        assert status == 201, body
    status, body = via(stack, 0x1001, "POST", "/api/v1/reports/", report("a-over"))
    assert status == 429 and body["error"]["code"] == "throttled", body
    # another circuit (another person on Tor) is not affected
    status, body = via(stack, 0x2002, "POST", "/api/v1/reports/", report("b"))
    assert status == 201, body
    # and the reporter on that circuit can open their report through the onion site
    status, body = via(stack, 0x2002, "POST", "/api/v1/followup/", {"receipt": body["receipt"]})
    assert status == 200, body


def test_a_forged_x_forwarded_for_changes_nothing(stack: Stack) -> None:
    for number in range(SUBMISSIONS_PER_HOUR):
        status, body = via(stack, 0x3003, "POST", "/api/v1/reports/", report(f"c{number}"),
                           **{**FORGED, "X-Forwarded-For": f"198.51.100.{number}"})
        assert status == 201, body
    # a new X-Forwarded-For (or X-Real-IP, Forwarded, even X-Tor-Circuit) is no new client
    for forged in ({"X-Forwarded-For": "203.0.113.50"}, {"X-Forwarded-For": "203.0.113.51, 203.0.113.52"},
                   {"X-Real-IP": "203.0.113.53"}, {"Forwarded": "for=203.0.113.54"},
                   {"X-Tor-Circuit": "fc00:dead:beef:4dad::abcd:ef01"}):
        status, body = via(stack, 0x3003, "POST", "/api/v1/reports/", report("c-over"), **forged)
        assert status == 429, (forged, body)


def test_wrong_codes_from_one_circuit_do_not_throttle_another(stack: Stack) -> None:
    for _ in range(FREE_WRONG_CODES):
        status, body = via(stack, 0x4004, "POST", "/api/v1/followup/", WRONG)
        assert status == 404, body
    status, body = via(stack, 0x4004, "POST", "/api/v1/followup/", WRONG)
    assert status == 429 and body["error"]["code"] == "pow_required", body
    status, body = via(stack, 0x4004, "POST", "/api/v1/followup/", WRONG, **FORGED)
    assert status == 429, body
    # every other circuit still tries for free
    status, offer = via(stack, 0x5005, "GET", "/api/v1/followup/challenge/")
    assert status == 200 and offer["difficulty"] == 0, offer
    for _ in range(FREE_WRONG_CODES):
        status, body = via(stack, 0x5005, "POST", "/api/v1/followup/", WRONG)
        assert status == 404, body
    # the throttled circuit is slowed down, not locked out: with the proof it may try again
    status, offer = via(stack, 0x4004, "GET", "/api/v1/followup/challenge/")
    assert status == 200 and offer["difficulty"] == POW_BITS, offer
    proof = {**WRONG, "challenge": offer["challenge"], "nonce": solve(offer["challenge"], offer["difficulty"])}
    status, body = via(stack, 0x4004, "POST", "/api/v1/followup/", proof)
    assert status == 404, body
    status, offer = via(stack, 0x4004, "GET", "/api/v1/followup/challenge/")
    assert offer["difficulty"] == POW_BITS + 1, offer


def test_a_circuit_header_is_believed_only_from_the_onion_proxy(stack: Stack) -> None:
    """Straight to gunicorn (from 127.0.0.1, not the onion proxy's 127.0.0.2): a client that
    names a new circuit with every request is still one client."""
    for number in range(FREE_WRONG_CODES):
        connection = http.client.HTTPConnection("127.0.0.1", stack.app_port, timeout=30)
        status, body = call(connection, "POST", "/api/v1/followup/", WRONG,
                            {"X-Tor-Circuit": f"fc00:dead:beef:4dad::77:{number}"})
        assert status == 404, body
    connection = http.client.HTTPConnection("127.0.0.1", stack.app_port, timeout=30)
    status, body = call(connection, "POST", "/api/v1/followup/", WRONG, {"X-Tor-Circuit": "fc00:dead:beef:4dad::77:99"})
    assert status == 429, body
