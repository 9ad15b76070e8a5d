"""`make bench`: figures beside their baselines, measured in the same run (SPEC §9, issue 7).

Prints a table and writes benchmarks/results.json. Nothing here is pass/fail.

Each benchmark is a function `(ctx) -> dict` registered in BENCHMARKS; it gets a Context with a
migrated database of its own (a temporary PostgreSQL database when one is reachable, otherwise
a temporary SQLite file), Django set up against it, and a way to start gunicorn on it. To add
one (statistics, inbox), write the function and append `Benchmark("name", function)`; keep it
bounded (the whole run must stay under 15 minutes on 2 cores) and loopback-only.

    .venv/bin/python benchmarks/run.py                 # everything
    .venv/bin/python benchmarks/run.py submission      # only the named benchmarks
"""

from __future__ import annotations

import base64
import cProfile
import http.client
import json
import os
import pstats
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "benchmarks" / "results.json"
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Submission benchmark bounds: per concurrency level, at most this many requests or seconds.
CONCURRENCY = (1, 8, 64)
REQUESTS_PER_LEVEL = {1: 150, 8: 400, 64: 640}
SECONDS_PER_LEVEL = 25.0
ATTACHMENT_MB = 100


# --------------------------------------------------------------------------------------------
# Environment: a database of our own, secrets of our own, Django set up against them


@dataclass
class Context:
    env: dict[str, str]
    database: str  # "postgresql" or "sqlite"
    workdir: Path
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    org: Any = None
    # The gunicorn master of the running `gunicorn()`, for the CPU its processes spend.
    server_pid: int | None = None

    @contextmanager
    def gunicorn(self, workers: int = 2, threads: int = 8, extra_env: dict[str, str] | None = None) -> Iterator[str]:
        """gunicorn (gthread) on a free loopback port against the benchmark database."""
        port = _free_port()
        log = (self.workdir / f"gunicorn-{port}.log").open("wb")
        process = subprocess.Popen(
            [
                str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "meldestelle.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
                "--worker-class", "gthread", "--graceful-timeout", "5", "--timeout", "60",
                "--backlog", "512", "--no-control-socket",
            ],
            cwd=BASE_DIR, env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        self.server_pid = process.pid
        try:
            _wait_for(base_url, process)
            yield base_url
        finally:
            self.server_pid = None
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up; see its log in the work directory")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer in time")


