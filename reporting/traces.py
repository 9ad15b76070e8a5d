"""Fewer traces (SPEC §4.4, issue 13, review F-19): what a stolen database tells about when and
how much a reporter wrote.

- **Times to the hour.** Every time a reporter causes (their case arriving, their messages and
  files, reading a reply, the audit entries of all that) is stored to the hour only, so that it
  cannot be matched against a proxy, ISP or Tor guard log to the second. Order is kept by id.
- **Ciphertexts in size buckets.** Reports and messages are padded, inside the plaintext and
  before encryption, to the next power of two (at least `MIN_BUCKET` bytes), so that a
  ciphertext's length says only which bucket the text falls into. Plaintexts written before
  padding carry no padding header and are read as they are.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def to_the_hour(moment: datetime | None = None) -> datetime:
    """The start of the hour of `moment` (default: now). The time zone's offset is whole hours
    (Europe/Berlin, UTC), so the UTC hour is the local hour."""
    moment = timezone.now() if moment is None else moment
    return moment.replace(minute=0, second=0, microsecond=0)


# --------------------------------------------------------------------------------------------
# Padding

# A NUL byte starts it: reports are JSON (`{`) and messages are text that the forms and the API
# refuse with NUL characters, so no plaintext written before padding begins like this.
_PADDED = b"\x00pad1"
_LENGTH_BYTES = 4
_HEADER = len(_PADDED) + _LENGTH_BYTES
MIN_BUCKET = 1024


def bucket_size(length: int) -> int:
    """The padded size for `length` bytes of plaintext: a power of two, at least MIN_BUCKET."""
    size = MIN_BUCKET
    while size < length + _HEADER:
        size *= 2
    return size


def pad(plaintext: bytes) -> bytes:
    """`plaintext` with its length in front and zeros behind, up to its bucket's size."""
    padded = _PADDED + len(plaintext).to_bytes(_LENGTH_BYTES, "big") + plaintext
    return padded + b"\x00" * (bucket_size(len(plaintext)) - len(padded))


def unpad(data: bytes) -> bytes:
    """The plaintext `pad` was given; data without the padding header comes back unchanged."""
    if not data.startswith(_PADDED) or len(data) < _HEADER:
        return data
    length = int.from_bytes(data[len(_PADDED):_HEADER], "big")
    if _HEADER + length > len(data):
        raise ValueError("padded plaintext is shorter than its length says")
    return data[_HEADER:_HEADER + length]
