"""The one application error: what a request cannot do, with a stable code and a message for people.

Services, access checks and API views raise `ApplicationError` (or a subclass); the API answers
it in one place (`meldestelle.api.exception_handler`) as ``{"error": {"code", "message",
"fields"}}`` with the status `STATUS` gives the code. Pages catch it and show their own text.

Messages reach people (API clients show them), so they are translated: pass a lazy text
(``gettext_lazy``), which is rendered in the language of the request that receives the error.
"""

from __future__ import annotations

from typing import Any

# The one status mapping: the HTTP status of each error code; any other code is a 400.
STATUS: dict[str, int] = {
    "not_authenticated": 401,
    "cross_origin": 403,
    "forbidden": 403,
    "not_unlocked": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "already_taken": 409,
    # A report sealed in the browser to a key that is not the organisation's: nobody can open
    # it, and no unlock changes that (SPEC §3.10); the case page says the same with 409.
    "seal_unopenable": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "throttled": 429,
    "unavailable": 503,
    "no_organisation": 503,
    "key_unverified": 503,
    "storage_unavailable": 503,
    "server_error": 500,
}


def status_for(code: str) -> int:
    return STATUS.get(code, 400)


class ApplicationError(Exception):
    """A request that cannot be carried out.

    `code` is stable (clients branch on it), `message` is for people (lazy-translated),
    `fields` maps input names to messages for invalid input. `http_status` overrides `STATUS`
    only where one code means something else on one endpoint (a follow-up throttled until a
    puzzle is solved is a 429 ``pow_required``; a report without its puzzle is a 400).
    """

    http_status: int | None = None

    def __init__(self, code: str, message: Any, *, fields: dict[str, list[str]] | None = None,
                 http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self._message = message
        self.fields = fields or {}
        if http_status is not None:
            self.http_status = http_status

    @property
    def message(self) -> str:
        """The message in the active language."""
        return str(self._message)

    @property
    def status(self) -> int:
        return self.http_status or status_for(self.code)

    def __str__(self) -> str:
        return self.message
