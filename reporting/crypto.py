"""All cryptography of Meldestelle (SPEC §3), and the only module that imports `cryptography`.

Everything a reporter wrote, uploaded or is, is encrypted before it reaches storage. The few
functions here are the whole vocabulary; each ciphertext kind says in one comment who can
decrypt it. Keys are `bytes`; nothing here touches the database.

Primitives: HPKE base mode (RFC 9180) with KEM MLKEM768_X25519, KDF HKDF_SHA256 and AEAD
AES_256_GCM for sealing case keys to organisations; AES-256-GCM with associated data binding
each ciphertext to its case and purpose; Argon2id for password-derived keys; HKDF-SHA256 for
sub-keys; HMAC-SHA256 for look-ups that must not reveal their input.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
_MLKEM_SEED_BYTES = 64
_X25519_BYTES = 32
_MLKEM_PUBLIC_BYTES = 1184
ORG_PRIVATE_KEY_BYTES = _MLKEM_SEED_BYTES + _X25519_BYTES
ORG_PUBLIC_KEY_BYTES = _MLKEM_PUBLIC_BYTES + _X25519_BYTES

_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_FORMAT_VERSION = b"\x01"


class CryptoError(Exception):
    """A ciphertext did not decrypt: wrong key, wrong case or purpose, or altered bytes."""


class StreamTruncated(CryptoError):
    """An attachment stream ended before its last segment."""


# --------------------------------------------------------------------------------------------
# Random keys


def new_key() -> bytes:
    """A fresh random 256-bit key (case key, case internal key, session key)."""
    return secrets.token_bytes(KEY_BYTES)


# --------------------------------------------------------------------------------------------
# AES-256-GCM with associated data


def _associated_data(case_id: int | str, purpose: str) -> bytes:
    return b"meldestelle/v1|" + str(case_id).encode() + b"|" + purpose.encode()


def encrypt(key: bytes, plaintext: bytes, *, case_id: int | str, purpose: str) -> bytes:
    """AES-256-GCM: version byte, 96-bit random nonce, ciphertext and tag.

    `case_id` and `purpose` are bound as associated data: the ciphertext moved to another case
    or another field fails to decrypt.
    """
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, _associated_data(case_id, purpose))
    return _FORMAT_VERSION + nonce + sealed


def decrypt(key: bytes, ciphertext: bytes, *, case_id: int | str, purpose: str) -> bytes:
    if len(ciphertext) < 1 + NONCE_BYTES + 16 or ciphertext[:1] != _FORMAT_VERSION:
        raise CryptoError("malformed ciphertext")
    nonce = ciphertext[1 : 1 + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(
            nonce, ciphertext[1 + NONCE_BYTES :], _associated_data(case_id, purpose)
        )
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("decryption failed") from exc


# --------------------------------------------------------------------------------------------
# Organisation keypairs and HPKE sealing


@dataclass(frozen=True)
class OrgKeypair:
    private_key: bytes  # ML-KEM-768 seed (64 bytes) + X25519 private key (32 bytes)
    public_key: bytes  # ML-KEM-768 public key (1184 bytes) + X25519 public key (32 bytes)


def _private_from_bytes(private_key: bytes) -> hpke.MLKEM768X25519PrivateKey:
    if len(private_key) != ORG_PRIVATE_KEY_BYTES:
        raise CryptoError("organisation private key has the wrong length")
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_key[:_MLKEM_SEED_BYTES])
    x_key = x25519.X25519PrivateKey.from_private_bytes(private_key[_MLKEM_SEED_BYTES:])
    return hpke.MLKEM768X25519PrivateKey(mlkem_key, x_key)


@functools.lru_cache(maxsize=64)  # a submission seals twice to the same few keys; key objects are immutable
def _public_from_bytes(public_key: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public_key) != ORG_PUBLIC_KEY_BYTES:
        raise CryptoError("organisation public key has the wrong length")
    mlkem_key = mlkem.MLKEM768PublicKey.from_public_bytes(public_key[:_MLKEM_PUBLIC_BYTES])
    x_key = x25519.X25519PublicKey.from_public_bytes(public_key[_MLKEM_PUBLIC_BYTES:])
    return hpke.MLKEM768X25519PublicKey(mlkem_key, x_key)


def _keypair_from_private(private_key: bytes) -> OrgKeypair:
    if len(private_key) != ORG_PRIVATE_KEY_BYTES:
        raise CryptoError("organisation private key has the wrong length")
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_key[:_MLKEM_SEED_BYTES])
    x_key = x25519.X25519PrivateKey.from_private_bytes(private_key[_MLKEM_SEED_BYTES:])
    public = mlkem_key.public_key().public_bytes_raw() + x_key.public_key().public_bytes_raw()
    return OrgKeypair(private_key=private_key, public_key=public)


def new_org_keypair() -> OrgKeypair:
    """A fresh HPKE keypair: one epoch of an organisation key, or a member's own key."""
    return _keypair_from_private(secrets.token_bytes(_MLKEM_SEED_BYTES) + x25519.X25519PrivateKey.generate().private_bytes_raw())


