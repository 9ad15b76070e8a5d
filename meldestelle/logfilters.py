"""Keep what clients send out of the log (SPEC §4.4, review F-18).

Django's security loggers put client input into their messages: the CSRF check logs the
`Origin` or `Referer` it refused ("Origin checking failed - https://… does not match any
trusted origins."), other `django.security.*` records carry the text of a SuspiciousOperation,
which can quote a header or a host name. `NoClientHeaders` rewrites every such record to a
fixed text: which check refused the request, and the path. The record's `request` (which a
mail handler would dump with all its headers) is dropped as well.

It is attached to the console handler (so everything printed passes it) and to the
`django.security.csrf` logger itself (so every handler anyone adds there gets the clean
record); see LOGGING in meldestelle.settings.
"""

from __future__ import annotations

import logging

# Django's CSRF refusal reasons (django.middleware.csrf.REASON_*), most specific first, as a
# fixed code each. The reason text itself never reaches the log: two of them quote a header.
_CSRF_REASONS = (
    ("Origin checking failed", "origin not trusted"),
    ("Referer checking failed - no Referer", "no referer"),
    ("Referer checking failed - Referer is malformed", "malformed referer"),
    ("Referer checking failed - Referer is insecure", "insecure referer"),
    ("Referer checking failed", "referer not trusted"),
    ("CSRF cookie not set", "no CSRF cookie"),
    ("CSRF token missing", "CSRF token missing"),
    ("CSRF token", "CSRF token invalid"),
)
_SECURITY = "django.security."


def csrf_reason_code(reason: object) -> str:
    text = str(reason)
    return next((code for prefix, code in _CSRF_REASONS if text.startswith(prefix)), "other")


class NoClientHeaders(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Logger and handler both run it on the same record: rewrite once.
        if not record.name.startswith(_SECURITY) or getattr(record, "client_headers_removed", False):
            return True
        check = record.name.removeprefix(_SECURITY)
        path = getattr(getattr(record, "request", None), "path", "")
        if record.name == "django.security.csrf" and isinstance(record.args, tuple) and record.args:
            check = f"CSRF, {csrf_reason_code(record.args[0])}"
        record.msg = "Forbidden (%s): %s"
        record.args = (check, str(path))
        record.request = None
        record.exc_info = None
        record.exc_text = None
        record.client_headers_removed = True
        return True
