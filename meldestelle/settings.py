"""Settings for Meldestelle, read from the environment.

The embedded default (no environment at all) runs on SQLite with secrets generated once into
`.local/secrets.json`, so a restart keeps sessions and receipt codes working. With DEBUG off
every secret must come from the environment (or a `*_FILE`), and start-up names what is missing.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("MELDESTELLE_LOCAL_DIR", BASE_DIR / ".local"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1", "yes", "on"):
        return True
    if raw.lower() in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


DEBUG = env_bool("DEBUG", default=not env_bool("MELDESTELLE_PRODUCTION", default=False))
# The test suite runs on meldestelle.settings_test, which imports these and changes what tests
# need (fast hashers, no proof of work, ...); nothing here depends on how a process was started.


def _local_secrets() -> dict[str, str]:
    """Secrets for the embedded run, made once and kept in an ignored file."""
    path = LOCAL_DIR / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    wanted = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "RECEIPT_PEPPER": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        "NOTIFICATION_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        "ADDRESS_HASH_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        "AUDIT_CHAIN_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        "KEY_AUTH_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    changed = False
    for name, make in wanted.items():
        if name not in stored:
            stored[name] = make()
            changed = True
    if changed:
        LOCAL_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return stored


_LOCAL: dict[str, str] | None = None


def env_secret(name: str) -> str:
    """A secret from NAME or the file named by NAME_FILE; generated locally only in DEBUG."""
    global _LOCAL
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if not value and file_name:
        value = Path(file_name).read_text().strip()
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. With DEBUG off, set {name} (or {name}_FILE) in the environment."
        )
    if _LOCAL is None:
        _LOCAL = _local_secrets()
    return _LOCAL[name]


def env_key(name: str) -> bytes:
    """A 32-byte key given as base64."""
    raw = env_secret(name)
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be 32 bytes in base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 bytes in base64")
    return key


SECRET_KEY = env_secret("SECRET_KEY")
RECEIPT_PEPPER = env_key("RECEIPT_PEPPER")
NOTIFICATION_KEY = env_key("NOTIFICATION_KEY")
ADDRESS_HASH_KEY = env_key("ADDRESS_HASH_KEY")
# Keys the audit chain's MACs (SPEC §3.9). Never in the database; changing it makes every
# entry written before the change fail verification.
AUDIT_CHAIN_KEY = env_key("AUDIT_CHAIN_KEY")
# MACs every stored public key (organisation key epochs, member keys, recovery keys; SPEC §3.9):
# nothing is sealed to a key whose MAC fails. Never in the database; changing it makes every
# stored key fail verification, so reports can no longer be sealed (docs/deployment.md).
KEY_AUTH_KEY = env_key("KEY_AUTH_KEY")

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h] or (
    ["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set. List the host names, comma-separated.")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_q",
    "csp",
    "reporting",
    "stats",
    "counselling",
    "privacy",
]

# A baseline endpoint for `make bench` (benchmarks/run.py sets it); never in production.
BENCH = env_bool("MELDESTELLE_BENCH", default=False)
if BENCH:
    if env_bool("MELDESTELLE_PRODUCTION", default=False):
        raise ImproperlyConfigured("MELDESTELLE_BENCH must not be set in production")
    INSTALLED_APPS.append("benchmarks.bench_app")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "meldestelle.middleware.NoClientAddressMiddleware",
    "meldestelle.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: a plain 403/404 page for staff URLs, never Django's debug page.
    "counselling.middleware.StaffErrorPageMiddleware",
]

ROOT_URLCONF = "meldestelle.urls"
WSGI_APPLICATION = "meldestelle.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meldestelle.context_processors.site",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": os.environ.get("DATABASE_TEST_NAME") or None},
        }
    if parsed.scheme == "sqlite":
        return _sqlite(Path(unquote(parsed.path)))
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")


def _sqlite(path: Path) -> dict[str, object]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock when a
    # transaction starts, so two submissions queue on the busy timeout instead of failing.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # secure_delete overwrites deleted content with zeros (SPEC §3.9: a shredded case
            # leaves nothing in the file); set explicitly, whatever the SQLite build defaults to.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;",
        },
        "TEST": {"NAME": str(LOCAL_DIR / "test.sqlite3")} if os.environ.get("SQLITE_TEST_FILE") else {},
    }


DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": _database_from_url(DATABASE_URL)
    if DATABASE_URL
    else _sqlite(Path(os.environ.get("SQLITE_PATH", BASE_DIR / "var" / "db.sqlite3")))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Submissions' audit entries carry their own MAC and are chained right after commit by a single
# writer (reporting.audit), so submissions do not queue for the chain head. On SQLite, which
# writes one transaction at a time anyway, they are chained in their transaction.
# How long a process may route and seal on its snapshot of the organisations (reporting.snapshot)
# before reading them again; a change made in the same process is seen at once, and whether the
# organisation is active and which key epoch is current are checked in every submission anyway.
ORGANISATION_SNAPSHOT_SECONDS = env_int("ORGANISATION_SNAPSHOT_SECONDS", 10)
AUDIT_CHAIN_AFTER_COMMIT = env_bool(
    "AUDIT_CHAIN_AFTER_COMMIT", DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
)

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The database cache is shared by every process of the embedded run (rate limits must
    # hold across the web server's threads and the task cluster alike).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "meldestelle_cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = ["meldestelle.hashers.Argon2idHasher"]

LOGIN_URL = "counselling:login"

LANGUAGE_CODE = "de"
LANGUAGES = [
    ("de", _("German")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("tr", _("Turkish")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("fa", _("Persian")),
]
LANGUAGES_BIDI = ["ar", "fa"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# Front-end packages installed by `npm ci` (package.json) and served as they are, never copied.
NODE_MODULES = BASE_DIR / "node_modules"
KERN_DIST = NODE_MODULES / "@kern-ux" / "native" / "dist"
for _prefix, _folder in (
    ("kern", KERN_DIST),
    ("fonts/fira-sans", NODE_MODULES / "@fontsource" / "fira-sans" / "files"),
    ("fonts/noto-sans-arabic", NODE_MODULES / "@fontsource" / "noto-sans-arabic" / "files"),
    # The browser's encryption module (SPEC §3.10), built by `make install` (esbuild).
    ("bundle", BASE_DIR / "static_build" / "bundle"),
):
    if _folder.is_dir():
        STATICFILES_DIRS.append((_prefix, _folder))
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Without the built module the report form works as without JavaScript (server-side encryption).
SEAL_BUNDLE = BASE_DIR / "static_build" / "bundle" / "seal.js"
# Likewise the follow-up page: without it the follow-up works as without JavaScript.
FOLLOWUP_BUNDLE = BASE_DIR / "static_build" / "bundle" / "followup.js"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# "Leave this page quickly" goes to a neutral site in the page's language (a German weather
# site is an odd tell on an Arabic page). LEAVE_QUICKLY_URLS="de=https://…,ar=https://…"
# replaces single languages; "*" is used for a language without its own.
LEAVE_QUICKLY_URLS: dict[str, str] = {
    "*": "https://www.wikipedia.org/",
    "de": "https://www.wetter.com/",
    "en": "https://www.bbc.com/weather",
    "ar": "https://ar.wikipedia.org/",
    "fa": "https://fa.wikipedia.org/",
    "tr": "https://tr.wikipedia.org/",
    "uk": "https://uk.wikipedia.org/",
    "ru": "https://ru.wikipedia.org/",
}
for _item in filter(None, (part.strip() for part in os.environ.get("LEAVE_QUICKLY_URLS", "").split(","))):
    _code, _sep, _url = _item.partition("=")
    if not _sep or not _url.strip().startswith("https://"):
        raise ImproperlyConfigured(f"LEAVE_QUICKLY_URLS: {_item!r} is not language=https://address")
    LEAVE_QUICKLY_URLS[_code.strip()] = _url.strip()

def _s3_secret(name: str) -> str | None:
    """S3 credentials: NAME or the file NAME_FILE; None lets boto3 find them (an instance role)."""
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if not value and file_name:
        value = Path(file_name).read_text().strip()
    return value or None


# Attachment ciphertext (reporting.blobs): `filesystem` under MEDIA_ROOT (one host), or `s3`: one
# bucket of an S3-compatible store shared by every host (docs/deployment.md).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "filesystem").strip().lower() or "filesystem"
# The part size of multipart uploads: the only buffer while an attachment is stored.
S3_PART_BYTES = max(env_int("S3_PART_BYTES", 5 * 1024 * 1024), 5 * 1024 * 1024)
if MEDIA_STORAGE == "s3":
    from botocore.config import Config as _BotoConfig

    if not os.environ.get("S3_BUCKET"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for a store other than AWS).")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or "us-east-1",
            "access_key": _s3_secret("S3_ACCESS_KEY_ID"),
            "secret_key": _s3_secret("S3_SECRET_ACCESS_KEY"),
            "location": os.environ.get("S3_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # Short timeouts and few retries: an unreachable store is a calm 503 within seconds,
            # not a hanging request. Checksums only where S3 requires them (other S3 servers).
            "client_config": _BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": os.environ.get("S3_ADDRESSING_STYLE", "path")},
                connect_timeout=env_int("S3_CONNECT_TIMEOUT", 5),
                read_timeout=env_int("S3_READ_TIMEOUT", 30),
                retries={"max_attempts": 2, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        },
    }
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}")

# Uploads stay in memory (they are encrypted before anything is written); the request as a
# whole may hold five files of the maximum size plus the form.
REPORT_MAX_FILES = env_int("REPORT_MAX_FILES", 5)
REPORT_MAX_FILE_BYTES = env_int("REPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = ["reporting.uploads.BoundedMemoryUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = REPORT_MAX_FILE_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = REPORT_MAX_FILES * REPORT_MAX_FILE_BYTES + 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Argon2id for member key wraps (SPEC §3): t=3, m=64 MiB, p=4 unless set.
ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 3)
ARGON2_MEMORY_KIB = env_int("ARGON2_MEMORY_KIB", 64 * 1024)
ARGON2_LANES = env_int("ARGON2_LANES", 4)

REPORT_POW_DIFFICULTY = env_int("REPORT_POW_DIFFICULTY", 16)
REPORT_MIN_FORM_SECONDS = env_int("REPORT_MIN_FORM_SECONDS", 3)
REPORT_RATE_PER_HOUR = env_int("REPORT_RATE_PER_HOUR", 10)
REPORT_RATE_PER_HOUR_NO_POW = env_int("REPORT_RATE_PER_HOUR_NO_POW", 5)
REPORT_GLOBAL_RATE_PER_MINUTE = env_int("REPORT_GLOBAL_RATE_PER_MINUTE", 120)
# Wrong receipt codes (per client identity, within the window): this many are free, then each
# next try needs proof of work of FOLLOWUP_POW_DIFFICULTY zero bits, one more per further wrong
# code, up to FOLLOWUP_POW_MAX_DIFFICULTY (22 bits: some seconds in a browser). Never a lock.
FOLLOWUP_MAX_FAILURES = env_int("FOLLOWUP_MAX_FAILURES", 5)
FOLLOWUP_FAILURE_WINDOW_SECONDS = env_int("FOLLOWUP_FAILURE_WINDOW_SECONDS", 600)
# Failed staff logins are throttled per (account, client), never by locking the account
# (counselling.auth): after LOGIN_FREE_FAILURES, each failure doubles the wait, up to the maximum.
LOGIN_FREE_FAILURES = env_int("LOGIN_FREE_FAILURES", 5)
LOGIN_DELAY_SECONDS = env_int("LOGIN_DELAY_SECONDS", 30)
LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 900)
FOLLOWUP_POW_DIFFICULTY = env_int("FOLLOWUP_POW_DIFFICULTY", 16)
FOLLOWUP_POW_MAX_DIFFICULTY = env_int("FOLLOWUP_POW_MAX_DIFFICULTY", 22)
TOTP_REQUIRED = env_bool("TOTP_REQUIRED", default=not DEBUG)
STATS_MIN_CELL = env_int("STATS_MIN_CELL", 3)
# Provisional figures are scheduled, frozen releases of the running year (SPEC §6), on the
# first day of each quarter or month (stats.selectors.next_provisional_release), or never.
STATS_PROVISIONAL_SCHEDULE = (
    os.environ.get("STATS_PROVISIONAL_SCHEDULE") or "quarterly"
).strip().lower()
if STATS_PROVISIONAL_SCHEDULE not in ("quarterly", "monthly", "off"):
    raise ImproperlyConfigured(
        "STATS_PROVISIONAL_SCHEDULE must be quarterly, monthly or off, "
        f"not {STATS_PROVISIONAL_SCHEDULE!r}"
    )
# Seconds the disclosure audit's solver may take per release; when it runs out the release is
# refused, never published unaudited.
STATS_AUDIT_TIME_LIMIT = env_int("STATS_AUDIT_TIME_LIMIT", 120)
# Organisation key epochs (SPEC §3.9): a key older than this many days is marked due by the
# daily schedule and rotates at the next unlock of one of its members (0: never marked due).
ORG_KEY_ROTATION_DAYS = env_int("ORG_KEY_ROTATION_DAYS", 30)
# After a shred (and a key rotation) on PostgreSQL a task vacuums the tables that held the
# rows. FULL rewrites them, so the deleted bytes leave the table files; a plain VACUUM only
# marks the space free (faster, no exclusive lock, but the bytes stay until overwritten).
SHRED_VACUUM_FULL = env_bool("SHRED_VACUUM_FULL", default=True)
# How long that vacuum waits for older transactions to end, and for each table lock, before it
# gives up (logged at ERROR; the task queue runs it again).
SHRED_VACUUM_WAIT_SECONDS = env_int("SHRED_VACUUM_WAIT_SECONDS", 30)
CASE_REFERENCE_PREFIX = os.environ.get("CASE_REFERENCE_PREFIX", "NI")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
UNLOCK_COOKIE_NAME = "ms_unlock"
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": under no-referrer Chromium sends `Origin: null` with form
# POSTs, which fails the CSRF origin check. Same-origin still never sends a referrer elsewhere.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
# The addresses the onion site's nginx connects from (its `proxy_bind`, docs/deployment.md).
# Only from these is X-Tor-Circuit believed, and from these X-Forwarded-For is never read:
# every Tor circuit is its own rate-limit identity (SPEC §4.4). Empty: no onion service.
TOR_PROXY_ADDRESSES = frozenset(
    address.strip() for address in os.environ.get("TOR_PROXY_ADDRESSES", "").split(",") if address.strip()
)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "meldestelle@localhost")

Q_CLUSTER = {
    "name": "meldestelle",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 60,
    "retry": 120,
    "max_attempts": 5,
    # A failed task stays unacknowledged: the broker hands it out again after `retry` seconds,
    # up to `max_attempts` runs; then it stays in the admin as a failed task (django_q Failure).
    "ack_failures": False,
    "catch_up": False,
    "save_limit": 250,
    "label": "Tasks",
}
if os.environ.get("Q_BROKER") == "redis" and REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "meldestelle.api.SafeJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "meldestelle.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Meldestelle API",
    "DESCRIPTION": "Anonymous reporting of racist, xenophobic and antisemitic incidents.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Choice sets of the counselling work (counselling.codes) that share field names.
    "ENUM_NAME_OVERRIDES": {
        "YesNoUnknownEnum": "counselling.codes.YesNoUnknown",
        "ReferralReasonEnum": "counselling.codes.ReferralReason",
        "DeadlineKindEnum": "counselling.codes.DeadlineKind",
        # The reporter languages, offered by the report, the manual entry and the help directory.
        "LanguageEnum": "reporting.taxonomy.REPORTER_LANGUAGES",
        # Every channel, and the channels a counsellor records by hand (all but the online form
        # and the API).
        "ChannelEnum": "reporting.taxonomy.Channel",
        "ManualChannelEnum": "counselling.forms.MANUAL_CHANNELS",
    },
}

# Logs never carry client addresses or headers: the request logger is silenced (its records name
# paths and can carry the remote address through the server), records of Django's security
# loggers (the CSRF check quotes Origin and Referer) are rewritten to fixed texts
# (meldestelle.logfilters), Django's own default handlers (among them one that mails a request
# with all its headers) are replaced, and our own loggers never log input.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_headers": {"()": "meldestelle.logfilters.NoClientHeaders"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_client_headers"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Through the root's console handler only (Django's defaults add a console and a mail
        # handler of their own).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security.csrf": {
            "handlers": ["console"], "level": "WARNING", "propagate": False, "filters": ["no_client_headers"],
        },
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}