def public_key_of(private_key: bytes) -> bytes:
    """The public key a private key derives. The unlock-time check (SPEC §3.9) compares it
    with the stored public key: a stored key this private key does not derive is not its own."""
    return _keypair_from_private(private_key).public_key


def _seal_info(case_id: int | str, purpose: str) -> bytes:
    return b"meldestelle/v1/seal|" + str(case_id).encode() + b"|" + purpose.encode()


def seal(public_key: bytes, secret: bytes, *, case_id: int | str, purpose: str) -> bytes:
    """HPKE-seal a case key to an organisation. Who can open it: holders of that org's key."""
    return _SUITE.encrypt(secret, _public_from_bytes(public_key), info=_seal_info(case_id, purpose))


def unseal(private_key: bytes, sealed: bytes, *, case_id: int | str, purpose: str) -> bytes:
    try:
        return _SUITE.decrypt(
            sealed, _private_from_bytes(private_key), info=_seal_info(case_id, purpose)
        )
    except CryptoError:
        raise
    except Exception as exc:  # the binding raises several types for bad input
        raise CryptoError("unsealing failed") from exc


# --------------------------------------------------------------------------------------------
# Password-derived key-encryption keys (member key wraps)


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int
    memory_kib: int
    lanes: int


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def password_kek(password: str, salt: bytes, params: Argon2Params) -> bytes:
    """Argon2id(password, salt): a member's key-encryption key, never stored."""
    return Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.time_cost,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(password.encode("utf-8"))


def wrap_key(kek: bytes, key: bytes, *, owner: str, purpose: str) -> bytes:
    """Encrypt a key under a key-encryption key; `owner` binds it (member id, org id...)."""
    return encrypt(kek, key, case_id=owner, purpose=purpose)


def unwrap_key(kek: bytes, wrapped: bytes, *, owner: str, purpose: str) -> bytes:
    return decrypt(kek, wrapped, case_id=owner, purpose=purpose)


# --------------------------------------------------------------------------------------------
# Organisation recovery codes (256 random bits, printable)


def new_recovery_code() -> str:
    raw = secrets.token_bytes(32)
    text = base64.b32encode(raw).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def _recovery_raw(code: str) -> bytes:
    text = "".join(ch for ch in code.upper() if ch.isalnum())
    padded = text + "=" * (-len(text) % 8)
    try:
        raw = base64.b32decode(padded)
    except ValueError as exc:
        raise CryptoError("malformed recovery code") from exc
    if len(raw) != 32:
        raise CryptoError("malformed recovery code")
    return raw


def recovery_kek(code: str, *, organisation_id: int | str) -> bytes:
    """The recovery code has 256 bits of entropy: HKDF suffices, no password stretching."""
    return _hkdf(_recovery_raw(code), salt=str(organisation_id).encode(), info=b"recovery")


def recovery_keypair(code: str, *, organisation_id: int | str) -> OrgKeypair:
    """The organisation's recovery keypair, derived from the recovery code alone (HKDF).

    Only its public key is stored: each new key epoch is sealed to it (`seal`), so a rotation
    never needs the code, and only a holder of the code can derive the private key to open it.
    """
    material = _hkdf(
        _recovery_raw(code), salt=str(organisation_id).encode(), info=b"recovery-keypair",
        length=ORG_PRIVATE_KEY_BYTES,
    )
    return _keypair_from_private(material)


# --------------------------------------------------------------------------------------------
# Receipt codes (the reporter's key)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_INPUT = {ch: ch for ch in _CROCKFORD} | {"I": "1", "L": "1", "O": "0"}
RECEIPT_CHARS = 16  # 16 × 5 bits = 80 bits


