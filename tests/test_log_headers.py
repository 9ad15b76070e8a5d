"""No client header in any log line (SPEC §4.4, issue 13, review F-18).

The review found the CSRF failure logger writing the client's Origin to the console. Here a
real CSRF failure goes through the configured logging (the handler's stream swapped for a
buffer): the line says which check refused the request and where, and holds no header value.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

EVIL = "https://evil.example"
SECRET_PATH = "/leak-4711?who=reporter"


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the configured console handlers write, for the CSRF logger and the root."""
    buffer = io.StringIO()
    handlers = [*logging.getLogger("django.security.csrf").handlers, *logging.getLogger().handlers]
    streams = [handler.setStream(buffer) for handler in handlers if isinstance(handler, logging.StreamHandler)]
    assert streams, "no console handler configured"
    yield buffer
    for handler, stream in zip(
        [h for h in handlers if isinstance(h, logging.StreamHandler)], streams, strict=True
    ):
        handler.setStream(stream)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Records as any handler added to the CSRF logger would receive them."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    logger = logging.getLogger("django.security.csrf")
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_csrf_failure_by_origin_logs_no_header(console: io.StringIO, records: list[logging.LogRecord]) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/report/", {"description": "x"}, HTTP_ORIGIN=EVIL,
                           HTTP_REFERER=EVIL + SECRET_PATH, HTTP_USER_AGENT="Mozilla/5.0 canary-agent")

    assert response.status_code == 403
    line = console.getvalue()
    assert "Forbidden (CSRF, origin not trusted): /en/report/" in line
    for value in ("evil.example", "leak-4711", "canary-agent"):
        assert value not in line
    [record] = records
    assert "evil.example" not in record.getMessage() and record.request is None  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_csrf_failure_by_referer_logs_no_header(console: io.StringIO, records: list[logging.LogRecord]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/en/report/", secure=True)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/en/report/", {"description": "x", "csrfmiddlewaretoken": token}, secure=True,
                           HTTP_REFERER=EVIL + SECRET_PATH)

    assert response.status_code == 403
    line = console.getvalue()
    assert "Forbidden (CSRF, referer not trusted): /en/report/" in line
    assert "evil.example" not in line and "leak-4711" not in line
    assert [record.getMessage() for record in records] == ["Forbidden (CSRF, referer not trusted): /en/report/"]


def test_every_security_logger_is_rewritten(console: io.StringIO) -> None:
    logging.getLogger("django.security.SuspiciousOperation").error("Header %s was bad", "X-Evil: evil.example")
    assert "evil.example" not in console.getvalue()
    assert "Forbidden (SuspiciousOperation)" in console.getvalue()


def test_our_own_log_lines_pass_unchanged(console: Any) -> None:
    logging.getLogger("reporting.views").error("Report not stored: %s", "OperationalError")
    assert "Report not stored: OperationalError" in console.getvalue()
