"""The production configuration end to end on this machine (issues 7 and 16).

Two hosts as in production: two gunicorn processes, each with a local folder of its own (as two
machines would have: MEDIA_ROOT and MELDESTELLE_LOCAL_DIR differ), PostgreSQL, Redis, one
django-q2 task cluster with the Redis broker, and the attachments in one bucket of a real S3
server (SeaweedFS), all with MELDESTELLE_PRODUCTION=true and DEBUG off. A report with a photo
goes in through one host and is read, photo included, through the other (by the reporter with
the receipt, by the counsellor decrypting it); the cluster delivers the content-free notice; a
shred through one host removes the object from the bucket for both.

The test makes its own PostgreSQL database (whatever the session database is) and takes an
empty Redis database number; both are emptied and dropped at the end. Without PostgreSQL or
Redis it skips, unless MELDESTELLE_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hmac
import http.client
import importlib
import json
import os
import re
import secrets
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import WeedServer, make_jpeg

CONCURRENCY = str(Path(__file__).resolve().parent / "concurrency")
if CONCURRENCY not in sys.path:
    sys.path.insert(0, CONCURRENCY)
loadtools = importlib.import_module("loadtools")  # shared with the concurrency tests

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
FIRST_REDIS_DB = 7
REDIS_CLAIM = "meldestelle:production-test:claim"
PASSWORD = "production test password 1"
PYTHON = str(loadtools.BASE_DIR / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable
GUNICORN = [str(loadtools.BASE_DIR / ".venv" / "bin" / "gunicorn")]
if not Path(GUNICORN[0]).exists():
    GUNICORN = [sys.executable, "-m", "gunicorn"]
STOP_SECONDS = 10


def _unavailable(reason: str) -> None:
    if os.environ.get("MELDESTELLE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (MELDESTELLE_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------
# Services: a fresh PostgreSQL database and an empty Redis database


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A new database `meldestelle_prod_<random>`; its URL. Dropped at the end."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN}: {type(exc).__name__}")
    name = f"meldestelle_prod_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgres://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An empty Redis database number (7 or above), claimed for this test, flushed after."""
    import redis

    try:
        probe = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=3)
        count = int(probe.config_get("databases").get("databases", 16))
    except redis.RedisError as exc:
        _unavailable(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}: {type(exc).__name__}")
    finally:
        probe.close()
    for number in range(FIRST_REDIS_DB, count):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=3)
        # Empty and claimed atomically enough: a second session finds the claim and moves on.
        if client.dbsize() == 0 and client.set(REDIS_CLAIM, "1", nx=True, ex=600):
            client.flushdb()
            try:
                yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    pytest.fail(f"no empty Redis database among {FIRST_REDIS_DB}..{count - 1}")