def _postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), connect_timeout=2):
            return True
    except Exception:
        return False


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def bench_environment() -> Iterator[Context]:
    workdir = Path(tempfile.mkdtemp(prefix="meldestelle-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "SQLITE", "REDIS"))}
    env.update(
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "meldestelle.settings"),
        MELDESTELLE_BENCH="1",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        RECEIPT_PEPPER=base64.b64encode(secrets.token_bytes(32)).decode(),
        NOTIFICATION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        ADDRESS_HASH_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        AUDIT_CHAIN_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        KEY_AUTH_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        MEDIA_ROOT=str(workdir / "media"),
        REPORT_POW_DIFFICULTY="0",
        REPORT_MIN_FORM_SECONDS="0",
        REPORT_RATE_PER_HOUR="100000000",
        REPORT_RATE_PER_HOUR_NO_POW="100000000",
        REPORT_GLOBAL_RATE_PER_MINUTE="100000000",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="ERROR",
        MELDESTELLE_LOCAL_DIR=str(workdir / "local"),
    )
    # The cache (rate-limit counters) is the shipped one-host default, the database cache,
    # unless BENCH_REDIS_URL names a Redis database to use as REDIS_URL (as with several
    # hosts, docs/deployment.md), e.g. BENCH_REDIS_URL=redis://127.0.0.1:6379/13.
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    pg_name = ""
    if _postgres_reachable():
        pg_name = f"meldestelle_bench_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{pg_name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{pg_name}"
        env["DATABASE_CONN_MAX_AGE"] = "60"
        database = "postgresql"
    else:
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        database = "sqlite"
    os.environ.clear()
    os.environ.update(env)
    try:
        import django

        sys.path.insert(0, str(BASE_DIR))
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        from reporting.services import organisation_create

        org = organisation_create(
            actor=None, slug="bench-landesstelle", name="Bench (demo)", statewide=True,
            is_fallback=True, languages=["de", "en"],
        )
        yield Context(env=env, database=database, workdir=workdir, org=org)
    finally:
        from django.db import connections

        connections.close_all()
        if pg_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


# --------------------------------------------------------------------------------------------
# Load generation


def report_payload(marker: str) -> dict[str, Any]:
    return {
        "description": f"Benchmark report {marker}: someone shouted at us at the bus stop.",
        "district": "03241",
        "motives": ["racism"],
        "consent": True,
        "language": "de",
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _post_report(conn: http.client.HTTPConnection, path: str, marker: str) -> bool:
    conn.request("POST", path, body=json.dumps(report_payload(marker)), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status == 201


def _post_json(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def _post_sealed_report(conn: http.client.HTTPConnection, path: str, marker: str) -> bool:
    """What the report page does with JavaScript (SPEC §3.10): ask for a binding and the routed
    organisation's key, seal in the browser (here the Python reference of static_src/seal.js),
    send the sealed report. One report, two requests."""
    from tests.helpers import browser_seal, sealed_content

    status, offer = _post_json(conn, "/api/v1/reports/bind/", {
        "district": "03241", "motives": ["racism"], "language": "de", "partner": "",
    })
    if status != 200:
        return False
    report = sealed_content(description=f"Benchmark report {marker}: someone shouted at us at the bus stop.")
    sealed, _code = browser_seal(offer, report)
    status, _answer = _post_json(conn, path, sealed)
    return status == 201


def load(
    base_url: str, path: str, clients: int, total: int, seconds: float,
    send: Callable[[http.client.HTTPConnection, str, str], bool] = _post_report,
) -> dict[str, Any]:
    """`clients` threads, each on its own keep-alive connection, send a report (`send`, by
    default one JSON POST to `path`) until `total` were sent or `seconds` passed. Returns
    throughput, latency percentiles and failures."""
    host, port = base_url.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        nonlocal failures
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while time.monotonic() < deadline:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            started = time.perf_counter()
            try:
                ok = send(conn, path, f"{number}-{index}")
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures += 1
        conn.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies) + failures,
        "failures": failures,
        "per_second": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
    }


# --------------------------------------------------------------------------------------------
# Benchmarks


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process `pid` so far (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[int, str]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            yield int(entry.name), stat[stat.index("(") + 1:stat.rindex(")")]


def cpu_split(ctx: Context) -> dict[str, float]:
    """CPU seconds so far of the server (gunicorn's master and workers), the database (every
    PostgreSQL process of this machine: nothing else should run) and this process (the load's
    clients). Linux only; empty elsewhere."""
    if not Path("/proc/self/stat").exists() or ctx.server_pid is None:
        return {}
    try:
        children = Path(f"/proc/{ctx.server_pid}/task/{ctx.server_pid}/children").read_text().split()
    except OSError:
        children = []
    own = os.times()
    return {
        "server": sum(_cpu_seconds(pid) for pid in [ctx.server_pid, *map(int, children)]),
        "database": sum(_cpu_seconds(pid) for pid, name in _processes() if name == "postgres"),
        "clients": own.user + own.system,
    }


def measured_load(
    ctx: Context, base_url: str, path: str, clients: int, total: int, seconds: float,
    send: Callable[[http.client.HTTPConnection, str, str], bool] = _post_report,
) -> dict[str, Any]:
    """`load`, with the CPU milliseconds each report cost the server, the database and the
    clients: on a machine the load saturates, throughput follows from these."""
    before = cpu_split(ctx)
    result = load(base_url, path, clients, total, seconds, send)
    after = cpu_split(ctx)
    if before and result["requests"]:
        result["cpu_ms_per_request"] = {
            part: round((after[part] - before[part]) * 1000 / result["requests"], 2) for part in before
        }
    return result


def bench_submission(ctx: Context) -> dict[str, Any]:
    """Reports per second and latency through POST /api/v1/reports/ against a one-row insert."""
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/reports/")
        report_path = "/api/v1/reports/"
    except Resolver404:
        return {"skipped": "POST /api/v1/reports/ is not routed yet"}
    baseline_path = "/bench/insert-one-row/"
    levels = []
    with ctx.gunicorn() as base_url:
        # Warm both paths (imports, connections, the first HPKE keys) before measuring.
        load(base_url, baseline_path, 4, 40, 10)
        load(base_url, report_path, 4, 40, 10)
        for clients in CONCURRENCY:
            total = REQUESTS_PER_LEVEL[clients]
            baseline = measured_load(ctx, base_url, baseline_path, clients, total, SECONDS_PER_LEVEL)
            report = measured_load(ctx, base_url, report_path, clients, total, SECONDS_PER_LEVEL)
            ratio = round(report["per_second"] / baseline["per_second"], 3) if baseline["per_second"] else None
            levels.append({"clients": clients, "report": report, "baseline": baseline, "ratio_vs_baseline": ratio})
    return {
        "server": "gunicorn gthread, 2 workers × 8 threads",
        "database": ctx.database,
        "cache": "redis" if ctx.env.get("REDIS_URL") else "database",
        "levels": levels,
        "profile": profile_submission(ctx),
    }


def bench_submission_sealed(ctx: Context) -> dict[str, Any]:
    """Reports per second and latency of the browser's path (bind, seal in the client, submit)
    at the submission benchmark's levels; the client's sealing counts in its latency."""
    levels = []
    with ctx.gunicorn() as base_url:
        load(base_url, "/api/v1/reports/sealed/", 4, 40, 10, send=_post_sealed_report)
        for clients in CONCURRENCY:
            levels.append(measured_load(ctx, base_url, "/api/v1/reports/sealed/", clients,
                                        REQUESTS_PER_LEVEL[clients], SECONDS_PER_LEVEL, send=_post_sealed_report))
    return {
        "server": "gunicorn gthread, 2 workers × 8 threads",
        "note": "each report: POST /api/v1/reports/bind/, the seal made in the load's client "
                "(tests.helpers.browser_seal, the Python reference of static_src/seal.js), POST /api/v1/reports/sealed/",
        "levels": levels,
    }


def profile_submission(ctx: Context, rounds: int = 40) -> dict[str, Any]:
    """cProfile the whole request in-process (Django test client, same middleware and view)."""
    from django.test import Client

    client = Client()
    for number in range(5):
        client.post("/api/v1/reports/", report_payload(f"warm-{number}"), content_type="application/json")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for number in range(rounds):
        response = client.post("/api/v1/reports/", report_payload(f"prof-{number}"), content_type="application/json")
        assert response.status_code == 201, response.status_code
    profiler.disable()
    per_request_ms = (time.perf_counter() - started) / rounds * 1000
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    buckets = {
        "hpke_seal": ("hpke", "seal"),
        "aes_gcm": ("aead", "encrypt"),
        "argon2": ("argon2", "derive"),
        "database": ("sqlite3", "psycopg", "execute"),
    }
    shares: dict[str, float] = {}
    top: list[dict[str, Any]] = []
    for (filename, _line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for bucket, needles in buckets.items():
            if any(needle in filename.lower() or needle in name.lower() for needle in needles):
                shares[bucket] = shares.get(bucket, 0.0) + tottime
                break
        top.append({"function": f"{Path(filename).name}:{name}", "tottime_ms": tottime * 1000 / rounds,
                    "cumtime_ms": cumtime * 1000 / rounds})
    top.sort(key=lambda row: row["tottime_ms"], reverse=True)
    return {
        "rounds": rounds,
        "per_request_ms": round(per_request_ms, 2),
        "share_of_time": {k: round(v / total, 3) for k, v in sorted(shares.items())},
        "top_by_own_time": [
            {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()} for row in top[:12]
        ],
    }


def bench_attachments(ctx: Context) -> dict[str, Any]:
    """Streaming encryption of a 100 MB file against one-shot AES-GCM on the same bytes."""
    from reporting import crypto

    size = ATTACHMENT_MB * 1024 * 1024
    source = ctx.workdir / "attachment.bin"
    with source.open("wb") as out:
        for _ in range(ATTACHMENT_MB):
            out.write(os.urandom(1024 * 1024))
    key = crypto.new_key()

    def file_chunks() -> Iterator[bytes]:
        with source.open("rb") as handle:
            while chunk := handle.read(crypto.SEGMENT_BYTES):
                yield chunk

    class Discard:
        def write(self, data: bytes) -> int:
            return len(data)

    data = source.read_bytes()

    def in_memory_chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), crypto.SEGMENT_BYTES):
            yield bytes(view[start : start + crypto.SEGMENT_BYTES])

    def streaming_in_memory() -> None:
        crypto.encrypt_stream(key, in_memory_chunks(), Discard(), case_id="NI-BENCH-1", attachment_id="a" * 32)  # type: ignore[arg-type]

    def one_shot_in_memory() -> None:
        # One AES-256-GCM call over the whole file: the raw cipher the streaming format wraps.
        crypto.encrypt(key, data, case_id="NI-BENCH-1", purpose="bench")

    def streaming_from_disk() -> None:
        with (ctx.workdir / "attachment.enc").open("wb") as sink:
            crypto.encrypt_stream(key, file_chunks(), sink, case_id="NI-BENCH-1", attachment_id="a" * 32)

    def one_shot_from_disk() -> None:
        sealed = crypto.encrypt(key, source.read_bytes(), case_id="NI-BENCH-1", purpose="bench")
        (ctx.workdir / "attachment.gcm").write_bytes(sealed)

    def timed(work: Callable[[], None], repeat: int = 3) -> float:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - started)
        return best

    def peak_mb(work: Callable[[], None]) -> float:
        tracemalloc.start()
        work()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return round(peak / 1024 / 1024, 2)

    stream_seconds = timed(streaming_in_memory)
    gcm_seconds = timed(one_shot_in_memory)
    result = {
        "size_mb": ATTACHMENT_MB,
        "streaming_mb_per_s": round(size / stream_seconds / 1024 / 1024, 1),
        "aesgcm_mb_per_s": round(size / gcm_seconds / 1024 / 1024, 1),
        "ratio_vs_aesgcm": round(gcm_seconds / stream_seconds, 3),  # throughput ratio, 1.0 = as fast
        "peak_mb": peak_mb(streaming_from_disk),
        "aesgcm_peak_mb": peak_mb(one_shot_from_disk),
        "note": "speed: best of 3, plaintext in memory, ciphertext discarded (cipher cost only); "
        "peak: tracemalloc (Python heap) while encrypting the file from disk to disk",
    }
    for name in ("attachment.bin", "attachment.enc", "attachment.gcm"):
        (ctx.workdir / name).unlink(missing_ok=True)
    return result


def bench_attachment_store(ctx: Context) -> dict[str, Any]:
    """Storing and reading back a 100 MB attachment through the attachment store: the local
    filesystem and a real S3 server (SeaweedFS, as in the tests) in the same run. MB/s and
    tracemalloc peak, encryption included (what a reporter's upload and a counsellor's download
    cost), each the best of 2."""
    from django.conf import settings
    from django.test.utils import override_settings

    from reporting import crypto
    from reporting.blobs import blob_delete, blob_read, blob_write, storage_problem

    sys.path.insert(0, str(BASE_DIR))
    from tests.helpers import S3Unavailable, WeedServer

    size = ATTACHMENT_MB * 1024 * 1024
    source = ctx.workdir / "attachment-store.bin"
    with source.open("wb") as out:
        for _ in range(ATTACHMENT_MB):
            out.write(os.urandom(1024 * 1024))
    key = crypto.new_key()

    def file_chunks() -> Iterator[bytes]:
        with source.open("rb") as handle:
            while chunk := handle.read(crypto.SEGMENT_BYTES):
                yield chunk

    def measure(label: str) -> dict[str, Any]:
        assert storage_problem() is None  # and the client of this thread is made
        figures: dict[str, Any] = {}
        for direction in ("upload", "download"):
            best, peak = float("inf"), 0
            for attempt in range(2):
                name = f"attachments/bench-{label}-{attempt}.bin"
                if direction == "download":
                    with blob_write(name) as sink:
                        crypto.encrypt_stream(key, file_chunks(), sink, case_id="NI-BENCH-1", attachment_id="a" * 32)
                tracemalloc.start()
                started = time.perf_counter()
                if direction == "upload":
                    with blob_write(name) as sink:
                        crypto.encrypt_stream(key, file_chunks(), sink, case_id="NI-BENCH-1", attachment_id="a" * 32)
                else:
                    with blob_read(name) as stored:
                        for _segment in crypto.decrypt_stream(key, stored, case_id="NI-BENCH-1", attachment_id="a" * 32):
                            pass
                best = min(best, time.perf_counter() - started)
                peak = max(peak, tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
                blob_delete([name])
            figures[f"{direction}_mb_per_s"] = round(size / best / 1024 / 1024, 1)
            figures[f"{direction}_peak_mb"] = round(peak / 1024 / 1024, 2)
        return figures

    result: dict[str, Any] = {"size_mb": ATTACHMENT_MB}
    with override_settings(MEDIA_STORAGE="filesystem", MEDIA_ROOT=str(ctx.workdir / "store-media")):
        result["filesystem"] = measure("fs")
    server = WeedServer(ctx.workdir / "s3")
    try:
        server.start()
    except S3Unavailable as exc:
        result["s3"] = {"skipped": str(exc)}
    else:
        try:
            bucket = server.new_bucket()
            with override_settings(MEDIA_STORAGE="s3", STORAGES={**settings.STORAGES, "default": server.storages(bucket)}):
                result["s3"] = measure("s3")
        finally:
            server.stop()
    source.unlink(missing_ok=True)
    result["note"] = ("encrypt + store / read + decrypt of a 100 MB file, best of 2; peak: tracemalloc "
                      "(Python heap); S3: SeaweedFS on loopback, 5 MiB multipart parts")
    return result


# Statistics: 1,000,000 records (falls back to 250,000 when the insert would take too long)
STATS_ROWS = 1_000_000
STATS_FALLBACK_ROWS = 250_000
STATS_BATCH = 10_000
STATS_INSERT_BUDGET_S = 240.0
INBOX_CASES = 100_000


def _p95_ms(client: Any, path: str, count: int, **extra: Any) -> tuple[float, int]:
    """p95 latency of `count` GETs in-process (Django test client); returns (ms, last status)."""
    client.get(path, **extra)  # warm
    latencies = []
    status = 0
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, **extra)
        latencies.append(time.perf_counter() - started)
        status = response.status_code
    return round(_percentile(latencies, 0.95) * 1000, 1), status


def bench_statistics(ctx: Context) -> dict[str, Any]:
    """Publish a year of 1M records (bulk-created, random plausible codes), then the public API."""
    import random
    import uuid
    from datetime import UTC, datetime

    from django.test import Client

    from reporting.taxonomy import AreaOfLife, Channel, IncidentType, Motive
    from stats import tables
    from stats.models import StatisticsRecord
    from stats.services import statistics_publish

    rng = random.Random(7)
    year = datetime.now(UTC).year - 1
    districts = list(tables.district_keys()) + ["online", "unknown"]
    types, motives = list(IncidentType.values), list(Motive.values)
    areas, channels = list(AreaOfLife.values), list(Channel.values)
    now = datetime.now(UTC)
    org_id = ctx.org.organisation.pk

    from reporting.models import Incident

    def batch(size: int) -> list[StatisticsRecord]:
        incidents = Incident.objects.bulk_create([Incident() for _ in range(size)], batch_size=size)
        return [
            StatisticsRecord(
                incident=incident, incident_key=uuid.UUID(int=rng.getrandbits(128), version=4), organisation_id=org_id,
                year=year, month=rng.randint(1, 12), district=rng.choice(districts),
                incident_type=rng.choice(types), motives=rng.sample(motives, rng.choice((1, 1, 1, 2))),
                antisemitism_forms=[], area_of_life=rng.choice(areas), channel=rng.choice(channels),
                people_affected=rng.choice((None, 1, 1, 2, 3)), classified_at=now,
            )
            for incident in incidents
        ]

    target = STATS_ROWS
    inserted = 0
    started = time.perf_counter()
    while inserted < target:
        StatisticsRecord.objects.bulk_create(batch(STATS_BATCH), batch_size=STATS_BATCH)
        inserted += STATS_BATCH
        elapsed = time.perf_counter() - started
        if target == STATS_ROWS and inserted == 100_000 and elapsed * 10 > STATS_INSERT_BUDGET_S:
            target = STATS_FALLBACK_ROWS  # the projected 1M insert would blow the budget
    insert_s = time.perf_counter() - started
    label = "1m" if inserted == STATS_ROWS else f"{inserted // 1000}k"
    from django.db import connection

    if connection.vendor == "postgresql":
        # After a bulk load autovacuum would analyse the table soon; without statistics the
        # planner misjudges the exclusion subquery by orders of magnitude.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stats_statisticsrecord")
            cursor.execute("ANALYZE reporting_incident")

    started = time.perf_counter()
    publication = statistics_publish(actor=None, year=year, note="benchmark")
    publish_s = time.perf_counter() - started

    api_p95, status = _p95_ms(Client(), f"/api/v1/statistics/{year}/", 200)
    return {
        "rows": inserted,
        "insert_s": round(insert_s, 1),
        "insert_rows_per_s": round(inserted / insert_s),
        f"publish_{label}_s": round(publish_s, 2),
        "publication_version": publication.version,
        "api_p95_ms": api_p95,
        "api_status": status,
        "publish_audit_s": publication.audit.get("seconds"),
        "note": "publish: one transaction (two GROUP BY queries in the database, the (record, "
        "revision) digests of the year, tables, suppression and the release audit in Python; "
        "table analysed after the bulk load); "
        "API: 200 GETs in-process through the Django test client (full middleware)",
    }


def bench_disclosure(ctx: Context) -> dict[str, Any]:
    """Release-aware publication of one year of 300 invented incidents: v1, three corrections of
    1-4 incidents and two provisional-style snapshots; each release audited against all before."""
    import random

    from stats import disclosure, tables

    rng = random.Random(11)
    districts = [*tables.district_keys()[:30], "online", "unknown"]

    # Skewed like a real year: a few big cities, mostly insults, rare violence.
    district_weights = [30 if i < 4 else 2 for i in range(len(districts))]

    def skewed(codes: tuple[str, ...]) -> str:
        return rng.choices(codes, weights=[2 ** (len(codes) - i) for i in range(len(codes))])[0]

    def incident() -> tables.IncidentRecord:
        motive = skewed(tables.MOTIVES)
        return tables.IncidentRecord(
            year=2025, month=rng.randint(1, 12), district=rng.choices(districts, district_weights)[0],
            incident_type=skewed(tables.INCIDENT_TYPES[::-1]), motives=(motive,),
            area_of_life=skewed(tables.AREAS_OF_LIFE), channel=skewed(tables.CHANNELS),
            people_affected=None,
            antisemitism_forms=(rng.choice(tables.ANTISEMITISM_FORMS),) if motive == "antisemitism" else (),
        )

    records = [incident() for _ in range(300)]
    previous: list[dict[str, Any]] = []
    changes: list[Any] = []
    release_s: list[float] = []
    audit_s: list[float] = []
    refused = 0
    pending: list[tables.IncidentRecord] = []
    for step in range(6):
        if step:
            pending += [incident() for _ in range(rng.randint(1, 4))]
            candidate = records + pending
            change = disclosure.Change(added=len(pending), removed=0, modified=0)
        else:
            candidate, change = records, None
        started = time.perf_counter()
        try:
            out, audit = disclosure.publish_release(
                tables.aggregate(candidate, year=2025), year=2025, k=3, previous=previous,
                changes=[*changes, change] if change else [], time_limit=120, unstick=True,
            )
        except disclosure.ReleaseRefused:
            refused += 1  # a correction that cannot be protected waits for the next one
            continue
        finally:
            release_s.append(time.perf_counter() - started)
        records, pending = candidate, []
        if change:
            changes.append(change)
        previous.append(out)
        audit_s.append(audit.seconds)
    return {
        "releases": len(previous),
        "refused": refused,
        "release_max_s": round(max(release_s), 2),
        "release_median_s": round(sorted(release_s)[len(release_s) // 2], 2),
        "audit_max_s": round(max(audit_s), 2),
        "hidden_cells": [release["suppressed_cells"] for release in previous],
        "geography": previous[0]["geography"],
        "note": "pure Python (no database): protection, added suppression and the HiGHS audit "
        "over every earlier release of the year; refused corrections are not published",
    }


def _staff_client(ctx: Context, password: str) -> tuple[Any, Any]:
    """A counsellor with key access, logged in through the real login form (password + TOTP)."""
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from counselling.services import member_create

    member = member_create(
        actor=None, organisation=ctx.org.organisation, username="bench-counsellor", password=password,
        email="bench@example.org", org_private_key=ctx.org.private_key,
    )
    user = member.membership.user
    device = TOTPDevice.objects.get(user=user)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    client = Client()
    response = client.post("/staff/login/", {"username": user.username, "password": password,
                                              "otp": f"{token:0{device.digits}d}"})
    if response.status_code != 302:
        raise RuntimeError(f"staff login failed: {response.status_code}")
    return client, member


def bench_inbox(ctx: Context) -> dict[str, Any]:
    """Inbox of an organisation with 100,000 cases; the page of one real (decrypted) case."""
    from django.utils import timezone

    from reporting.models import Case, CaseGrant, Incident
    from reporting.services import ReportInput, report_submit

    organisation = ctx.org.organisation
    key_version = organisation.current_key.version
    today = timezone.localdate()
    real = report_submit(report=ReportInput(description="Benchmark: shouted at the bus stop.",
                                            district="03241", motives=["racism"]))
    started = time.perf_counter()
    dummy = b"\0" * 600
    for start in range(0, INBOX_CASES, STATS_BATCH):
        numbers = range(start, min(start + STATS_BATCH, INBOX_CASES))
        incidents = Incident.objects.bulk_create([Incident() for _ in numbers])
        cases = Case.objects.bulk_create([
            Case(reference=f"BENCH-{n:07d}", organisation=organisation, received_on=today,
                 district="03241", motives=["racism"], report_ciphertext=dummy, incident=incident)
            for n, incident in zip(numbers, incidents, strict=True)
        ])
        CaseGrant.objects.bulk_create([
            CaseGrant(case=case, organisation=organisation, key_version=key_version,
                      sealed_case_key=b"\0" * 1200, sealed_internal_key=b"\0" * 1200)
            for case in cases
        ])
    insert_s = time.perf_counter() - started
    if ctx.database == "postgresql":
        # Planner statistics as autovacuum keeps them on a live system (it analyses after 10 %
        # of a table changed); right after a 100,000-row bulk load they are missing and the
        # planner assumes a handful of rows (sorts all open cases instead of reading the index).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reporting_case, reporting_casegrant")
    client, _member = _staff_client(ctx, "bench horse battery staple")
    inbox_p95, inbox_status = _p95_ms(client, "/staff/", 50)
    case_path = f"/staff/cases/{real.case.pk}/"
    case_p95, case_status = _p95_ms(client, case_path, 50)
    return {
        "cases": Case.objects.filter(organisation=organisation).count(),
        "insert_s": round(insert_s, 1),
        "inbox_p95_ms": inbox_p95,
        "inbox_status": inbox_status,
        "case_p95_ms": case_p95,
        "case_status": case_status,
        "note": "50 GETs each in-process (Django test client), counsellor logged in via password + TOTP; "
        "case page is the real submission, decrypted on every request",
    }


PAGE_PATHS = {"form_kb": "/de/report/", "form_ar_kb": "/ar/report/"}


def bench_page_weight(ctx: Context) -> dict[str, Any]:
    """Bytes a real browser transfers on a first visit (empty cache) to the report form.

    `collectstatic` with the production storage (whitenoise, compressed) into a temporary
    STATIC_ROOT, gunicorn serving it with DEBUG off, Debian's Chromium driven by Playwright; the
    figure is the sum of CDP `Network.loadingFinished.encodedDataLength` over every request of
    the page load (compressed bodies plus response headers: what goes over the wire).
    """
    from playwright.sync_api import sync_playwright

    all_fonts_kb = _all_fonts_kb()  # in-process, before the browser's event loop runs
    static_root = ctx.workdir / "static"
    extra = {"STATIC_ROOT": str(static_root)}
    subprocess.run(
        [str(BASE_DIR / ".venv" / "bin" / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR, env={**ctx.env, **extra}, check=True,
    )
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
    result: dict[str, Any] = {}
    with ctx.gunicorn(workers=1, threads=4, extra_env=extra) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        try:
            for figure, path in PAGE_PATHS.items():
                total, files, statuses = _browser_first_visit(browser, base_url + path)
                result[figure] = round(total / 1024, 1)
                result[figure.removesuffix("_kb") + "_files"] = files
                result[figure.removesuffix("_kb") + "_requests"] = len(files)
                if any(status != 200 for status in statuses):
                    result[figure.removesuffix("_kb") + "_non_200"] = [
                        s for s in statuses if s != 200
                    ]
        finally:
            browser.close()
    # The browser's encryption module is part of the form's weight (SPEC §3.10): name it, and
    # say so loudly if the measured page did not load it (not built: `make install`).
    result["form_seal_bundle_kb"] = result.get("form_files", {}).get("/static/bundle/seal.js")
    if result["form_seal_bundle_kb"] is None:
        result["form_seal_bundle_missing"] = "the measured form did not load /static/bundle/seal.js"
    result["form_all_fonts_kb"] = all_fonts_kb
    result["note"] = ("form_kb/form_ar_kb: Chromium first visit, sum of CDP encodedDataLength "
                      "(compressed bodies + headers) over all requests, whitenoise serving collectstatic "
                      "output (gzip/brotli); form_all_fonts_kb: old upper bound, every file the HTML/CSS "
                      "names, every @font-face counted")
    return result


def _browser_first_visit(browser: Any, url: str) -> tuple[int, dict[str, float], list[int]]:
    """(encoded bytes of all requests, KB per URL path, HTTP statuses) of one page load."""
    from urllib.parse import urlsplit

    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        urls: dict[str, str] = {}
        statuses: list[int] = []
        sizes: dict[str, int] = {}

        def on_response(event: dict[str, Any]) -> None:
            urls[event["requestId"]] = event["response"]["url"]
            statuses.append(int(event["response"]["status"]))

        def on_finished(event: dict[str, Any]) -> None:
            sizes[event["requestId"]] = int(event["encodedDataLength"])

        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.loadingFinished", on_finished)
        page.goto(url, wait_until="networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_load_state("networkidle")
        files: dict[str, float] = {}
        for request_id, size in sizes.items():
            if not urls.get(request_id, "http").startswith("http"):
                continue  # data: URLs (inline icons) cost nothing on the wire
            path = urlsplit(urls.get(request_id, request_id)).path
            files[path] = round(files.get(path, 0) + size / 1024, 1)
        ordered = dict(sorted(files.items(), key=lambda kv: -kv[1]))
        return sum(sizes.values()), ordered, statuses
    finally:
        context.close()


def _all_fonts_kb() -> float:
    """The old upper bound: HTML plus every CSS/JS/font/image the HTML and CSS name, each
    `@font-face` file counted whether a browser would fetch it or not."""
    import gzip
    import re
    from urllib.parse import urljoin, urlsplit

    from django.contrib.staticfiles import finders
    from django.test import Client

    client = Client()
    link = re.compile(r"""(?:src|href)\s*=\s*["']([^"'#]+)["']""")
    css_url = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""")
    asset_ext = (".css", ".js", ".mjs", ".woff2", ".woff", ".ttf", ".svg", ".png", ".jpg", ".jpeg",
                 ".webp", ".ico", ".gif", ".avif")
    compressible = (".css", ".js", ".mjs", ".svg", ".ttf", ".html", ".ico")
    notes: set[str] = set()

    def fetch(path: str) -> tuple[bytes, int]:
        """(plain body, bytes on the wire with gzip accepted)."""
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
        if response.status_code != 200:
            raise LookupError(f"{path}: {response.status_code}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response.get("Content-Encoding") == "gzip":
            return gzip.decompress(body), len(body)
        if path.endswith(compressible) or path.startswith("/de/"):
            notes.add("gzip size computed with the gzip module (level 9) where the server did not compress")
            return body, len(gzip.compress(body, 9))
        return body, len(body)

    def static_fallback(path: str) -> tuple[bytes, int]:
        from django.conf import settings

        name = path.removeprefix(settings.STATIC_URL)
        found = finders.find(name)
        if not found:
            raise LookupError(path)
        body = Path(found).read_bytes()
        notes.add("assets not collected (no collectstatic): read via staticfiles finders")
        wire = len(gzip.compress(body, 9)) if path.endswith(compressible) else len(body)
        return body, wire

    html, html_wire = fetch("/de/report/")
    files: dict[str, int] = {"/de/report/": html_wire}
    missing: list[str] = []
    queue = [urljoin("/de/report/", u) for u in link.findall(html.decode("utf-8", "replace"))]
    while queue:
        url = queue.pop()
        path = urlsplit(url).path
        if urlsplit(url).netloc or path in files or not path.lower().endswith(asset_ext):
            continue
        try:
            body, wire = fetch(path)
        except LookupError:
            try:
                body, wire = static_fallback(path)
            except LookupError:
                missing.append(path)
                continue
        files[path] = wire
        if path.endswith(".css"):
            for a, b in css_url.findall(body.decode("utf-8", "replace")):
                ref = a or b
                if not ref.startswith("data:"):
                    queue.append(urljoin(path, ref))
    return round(sum(files.values()) / 1024, 1)


BROWSER_REPORT_CHARS = 20_000  # the form's longest description
BROWSER_FILE_MB = 10
BROWSER_ROUNDS = 15
_BROWSER_PAGE = "http://localhost/meldestelle-bench/"  # intercepted: a secure context, nothing listens


def bench_browser_crypto(ctx: Context) -> dict[str, Any]:
    """Encryption in the reporter's browser (SPEC §3.10) in Debian's Chromium: `sealReport` of
    static_src/formats.js on a 20,000-character report (what the form does on "send": two HPKE
    X-Wing seals, the padded report under AES-256-GCM, the receipt code's wrap and token) and
    a 10 MB file in the attachment stream (formats.js `encryptStream`, what `sealFile` sends for
    each file: 64 KiB segments, one WebCrypto `subtle.encrypt` each), and for comparison one-shot
    AES-256-GCM of it (formats.js `encrypt`). formats.js is bundled here with
    the project's esbuild, minified as `make install` bundles seal.js, and loaded into a page
    served by Playwright's router on http://localhost (a secure context)."""
    from playwright.sync_api import sync_playwright

    from reporting import crypto

    bundle = ctx.workdir / "formats.bench.js"
    subprocess.run(
        [str(BASE_DIR / "node_modules" / ".bin" / "esbuild"), str(BASE_DIR / "static_src" / "formats.js"),
         "--bundle", "--minify", "--format=iife", "--target=es2020", "--global-name=MeldestelleFormats",
         "--log-level=warning", f"--outfile={bundle}"],
        cwd=BASE_DIR, check=True,
    )
    offer = {"token": "bench", "binding": "S-" + secrets.token_hex(16),
             "public_key": base64.b64encode(crypto.new_org_keypair().public_key).decode()}
    html = f"<!doctype html><meta charset=utf-8><title>bench</title><script>{bundle.read_text()}</script>"
    measure = """async ([offer, chars, megabytes, rounds]) => {
      const F = window.MeldestelleFormats;
      const sentence = "Im Bus wurde ich beleidigt, „Geh zurück!“, niemand half. ";
      const report = {
        content: { description: sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars),
                   district: "03241", motives: ["racism"], contact_method: "mailbox" },
        plain: { consent: true },
      };
      const seal = [];
      for (let i = 0; i < rounds; i += 1) {
        const started = performance.now();
        const { sealed } = await F.sealReport(offer, report);
        seal.push(performance.now() - started);
        if (i === 0) { window.sealedReportBytes = atob(sealed.report).length; }
      }
      const file = new Uint8Array(megabytes * 1024 * 1024);
      for (let at = 0; at < file.length; at += 65536) {
        crypto.getRandomValues(file.subarray(at, Math.min(at + 65536, file.length)));
      }
      const key = F.random(32);
      const attachmentId = [...F.random(16)].map((b) => b.toString(16).padStart(2, "0")).join("");
      const oneShot = [];
      const stream = [];
      for (let i = 0; i < Math.max(3, Math.floor(rounds / 3)); i += 1) {
        let started = performance.now();
        await F.encrypt(key, file, offer.binding, "attachment");
        oneShot.push(performance.now() - started);
        started = performance.now();
        const parts = await F.encryptStream(key, file, offer.binding, attachmentId);
        stream.push(performance.now() - started);
        if (i === 0) { window.streamBytes = parts.reduce((sum, part) => sum + part.length, 0); }
      }
      return { seal, oneShot, stream, sealedReportBytes: window.sealedReportBytes, streamBytes: window.streamBytes,
               userAgent: navigator.userAgent };
    }"""
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.route(_BROWSER_PAGE, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
            page.goto(_BROWSER_PAGE)
            timings = page.evaluate(measure, [offer, BROWSER_REPORT_CHARS, BROWSER_FILE_MB, BROWSER_ROUNDS])
        finally:
            browser.close()

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return round(ordered[len(ordered) // 2], 1)

    return {
        "seal_20kb_ms": median(timings["seal"][1:]),
        "seal_20kb_first_ms": round(timings["seal"][0], 1),
        "seal_20kb_max_ms": round(max(timings["seal"]), 1),
        "sealed_report_bytes": timings["sealedReportBytes"],
        "encrypt_10mb_ms": median(timings["stream"]),
        "encrypt_10mb_oneshot_ms": median(timings["oneShot"]),
        "encrypt_10mb_stream_bytes": timings["streamBytes"],
        "rounds": {"seal": len(timings["seal"]), "encrypt": len(timings["oneShot"])},
        "browser": timings["userAgent"],
        "note": ("seal_20kb_ms: median of sealReport (formats.js, minified bundle) after the first call "
                 "(seal_20kb_first_ms: the first, with the library's warm-up); encrypt_10mb_ms: formats.js "
                 "encryptStream of 10 MiB (the attachment stream sealFile sends: HKDF, then 64 KiB segments, "
                 "one WebCrypto AES-256-GCM each); encrypt_10mb_oneshot_ms: one-shot AES-256-GCM of the same "
                 "10 MiB (formats.js encrypt), for comparison"),
    }


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[Context], dict[str, Any]]


# Colleagues: append `Benchmark("statistics", bench_statistics)`, `Benchmark("inbox", ...)`.
BENCHMARKS: list[Benchmark] = [
    Benchmark("submission", bench_submission),
    Benchmark("submission_sealed", bench_submission_sealed),
    Benchmark("attachments", bench_attachments),
    Benchmark("attachment_store", bench_attachment_store),
    Benchmark("statistics", bench_statistics),
    Benchmark("disclosure", bench_disclosure),
    Benchmark("inbox", bench_inbox),
    Benchmark("page", bench_page_weight),
    Benchmark("browser", bench_browser_crypto),
]


# --------------------------------------------------------------------------------------------
# Report


def print_table(results: dict[str, Any]) -> None:
    meta = results["machine"]
    print(f"\nMeldestelle benchmarks — {meta['cores']} cores, Python {meta['python']}, {results['database']}")
    submission = results["benchmarks"].get("submission", {})
    if "levels" in submission:
        print("\nSubmission (POST /api/v1/reports/, PoW off) vs. one-row insert, gunicorn")
        print(f"{'clients':>7} | {'reports/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'fail':>5} | "
              f"{'base/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'fail':>5} | {'ratio':>6}")
        for level in submission["levels"]:
            r, b = level["report"], level["baseline"]
            print(f"{level['clients']:>7} | {r['per_second']:>9} {r['p50_ms']!s:>8} {r['p95_ms']!s:>8} "
                  f"{r['failures']:>5} | {b['per_second']:>8} {b['p50_ms']!s:>8} {b['p95_ms']!s:>8} "
                  f"{b['failures']:>5} | {level['ratio_vs_baseline']!s:>6}")
        for level in submission["levels"]:
            r, b = level["report"].get("cpu_ms_per_request"), level["baseline"].get("cpu_ms_per_request")
            if r and b:
                print(f"  CPU ms per request, {level['clients']} clients: report "
                      + " ".join(f"{k} {v}" for k, v in r.items()) + " | insert "
                      + " ".join(f"{k} {v}" for k, v in b.items()))
        profile = submission["profile"]
        print(f"  in-process profile: {profile['per_request_ms']} ms per request; share of time "
              + ", ".join(f"{k} {v:.0%}" for k, v in profile["share_of_time"].items()))
    sealed = results["benchmarks"].get("submission_sealed", {})
    if "levels" in sealed:
        print("\nSubmission sealed in the browser (bind, seal in the client, POST /api/v1/reports/sealed/)")
        for r in sealed["levels"]:
            cpu = r.get("cpu_ms_per_request", {})
            print(f"{r['clients']:>7} | {r['per_second']:>9} {r['p50_ms']!s:>8} {r['p95_ms']!s:>8} {r['failures']:>5} | CPU ms "
                  + " ".join(f"{k} {v}" for k, v in cpu.items()))
    attachments = results["benchmarks"].get("attachments", {})
    if "peak_mb" in attachments:
        a = attachments
        print(f"\nAttachments ({a['size_mb']} MB): streaming {a['streaming_mb_per_s']} MB/s, peak "
              f"{a['peak_mb']} MB | one-shot AES-GCM {a['aesgcm_mb_per_s']} MB/s, peak "
              f"{a['aesgcm_peak_mb']} MB | ratio {a['ratio_vs_aesgcm']}")
    store = results["benchmarks"].get("attachment_store", {})
    for where in ("filesystem", "s3"):
        figures = store.get(where, {})
        if "upload_mb_per_s" in figures:
            print(f"Attachment store, {where}: upload {figures['upload_mb_per_s']} MB/s (peak "
                  f"{figures['upload_peak_mb']} MB), download {figures['download_mb_per_s']} MB/s (peak "
                  f"{figures['download_peak_mb']} MB)")
    print("\nFlat keys: " + json.dumps({k: v for k, v in results.items() if "." in k}))
    for name, figures in results["benchmarks"].items():
        if name not in ("submission", "submission_sealed", "attachments", "attachment_store"):
            print(f"\n{name}: {json.dumps(figures)}")
    print(f"\nwritten to {RESULTS.relative_to(BASE_DIR)}")


def flat_keys(benchmarks: dict[str, Any]) -> dict[str, Any]:
    """The headline figures under the flat names the production issues use, beside the detail
    (None where the benchmark did not run)."""
    submission = benchmarks.get("submission", {})
    ratios = [level["ratio_vs_baseline"] for level in submission.get("levels", []) if level["ratio_vs_baseline"]]
    statistics = benchmarks.get("statistics", {})
    publish = next((value for name, value in statistics.items() if name.startswith("publish_") and name.endswith("_s")
                    and name != "publish_audit_s"), None)
    inbox = benchmarks.get("inbox", {})
    attachments = benchmarks.get("attachments", {})
    store = benchmarks.get("attachment_store", {})
    s3 = store.get("s3", {}) if isinstance(store.get("s3"), dict) else {}
    return {
        "submission.ratio_vs_baseline": min(ratios) if ratios else None,
        "submission.p95_ms_64": next((level["report"]["p95_ms"] for level in submission.get("levels", [])
                                      if level["clients"] == 64), None),
        "statistics.publish_1m_s": publish if statistics.get("rows") == STATS_ROWS else None,
        "statistics.api_p95_ms": statistics.get("api_p95_ms"),
        "inbox.p95_ms": inbox.get("inbox_p95_ms"),
        "case.p95_ms": inbox.get("case_p95_ms"),
        "attachments.ratio_vs_aesgcm": attachments.get("ratio_vs_aesgcm"),
        "attachments.peak_mb": attachments.get("peak_mb"),
        "attachments.s3_upload_mb_per_s": s3.get("upload_mb_per_s"),
        "attachments.s3_download_mb_per_s": s3.get("download_mb_per_s"),
        "attachments.s3_peak_mb": max(s3.get("upload_peak_mb", 0), s3.get("download_peak_mb", 0)) or None,
        "page.form_kb": benchmarks.get("page", {}).get("form_kb"),
        "page.form_seal_bundle_kb": benchmarks.get("page", {}).get("form_seal_bundle_kb"),
        "browser.seal_20kb_ms": benchmarks.get("browser", {}).get("seal_20kb_ms"),
        "browser.encrypt_10mb_ms": benchmarks.get("browser", {}).get("encrypt_10mb_ms"),
        "browser.encrypt_10mb_oneshot_ms": benchmarks.get("browser", {}).get("encrypt_10mb_oneshot_ms"),
    }


def main(selected: list[str]) -> int:
    import platform

    chosen = [b for b in BENCHMARKS if not selected or b.name in selected]
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "benchmarks": {},
    }
    with bench_environment() as ctx:
        results["database"] = ctx.database
        for benchmark in chosen:
            print(f"running {benchmark.name} …", flush=True)
            bench_started = time.monotonic()
            try:
                figures = benchmark.run(ctx)
            except Exception as exc:  # one broken benchmark must not hide the others' figures
                figures = {"error": f"{type(exc).__name__}: {exc}"}
            figures["seconds"] = round(time.monotonic() - bench_started, 1)
            results["benchmarks"][benchmark.name] = figures
    results["seconds"] = round(time.monotonic() - started, 1)
    results = {**flat_keys(results["benchmarks"]), **results}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
