"""Anti-abuse without tracking (SPEC §4.4): honeypot, signed form timestamp, proof of work,
submission limits and follow-up throttling.

Everything here keys on `request.client_hash` (a keyed, rotating hash of the client's identity
made by the middleware: its address, or on the onion service its Tor circuit) and keeps its
state only in the cache, with short lifetimes. Nothing here logs.

These are the cheap checks: the reporter's views decide them before any uploaded file is
decoded. No client can lock out another: every limit but the global one counts per identity,
and wrong receipt codes make that identity's next try cost rising proof of work, never a lock
on a shared address.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from meldestelle import ratelimit

HONEYPOT_FIELD = "homepage"
TIMESTAMP_FIELD = "form_ts"
_FORM_SALT = "reporting.abuse.form-timestamp"
_CHALLENGE_SALT = "reporting.abuse.pow-challenge"
# A form may stay open this long (people write slowly, pause, come back); later it is refused
# with a friendly "please send it again" that keeps every answer.
FORM_MAX_AGE_SECONDS = 6 * 3600
CHALLENGE_MAX_AGE_SECONDS = FORM_MAX_AGE_SECONDS
_NONCE_MAX_DIGITS = 20


# --------------------------------------------------------------------------------------------
# Honeypot


def honeypot_tripped(data: Mapping[str, Any]) -> bool:
    """People never see the field; only a program fills it in."""
    return bool(str(data.get(HONEYPOT_FIELD, "") or "").strip())


# --------------------------------------------------------------------------------------------
# Signed form timestamp


class FormAge(enum.Enum):
    OK = "ok"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"
    INVALID = "invalid"


def form_timestamp(issued_at: float | None = None) -> str:
    return signing.dumps({"t": round(issued_at if issued_at is not None else time.time(), 3)}, salt=_FORM_SALT)


def form_age(token: str | None) -> FormAge:
    if not token:
        return FormAge.INVALID
    try:
        payload = signing.loads(token, salt=_FORM_SALT)
    except signing.BadSignature:
        return FormAge.INVALID
    issued = payload.get("t") if isinstance(payload, dict) else None
    if not isinstance(issued, int | float):
        return FormAge.INVALID
    if time.time() - issued > FORM_MAX_AGE_SECONDS:
        return FormAge.EXPIRED
    if time.time() - issued < settings.REPORT_MIN_FORM_SECONDS:
        return FormAge.TOO_FAST
    return FormAge.OK


# --------------------------------------------------------------------------------------------
# Proof of work: SHA-256(challenge + ":" + nonce) must begin with `difficulty` zero bits.


class Pow(enum.Enum):
    SOLVED = "solved"
    MISSING = "missing"
    INVALID = "invalid"


def pow_difficulty() -> int:
    return max(0, int(settings.REPORT_POW_DIFFICULTY))


def challenge_issue() -> str:
    """A signed random token; its signature carries the time it was made."""
    return signing.dumps(secrets.token_urlsafe(12), salt=_CHALLENGE_SALT)


def _leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def _used_key(challenge: str) -> str:
    return "pow-used:" + hashlib.sha256(challenge.encode()).hexdigest()


def pow_check(challenge: Any, nonce: Any, *, difficulty: int | None = None) -> Pow:
    """Whether a solved, signed, unexpired and unused challenge came with the request.

    `difficulty`: the zero bits needed; the report form's setting unless given.
    """
    difficulty = pow_difficulty() if difficulty is None else difficulty
    if difficulty <= 0:
        return Pow.SOLVED
    if not challenge or not nonce:
        return Pow.MISSING
    if not isinstance(challenge, str) or not isinstance(nonce, str):
        return Pow.INVALID
    if not nonce.isdigit() or len(nonce) > _NONCE_MAX_DIGITS or len(challenge) > 200:
        return Pow.INVALID
    try:
        signing.loads(challenge, salt=_CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return Pow.INVALID
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if _leading_zero_bits(digest) < difficulty:
        return Pow.INVALID
    if cache.get(_used_key(challenge)) is not None:
        return Pow.INVALID
    return Pow.SOLVED


def pow_consume(challenge: str, *, difficulty: int | None = None) -> bool:
    """Mark a challenge used (atomically); False if it already was."""
    difficulty = pow_difficulty() if difficulty is None else difficulty
    if difficulty <= 0 or not challenge:
        return True
    return bool(cache.add(_used_key(challenge), 1, timeout=CHALLENGE_MAX_AGE_SECONDS))


# --------------------------------------------------------------------------------------------
# Submission limits


def submission_allowed(client_hash: str, *, solved_pow: bool) -> bool:
    """Count one submission; False when the global or this address's limit is reached.

    Without a solved puzzle (no JavaScript) the stricter hourly limit applies as well.

    All the counters are counted together (`ratelimit.hit_all`: one statement on the database
    cache), so a submission refused by one limit still counts against the others, e.g. against
    its address's hourly limit while the global limit refuses everyone. That is fine: the
    refusal is the same, and only tries that keep coming while refused use up more of the
    hour.
    """
    counters = [
        ratelimit.Counter("report-global", "all", settings.REPORT_GLOBAL_RATE_PER_MINUTE, 60),
        ratelimit.Counter("report", client_hash, settings.REPORT_RATE_PER_HOUR, 3600),
    ]
    if not solved_pow:
        counters.append(
            ratelimit.Counter("report-nopow", client_hash, settings.REPORT_RATE_PER_HOUR_NO_POW, 3600))
    return ratelimit.hit_all(counters)


# --------------------------------------------------------------------------------------------
# The gate a report passes, written once for the page and the API


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"  # honeypot filled in, or a form timestamp forged or too fresh (page only)
    EXPIRED = "expired"  # the form was open too long (page only): send it again
    POW_MISSING = "pow_missing"  # the API brought no solution where one is needed
    POW_INVALID = "pow_invalid"  # a solution that is wrong, expired or used before
    THROTTLED = "throttled"  # a submission limit is reached


def form_gate(data: Mapping[str, Any], *, timestamp_required: bool = True) -> Verdict:
    """The page's checks before its answers are even read: the honeypot and the form's age.

    `timestamp_required=False` (the sealing API, SPEC §3.10): a client that was never shown the
    page has no timestamp and meets only the honeypot; one that sends a timestamp is judged by it.
    """
    if honeypot_tripped(data):
        return Verdict.REFUSED
    if not timestamp_required and not data.get(TIMESTAMP_FIELD):
        return Verdict.ALLOWED
    age = form_age(data.get(TIMESTAMP_FIELD))
    if age in (FormAge.INVALID, FormAge.TOO_FAST):
        return Verdict.REFUSED
    if age is FormAge.EXPIRED:
        return Verdict.EXPIRED
    return Verdict.ALLOWED


def submission_gate(client_hash: str, challenge: Any, nonce: Any, *, puzzle_required: bool) -> Verdict:
    """After the answers passed and before any file is decoded (SPEC §4.4): the proof of work,
    then the submission limits.

    The page works without JavaScript, so it may come without a solution, and then the stricter
    hourly limit applies too; the API must bring a solution (`puzzle_required`) whenever the
    difficulty is above zero.
    """
    proof = pow_check(challenge, nonce)
    solved = proof is Pow.SOLVED and pow_consume(challenge)
    if puzzle_required and not solved:
        return Verdict.POW_MISSING if proof is Pow.MISSING else Verdict.POW_INVALID
    if not submission_allowed(client_hash, solved_pow=solved):
        return Verdict.THROTTLED
    return Verdict.ALLOWED


# --------------------------------------------------------------------------------------------
# Follow-up: wrong receipt codes make the next try from the same identity cost proof of work


def _failures(client_hash: str) -> int:
    return ratelimit.count("followup-fail", client_hash, window_seconds=settings.FOLLOWUP_FAILURE_WINDOW_SECONDS)


def followup_difficulty(client_hash: str) -> int:
    """The proof of work this identity's next code needs: none for the first
    FOLLOWUP_MAX_FAILURES wrong codes in the window, then FOLLOWUP_POW_DIFFICULTY zero bits,
    one more (twice the work) for every further wrong code, up to FOLLOWUP_POW_MAX_DIFFICULTY."""
    over = _failures(client_hash) - settings.FOLLOWUP_MAX_FAILURES
    if over < 0:
        return 0
    return max(1, min(settings.FOLLOWUP_POW_MAX_DIFFICULTY, settings.FOLLOWUP_POW_DIFFICULTY + over))


def followup_failed(client_hash: str) -> None:
    # The count goes on past the free tries: it sets the rising cost.
    ratelimit.hit("followup-fail", client_hash, limit=1 << 30, window_seconds=settings.FOLLOWUP_FAILURE_WINDOW_SECONDS)


def followup_succeeded(client_hash: str) -> None:
    """A code that opened a report: this identity's later steps (reply, files, delete) carry
    that code and need no more puzzles."""
    ratelimit.reset("followup-fail", client_hash, window_seconds=settings.FOLLOWUP_FAILURE_WINDOW_SECONDS)


class FollowupBlocked(Exception):
    """Too many wrong receipt codes from this identity: the next try needs proof of work of
    `difficulty` zero bits (a challenge from `challenge_issue`)."""

    def __init__(self, difficulty: int) -> None:
        super().__init__(difficulty)
        self.difficulty = difficulty


def followup_open(client_hash: str, receipt: Any, *, challenge: Any = "", nonce: Any = "") -> Any:
    """The reporter's case for a receipt code, or None; raises FollowupBlocked when this
    identity's next try needs a proof of work it did not bring.

    The proof is asked for before the code is looked at, so a throttled identity learns nothing
    about any code without paying. Every wrong code counts, whatever was wrong with it, and gets
    the same answer.
    """
    from reporting.services import reporter_open

    return _followup_try(
        client_hash, challenge, nonce,
        lambda: reporter_open(receipt=receipt) if isinstance(receipt, str) and len(receipt) <= 64 else None,
    )


def followup_find(client_hash: str, lookup_token: Any, *, challenge: Any = "", nonce: Any = "") -> Any:
    """The case a receipt code's look-up token finds (the follow-up in the browser, SPEC §3.10),
    or None; the same gate as `followup_open`: a wrong token is a wrong code, and counts."""
    from reporting.services import reporter_find

    return _followup_try(
        client_hash, challenge, nonce,
        lambda: reporter_find(lookup_token=lookup_token) if isinstance(lookup_token, bytes) else None,
    )


def _followup_try(client_hash: str, challenge: Any, nonce: Any, look: Callable[[], Any]) -> Any:
    difficulty = followup_difficulty(client_hash)
    if difficulty and not (
        pow_check(challenge, nonce, difficulty=difficulty) is Pow.SOLVED
        and pow_consume(challenge, difficulty=difficulty)
    ):
        raise FollowupBlocked(difficulty)
    found = look()
    if found is None:
        followup_failed(client_hash)
    else:
        followup_succeeded(client_hash)
    return found