def production_env(tmp_path: Path, database_url: str, redis_url: str) -> dict[str, str]:
    """What /etc/meldestelle/env holds, for loopback over plain HTTP, with mail into a folder."""
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
    env.update(
        MELDESTELLE_PRODUCTION="true",
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="meldestelle.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        RECEIPT_PEPPER=key(),
        NOTIFICATION_KEY=key(),
        ADDRESS_HASH_KEY=key(),
        AUDIT_CHAIN_KEY=key(),
        KEY_AUTH_KEY=key(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        Q_BROKER="redis",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        MEDIA_ROOT=str(tmp_path / "media"),
        MELDESTELLE_LOCAL_DIR=str(tmp_path / "local"),
        REPORT_POW_DIFFICULTY="0",
        REPORT_MIN_FORM_SECONDS="0",
        SITE_URL="http://127.0.0.1",
        LOG_LEVEL="WARNING",
        # The shred's vacuum task waits this long for older transactions anywhere on the server
        # (other test sessions' databases too) before giving up: short, so the cluster stops in time.
        SHRED_VACUUM_WAIT_SECONDS="2",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str, **extra_env: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=loadtools.BASE_DIR, env={**env, **extra_env},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# --------------------------------------------------------------------------------------------
# HTTP with cookies (loadtools.post_json sends none)


class Browser:
    """JSON requests that keep cookies, shared across both servers (cookies ignore the port)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, base_url: str, method: str, path: str, payload: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        status, data = self.raw(base_url, method, path,
                                body=None if payload is None else json.dumps(payload).encode(),
                                headers={"Accept": "application/json", **(headers or {}),
                                         **({"Content-Type": "application/json"} if payload is not None else {})})
        return status, json.loads(data) if data else {}

    def raw(self, base_url: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        host, port = base_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            data = raw.read()
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        finally:
            conn.close()
        return raw.status, data


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type: (name, value) fields and (field name,
    file name, content type, bytes) files, as a browser sends them."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def totp(key_hex: str, step: int = 30, digits: int = 6, drift: int = 0) -> str:
    """RFC 6238 with HMAC-SHA1, as django_otp's TOTPDevice computes it."""
    counter = int(time.time()) // step + drift
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def device_of(database_url: str, username: str) -> tuple[str, int, int, int]:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=3) as conn:
        row = conn.execute(
            "SELECT d.key, d.step, d.digits, d.drift FROM otp_totp_totpdevice d "
            "JOIN auth_user u ON u.id = d.user_id WHERE u.username = %s AND d.confirmed",
            (username,),
        ).fetchone()
    assert row is not None, "the counsellor has no TOTP device"
    return row[0], int(row[1]), int(row[2]), int(row[3])


def read_mail(folder: Path) -> list[str]:
    """Every message the file backend wrote, raw and decoded, one string per message."""
    texts = []
    for path in sorted(folder.glob("*.log")) if folder.is_dir() else []:
        raw = path.read_bytes()
        decoded = []
        for chunk in re.split(rb"\n-{79}\n", raw):
            if chunk.strip():
                message = email.message_from_bytes(chunk.strip(), policy=email.policy.default)
                body = message.get_body(("plain",))
                decoded.append(f"{message['Subject']}\n{message['To']}\n{body.get_content() if body else ''}")
        texts.append(raw.decode(errors="replace") + "\n" + "\n".join(decoded))
    return texts


# --------------------------------------------------------------------------------------------


def host_env(env: dict[str, str], folder: Path) -> dict[str, str]:
    """One machine's environment: the shared services, and local folders of its own."""
    return {**env, "MEDIA_ROOT": str(folder / "media"), "MELDESTELLE_LOCAL_DIR": str(folder / "local")}


def local_files(tmp_path: Path) -> list[Path]:
    return [path for host in ("host-a", "host-b", "tasks") for path in (tmp_path / host / "media").rglob("*")
            if path.is_file()]


@pytest.mark.postgres
def test_production_two_hosts_share_one_bucket_with_a_redis_task_cluster(
    tmp_path: Path, postgres_database: str, redis_url: str, s3_server: WeedServer
) -> None:
    bucket = s3_server.new_bucket()
    env = {**production_env(tmp_path, postgres_database, redis_url), **s3_server.env(bucket)}
    manage(env, "migrate", "--noinput")
    # The start-up check the units run (deploy/*.service): the bucket answers.
    manage(env, "check", "--deploy", "--tag", "files")
    # CompressedStaticFilesStorage (no manifest) needs no collectstatic for the API and health
    # check, and without DEBUG WhiteNoise serves only STATIC_ROOT; nothing static is fetched here.

    created = manage(env, "create_partner", "--slug", "landesstelle", "--name", "Landesstelle",
                     "--fallback", "--languages", "de,en")
    recovery = created.strip().splitlines()[-1].strip()
    assert recovery and "Recovery" not in recovery, created
    counsellor = "beraterin"
    created = manage(env, "create_counsellor", "--partner", "landesstelle", "--username", counsellor,
                     "--email", "beraterin@example.org",
                     MELDESTELLE_PASSWORD=PASSWORD, MELDESTELLE_RECOVERY_CODE=recovery)
    assert "No key access" not in created, created

    processes: list[Any] = []
    try:
        servers = []
        for name in ("a", "b"):
            port = loadtools.free_port()
            log_path = tmp_path / f"gunicorn-{name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [*GUNICORN, "meldestelle.wsgi:application", "--bind", f"127.0.0.1:{port}",
                     "--workers", "2", "--threads", "4", "--graceful-timeout", "5", "--timeout", "60",
                     "--no-control-socket", "--error-logfile", "-"],
                    cwd=loadtools.BASE_DIR, env=host_env(env, tmp_path / f"host-{name}"),
                    stdout=log, stderr=subprocess.STDOUT,
                )
            server = loadtools.Server(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
            processes.append(server)
            servers.append(server)
        cluster_log = tmp_path / "qcluster.log"
        with cluster_log.open("wb") as log:
            cluster = loadtools.Server(
                process=subprocess.Popen([PYTHON, "manage.py", "qcluster"], cwd=loadtools.BASE_DIR,
                                         env=host_env(env, tmp_path / "tasks"),
                                         stdout=log, stderr=subprocess.STDOUT),
                base_url="", log_path=cluster_log,
            )
        processes.append(cluster)
        a, b = servers
        for server in servers:
            loadtools.wait_until_serving(server, healthy=True)

        browser = Browser()
        for server in servers:
            status, health = browser.request(server.base_url, "GET", "/healthz")
            assert status == 200, (health, server.log())
            assert health["checks"] == {"database": "ok", "queue": "ok", "store": "ok"}, health

        # The reporter: submitted with a photo through A, followed up through B.
        marker = uuid.uuid4().hex
        payload = loadtools.report_payload(marker)
        photo = make_jpeg(size=(96, 64))
        body, content_type = multipart(
            [("description", payload["description"]), ("district", payload["district"]),
             ("motives", "racism"), ("consent", "true"), ("language", "de")],
            [("files", f"{marker}.jpg", "image/jpeg", photo)],
        )
        status, raw = Browser().raw(a.base_url, "POST", "/api/v1/reports/", body=body,
                                    headers={"Content-Type": content_type, "Accept": "application/json"})
        assert status == 201, (raw, a.log())
        submitted = json.loads(raw)
        receipt, reference = submitted["receipt"], submitted["reference"]
        [object_key] = s3_server.object_keys(bucket)
        stored = s3_server.client().get_object(Bucket=bucket, Key=object_key)["Body"].read()
        assert marker.encode() not in stored and photo[-64:] not in stored
        assert local_files(tmp_path) == []  # nothing on either host's disk
        followup = loadtools.post_json(b.base_url, "/api/v1/followup/", {"receipt": receipt})
        assert followup.status == 200, (followup, b.log())
        assert followup.body["status"], followup.body

        # The counsellor, logged in and reading through B.
        key_hex, step, digits, drift = device_of(postgres_database, counsellor)
        status, login = browser.request(b.base_url, "POST", "/api/v1/auth/login/", {
            "username": counsellor, "password": PASSWORD, "otp": totp(key_hex, step, digits, drift),
        })
        assert status == 200, (login, b.log())
        assert login["key_access"] is True, login
        assert {"sessionid", "ms_unlock"} <= set(browser.cookies), browser.cookies
        status, cases = browser.request(b.base_url, "GET", "/api/v1/cases/")
        assert status == 200, cases
        [case] = [item for item in cases["results"] if item["reference"] == reference]
        status, detail = browser.request(b.base_url, "GET", f"/api/v1/cases/{case['id']}/")
        assert status == 200, (detail, b.log())
        assert marker in json.dumps(detail["report"]), detail
        [attachment] = detail["attachments"]
        assert attachment["name"] == f"{marker}.jpg"
        # The photo, stored by A, decrypted by B (cleaned of metadata on arrival, so compare
        # what the decrypted metadata says and the JPEG's start).
        file_path = f"/staff/cases/{case['id']}/files/{attachment['uuid']}/"
        status, downloaded = browser.raw(b.base_url, "GET", file_path)
        assert status == 200, (downloaded[:200], b.log())
        assert len(downloaded) == attachment["size"] and downloaded[:3] == b"\xff\xd8\xff"
        # The same session and unlock cookie open the case through A as well.
        status, detail = browser.request(a.base_url, "GET", f"/api/v1/cases/{case['id']}/")
        assert status == 200 and marker in json.dumps(detail["report"]), detail
        status, again = browser.raw(a.base_url, "GET", file_path)
        assert status == 200 and again == downloaded

        # The notice: delivered by the cluster, saying nothing about the report.
        deadline = time.monotonic() + 20
        while not (mails := read_mail(tmp_path / "mail")) and time.monotonic() < deadline:
            assert cluster.process.poll() is None, cluster.log()
            time.sleep(0.2)
        assert mails, f"no notice within 20 s:\n{cluster.log()}"
        time.sleep(0.5)  # a second (duplicate) notice would show up here
        mails = read_mail(tmp_path / "mail")
        assert len(mails) == 1, mails
        notice = mails[0]
        assert "beraterin@example.org" in notice
        for secret in (marker, payload["district"], receipt, reference, "racism"):
            assert secret not in notice, (secret, notice)

        # A shred through A: the object leaves the bucket, and B has nothing to serve.
        status, _gone = browser.request(a.base_url, "POST", f"/api/v1/cases/{case['id']}/delete/",
                                        {"reason": "entered_by_mistake", "confirm": True},
                                        headers={"X-CSRFToken": browser.cookies.get("csrftoken", login["csrf_token"]),
                                                 "Referer": a.base_url + "/"})
        assert status == 204, (_gone, a.log())
        assert s3_server.object_keys(bucket) == []
        status, _missing = browser.raw(b.base_url, "GET", file_path)
        assert status == 404
        assert local_files(tmp_path) == []

        # Stopping: SIGTERM, each within STOP_SECONDS.
        for process in processes:
            seconds = process.terminate()
            assert seconds < STOP_SECONDS, (seconds, process.log())
    finally:
        for process in processes:
            if process.process.poll() is None:
                process.process.kill()
                process.process.wait()
