"""Settings for the test suite: the production settings (meldestelle.settings) with what makes
tests fast and deterministic. pytest reads them (DJANGO_SETTINGS_MODULE in pyproject.toml), and
so do the server processes the concurrency tests start (tests/concurrency/loadtools.py).

Nothing here is switched on by how a process was started: a process that merely imports
pytest still gets the production settings. Each value can still be set in the environment,
as in production.
"""

from __future__ import annotations

import os

os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from meldestelle.settings import *  # noqa: E402, F403
from meldestelle.settings import Q_CLUSTER, REDIS_URL, STORAGES, env_bool, env_int  # noqa: E402

# One process, no shared cache to set up (Redis when REDIS_URL is set, as in production).
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Staff passwords and member key wraps: cheap hashes, so thousands of logins stay fast.
PASSWORD_HASHERS = ["meldestelle.hashers.FastTestHasher"]
ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 1)
ARGON2_MEMORY_KIB = env_int("ARGON2_MEMORY_KIB", 8 * 1024)

# The reporter's anti-abuse checks are off unless a test turns them on (tests/reporting/test_abuse.py).
REPORT_POW_DIFFICULTY = env_int("REPORT_POW_DIFFICULTY", 0)
REPORT_MIN_FORM_SECONDS = env_int("REPORT_MIN_FORM_SECONDS", 0)
FOLLOWUP_POW_DIFFICULTY = env_int("FOLLOWUP_POW_DIFFICULTY", 4)
FOLLOWUP_POW_MAX_DIFFICULTY = env_int("FOLLOWUP_POW_MAX_DIFFICULTY", 10)

# Staff log in with TOTP, as in production (DEBUG, the embedded run's default, would drop it).
TOTP_REQUIRED = env_bool("TOTP_REQUIRED", default=True)

# Static files straight from the source folders, without a collectstatic run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# Queued tasks run at once, in the test's transaction (Q_ASYNC=1: the ORM broker, as in production).
if not env_bool("Q_ASYNC", default=False):
    Q_CLUSTER = {**Q_CLUSTER, "sync": True}