def new_receipt_code() -> str:
    """A receipt code: 80 random bits, Crockford base32, shown as XXXX-XXXX-XXXX-XXXX."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(RECEIPT_CHARS))
    return "-".join(chars[i : i + 4] for i in range(0, RECEIPT_CHARS, 4))


def normalise_receipt(text: str) -> str | None:
    """Canonical form of a typed code, or None if it cannot be one.

    Case, spaces and separators are ignored; I and L read as 1, O as 0 (Crockford).
    """
    cleaned = []
    for ch in text.upper():
        if ch in " -_.\t\u00a0":
            continue
        mapped = _CROCKFORD_INPUT.get(ch)
        if mapped is None:
            return None
        cleaned.append(mapped)
    if len(cleaned) != RECEIPT_CHARS:
        return None
    return "-".join("".join(cleaned[i : i + 4]) for i in range(0, RECEIPT_CHARS, 4))


def receipt_lookup(pepper: bytes, normalised_code: str) -> str:
    """HMAC-SHA256(pepper, code): finds the case without storing the code."""
    return hmac.new(pepper, normalised_code.encode(), hashlib.sha256).hexdigest()


def receipt_kek(normalised_code: str, *, case_id: int | str) -> bytes:
    """HKDF(code, salt=case id): the key that wraps the case key for the reporter."""
    return _hkdf(normalised_code.encode(), salt=str(case_id).encode(), info=b"receipt")


# A report sealed in the reporter's browser (SPEC §3.10): the server never sees the code. The
# browser sends this look-up token instead (HKDF of the code, independent of `receipt_kek`),
# which the server keys with its pepper; a typed code is turned into the same token on the
# follow-up page, so both kinds of case open the same way.
RECEIPT_TOKEN_BYTES = 32


def receipt_lookup_token(normalised_code: str) -> bytes:
    """HKDF(code, salt="meldestelle/v1/receipt-lookup", info="lookup"): what the browser sends."""
    return _hkdf(normalised_code.encode(), salt=b"meldestelle/v1/receipt-lookup", info=b"lookup")


def receipt_lookup_from_token(pepper: bytes, token: bytes) -> str:
    """HMAC-SHA256(pepper, "token|" + token): finds a browser-sealed case; never equal to a
    `receipt_lookup` of a code (different input domain)."""
    return hmac.new(pepper, b"token|" + token, hashlib.sha256).hexdigest()


# The formats a browser-sealed submission must have, checked by length and shape only (the
# server cannot read them): a sealed 256-bit key (X-Wing encapsulation 1,120 bytes + the key +
# tag), a wrapped key, and a padded AES-GCM ciphertext whose plaintext is one size bucket.
SEALED_KEY_BYTES = 1120 + KEY_BYTES + 16
WRAPPED_KEY_BYTES = 1 + NONCE_BYTES + KEY_BYTES + 16


def padded_ciphertext_ok(ciphertext: bytes, *, min_bucket: int, max_bucket: int) -> bool:
    """Version byte, nonce, a power-of-two plaintext between the buckets, tag."""
    if ciphertext[:1] != _FORMAT_VERSION:
        return False
    body = len(ciphertext) - 1 - NONCE_BYTES - 16
    return min_bucket <= body <= max_bucket and body & (body - 1) == 0


# --------------------------------------------------------------------------------------------
# Helpers: HKDF, keyed hashes


def _hkdf(material: bytes, *, salt: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(material)


def derive_subkey(key: bytes, *, salt: bytes, info: str) -> bytes:
    return _hkdf(key, salt=salt, info=info.encode())


def keyed_hash(key: bytes, value: str, *, context: str) -> str:
    """HMAC-SHA256 for values that must be compared but never stored (client addresses)."""
    return hmac.new(key, context.encode() + b"|" + value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# --------------------------------------------------------------------------------------------
# The audit chain (SPEC §3.9)
#
# Not a ciphertext but a seal: only a holder of AUDIT_CHAIN_KEY (the server's environment,
# never the database) can make or check these MACs, so a database writer who edits, removes
# or inserts audit entries cannot recompute the chain after them.


def audit_chain_mac(key: bytes, *, prev_mac: str, entry: bytes) -> str:
    """HMAC-SHA256(key, prev_mac || canonical entry), hex: one link of the keyed audit chain."""
    return hmac.new(key, b"meldestelle/audit-entry/v2|" + prev_mac.encode() + b"|" + entry, hashlib.sha256).hexdigest()


def audit_entry_mac(key: bytes, *, entry: bytes) -> str:
    """HMAC-SHA256(key, canonical entry), hex: a version-3 entry's own seal, made in the
    transaction of the change before the entry has a place on the chain."""
    return hmac.new(key, b"meldestelle/audit-own/v3|" + entry, hashlib.sha256).hexdigest()


def audit_head_mac(key: bytes, *, last_mac: str) -> str:
    """The chain head's own MAC: a writer who cuts entries off the end cannot re-point the head."""
    return hmac.new(key, b"meldestelle/audit-head/v2|" + last_mac.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# Authentic public keys (SPEC §3.9)
#
# Not a ciphertext but a seal over every stored public key: only a holder of KEY_AUTH_KEY (the
# server's environment, never the database) can make one, so a database writer who puts a key
# of their own in place of an organisation's or a member's cannot make it pass, and nothing is
# sealed to it. The MAC binds the kind of key, its owner's id and its version to the bytes.

PUBLIC_KEY_ORGANISATION = "organisation"  # owner: organisation id; version: key epoch
PUBLIC_KEY_MEMBER = "member"  # owner: membership id; version 0
PUBLIC_KEY_RECOVERY = "recovery"  # owner: organisation id; version 0


def public_key_mac(key: bytes, *, kind: str, owner_id: int, version: int, public_key: bytes) -> str:
    """HMAC-SHA256(key, kind | owner | version | public key), hex."""
    message = f"meldestelle/public-key/v1|{kind}|{int(owner_id)}|{int(version)}|".encode() + public_key
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def public_key_authentic(
    key: bytes, mac: str, *, kind: str, owner_id: int, version: int, public_key: bytes
) -> bool:
    expected = public_key_mac(key, kind=kind, owner_id=owner_id, version=version, public_key=public_key)
    return bool(mac) and hmac.compare_digest(expected.encode(), mac.encode())


def public_key_fingerprint(public_key: bytes) -> str:
    """A short, readable fingerprint of a public key for people to compare (not a secret)."""
    digest = hashlib.sha256(public_key).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


# --------------------------------------------------------------------------------------------
# Session-split unlock (SPEC §3.7)


@dataclass(frozen=True)
class SessionUnlock:
    cookie_key: str  # base64, lives only in the HttpOnly cookie
    session_ciphertext: str  # base64, lives only in the server-side session


def session_lock(org_private_key: bytes, *, session_binding: str) -> SessionUnlock:
    """Encrypt the unwrapped org key under a random per-session key; neither half alone opens it."""
    session_key = new_key()
    blob = encrypt(session_key, org_private_key, case_id=session_binding, purpose="session-unlock")
    return SessionUnlock(
        cookie_key=base64.urlsafe_b64encode(session_key).decode(),
        session_ciphertext=base64.b64encode(blob).decode(),
    )


def session_unlock(cookie_key: str, session_ciphertext: str, *, session_binding: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(cookie_key.encode())
        blob = base64.b64decode(session_ciphertext.encode())
    except ValueError as exc:
        raise CryptoError("malformed session unlock") from exc
    if len(key) != KEY_BYTES:
        raise CryptoError("malformed session unlock")
    return decrypt(key, blob, case_id=session_binding, purpose="session-unlock")


# --------------------------------------------------------------------------------------------
# Streaming attachment encryption (SPEC §3, attachments)
#
# Format: magic "MSA1", 16-byte salt, then segments. Each segment is AES-256-GCM over at most
# SEGMENT_BYTES of plaintext, under a per-file key HKDF(case key, salt); its nonce is the
# segment index, and the associated data binds case, attachment, index and a last-segment flag,
# so truncation, reordering, splicing and extension are all detected. Memory stays at one
# segment whatever the file size. Who can decrypt: holders of the case key.

SEGMENT_BYTES = 64 * 1024
_STREAM_MAGIC = b"MSA1"
_TAG_BYTES = 16


def _stream_ad(case_id: int | str, attachment_id: str, index: int, last: bool) -> bytes:
    return (
        b"meldestelle/v1/attachment|"
        + str(case_id).encode()
        + b"|"
        + attachment_id.encode()
        + struct.pack(">QB", index, 1 if last else 0)
    )


def _stream_nonce(index: int) -> bytes:
    return struct.pack(">IQ", 0, index)


def encrypt_stream(
    case_key: bytes,
    chunks: Iterable[bytes],
    out: IO[bytes],
    *,
    case_id: int | str,
    attachment_id: str,
) -> int:
    """Encrypt plaintext chunks into `out`; returns the number of plaintext bytes."""
    salt = secrets.token_bytes(16)
    aead = AESGCM(derive_subkey(case_key, salt=salt, info="attachment"))
    out.write(_STREAM_MAGIC + salt)
    buffer = bytearray()
    index = 0
    total = 0
    pending: bytes | None = None  # held back one segment so the last one can be flagged
    for chunk in chunks:
        total += len(chunk)
        buffer += chunk
        while len(buffer) >= SEGMENT_BYTES:
            segment = bytes(buffer[:SEGMENT_BYTES])
            del buffer[:SEGMENT_BYTES]
            if pending is not None:
                out.write(
                    aead.encrypt(
                        _stream_nonce(index), pending, _stream_ad(case_id, attachment_id, index, False)
                    )
                )
                index += 1
            pending = segment
    if pending is not None and buffer:
        out.write(
            aead.encrypt(_stream_nonce(index), pending, _stream_ad(case_id, attachment_id, index, False))
        )
        index += 1
        pending = bytes(buffer)
    elif pending is None:
        pending = bytes(buffer)
    out.write(aead.encrypt(_stream_nonce(index), pending, _stream_ad(case_id, attachment_id, index, True)))
    return total


def decrypt_stream(
    case_key: bytes, source: IO[bytes], *, case_id: int | str, attachment_id: str
) -> Iterator[bytes]:
    """Yield plaintext segments; raises CryptoError on any alteration, truncation or extension.

    A consumer that must not act on unauthenticated data should collect everything first; the
    segments it already got are authentic, the failure says only that the whole is not.
    """
    header = source.read(len(_STREAM_MAGIC) + 16)
    if len(header) != len(_STREAM_MAGIC) + 16 or header[:4] != _STREAM_MAGIC:
        raise CryptoError("not an attachment stream")
    aead = AESGCM(derive_subkey(case_key, salt=header[4:], info="attachment"))
    sealed_segment = SEGMENT_BYTES + _TAG_BYTES
    index = 0
    current = source.read(sealed_segment)
    while True:
        if len(current) < _TAG_BYTES:
            raise StreamTruncated("attachment stream truncated")
        following = source.read(sealed_segment)
        last = not following
        try:
            plain = aead.decrypt(
                _stream_nonce(index), current, _stream_ad(case_id, attachment_id, index, last)
            )
        except InvalidTag as exc:
            if last:
                raise StreamTruncated("attachment stream truncated or altered") from exc
            raise CryptoError("attachment segment altered") from exc
        yield plain
        if last:
            return
        index += 1
        current = following


def stream_overhead(plaintext_bytes: int) -> int:
    segments = max(1, -(-plaintext_bytes // SEGMENT_BYTES))
    return len(_STREAM_MAGIC) + 16 + segments * _TAG_BYTES


STREAM_HEADER_BYTES = len(_STREAM_MAGIC) + 16


def stream_head_ok(head: bytes) -> bool:
    """Whether the first bytes of a ciphertext look like an attachment stream (the magic)."""
    return head[: len(_STREAM_MAGIC)] == _STREAM_MAGIC


def stream_plaintext_bytes(ciphertext_bytes: int) -> int | None:
    """The plaintext size an attachment stream of this length holds, or None if no stream
    `encrypt_stream` writes has this length (length only: the server cannot open a stream
    sealed in the reporter's browser)."""
    body = ciphertext_bytes - STREAM_HEADER_BYTES
    if body < _TAG_BYTES:
        return None
    sealed_segment = SEGMENT_BYTES + _TAG_BYTES
    full, rest = divmod(body, sealed_segment)
    if rest == 0:
        return full * SEGMENT_BYTES
    if rest < _TAG_BYTES or (rest == _TAG_BYTES and full > 0):
        # an empty last segment follows a full one only for an empty file
        return None
    return full * SEGMENT_BYTES + rest - _TAG_BYTES
