"""The crypto module: round trips, and every kind of tampering fails."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest

from reporting import crypto


@pytest.fixture(scope="module")
def keypair() -> crypto.OrgKeypair:
    return crypto.new_org_keypair()


def test_aead_round_trip() -> None:
    key = crypto.new_key()
    blob = crypto.encrypt(key, b"what happened", case_id="NI-2026-00001", purpose="report")
    assert crypto.decrypt(key, blob, case_id="NI-2026-00001", purpose="report") == b"what happened"


def test_aead_nonce_is_fresh_each_time() -> None:
    key = crypto.new_key()
    a = crypto.encrypt(key, b"same", case_id=1, purpose="p")
    b = crypto.encrypt(key, b"same", case_id=1, purpose="p")
    assert a != b


def test_changing_any_byte_of_a_ciphertext_fails() -> None:
    key = crypto.new_key()
    blob = crypto.encrypt(key, b"x" * 40, case_id=7, purpose="report")
    for index in range(len(blob)):
        altered = bytearray(blob)
        altered[index] ^= 0x01
        with pytest.raises(crypto.CryptoError):
            crypto.decrypt(key, bytes(altered), case_id=7, purpose="report")


@pytest.mark.parametrize(("case_id", "purpose"), [(8, "report"), (7, "message:1"), ("7 ", "report")])
def test_ciphertext_moved_to_another_case_or_purpose_fails(case_id: object, purpose: str) -> None:
    key = crypto.new_key()
    blob = crypto.encrypt(key, b"secret", case_id=7, purpose="report")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(key, blob, case_id=case_id, purpose=purpose)  # type: ignore[arg-type]


def test_wrong_key_fails() -> None:
    blob = crypto.encrypt(crypto.new_key(), b"secret", case_id=1, purpose="p")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(crypto.new_key(), blob, case_id=1, purpose="p")


def test_hpke_seal_round_trip_and_binding(keypair: crypto.OrgKeypair) -> None:
    case_key = crypto.new_key()
    sealed = crypto.seal(keypair.public_key, case_key, case_id="NI-1", purpose="case-key")
    assert crypto.unseal(keypair.private_key, sealed, case_id="NI-1", purpose="case-key") == case_key
    # A seal adds about 1.1 KB (ML-KEM-768 + X25519 encapsulation and the tag).
    assert 1000 < len(sealed) - len(case_key) < 1300
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(keypair.private_key, sealed, case_id="NI-2", purpose="case-key")
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(keypair.private_key, sealed, case_id="NI-1", purpose="internal-key")
    other = crypto.new_org_keypair()
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(other.private_key, sealed, case_id="NI-1", purpose="case-key")
    altered = bytearray(sealed)
    altered[len(sealed) // 2] ^= 0x80
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(keypair.private_key, bytes(altered), case_id="NI-1", purpose="case-key")


def test_org_keys_have_the_hybrid_sizes(keypair: crypto.OrgKeypair) -> None:
    assert len(keypair.private_key) == 64 + 32
    assert len(keypair.public_key) == 1184 + 32


def test_password_wrap_round_trip_and_wrong_password() -> None:
    params = crypto.Argon2Params(time_cost=1, memory_kib=1024, lanes=1)
    salt = crypto.new_salt()
    secret_key = crypto.new_key()
    wrapped = crypto.wrap_key(crypto.password_kek("pw one", salt, params), secret_key, owner="m:1", purpose="w")
    assert crypto.unwrap_key(crypto.password_kek("pw one", salt, params), wrapped, owner="m:1", purpose="w") == secret_key
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap_key(crypto.password_kek("pw two", salt, params), wrapped, owner="m:1", purpose="w")


def test_recovery_code_has_256_bits_and_tolerates_formatting() -> None:
    code = crypto.new_recovery_code()
    assert len(code.replace("-", "")) * 5 >= 256
    kek = crypto.recovery_kek(code, organisation_id=3)
    assert crypto.recovery_kek(code.lower().replace("-", " "), organisation_id=3) == kek
    assert crypto.recovery_kek(code, organisation_id=4) != kek


def test_receipt_codes_are_formatted_and_carry_80_bits() -> None:
    codes = {crypto.new_receipt_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        parts = code.split("-")
        assert [len(p) for p in parts] == [4, 4, 4, 4]
        assert set(code.replace("-", "")) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    # 16 symbols from a 32-letter alphabet: 80 bits.
    assert crypto.RECEIPT_CHARS * 5 >= 80


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("abcd-efgh-jkmn-pqrs", "ABCD-EFGH-JKMN-PQRS"),
        ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"),
        (" abcd efgh jkmn pqrs ", "ABCD-EFGH-JKMN-PQRS"),
        ("I1L0-OOOO-iiii-llll", "1110-0000-1111-1111"),
        ("abcd_efgh.jkmn-pqrs", "ABCD-EFGH-JKMN-PQRS"),
    ],
)
def test_receipt_normalisation(typed: str, expected: str) -> None:
    assert crypto.normalise_receipt(typed) == expected


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRSX", "ABCD-EFGH-JKMN-PQRU", "ÄBCD-EFGH-JKMN-PQRS"])
def test_receipt_normalisation_refuses_what_cannot_be_a_code(typed: str) -> None:
    assert crypto.normalise_receipt(typed) is None


def test_receipt_lookup_is_keyed() -> None:
    code = "ABCD-EFGH-JKMN-PQRS"
    assert crypto.receipt_lookup(b"a" * 32, code) != crypto.receipt_lookup(b"b" * 32, code)
    assert code not in crypto.receipt_lookup(b"a" * 32, code)


def test_session_split_needs_both_halves() -> None:
    private = os.urandom(96)
    unlock = crypto.session_lock(private, session_binding="user:1")
    assert crypto.session_unlock(unlock.cookie_key, unlock.session_ciphertext, session_binding="user:1") == private
    other = crypto.session_lock(private, session_binding="user:1")
    with pytest.raises(crypto.CryptoError):
        crypto.session_unlock(other.cookie_key, unlock.session_ciphertext, session_binding="user:1")
    with pytest.raises(crypto.CryptoError):
        crypto.session_unlock(unlock.cookie_key, unlock.session_ciphertext, session_binding="user:2")


def _encrypt_stream(key: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    crypto.encrypt_stream(key, [data[i : i + 10000] for i in range(0, len(data), 10000)] or [b""], out,
                          case_id="NI-1", attachment_id="a1")
    return out.getvalue()


def _decrypt_stream(key: bytes, blob: bytes, attachment_id: str = "a1") -> bytes:
    return b"".join(crypto.decrypt_stream(key, io.BytesIO(blob), case_id="NI-1", attachment_id=attachment_id))


@pytest.mark.parametrize("size", [0, 1, crypto.SEGMENT_BYTES - 1, crypto.SEGMENT_BYTES, crypto.SEGMENT_BYTES * 3 + 5])
def test_stream_round_trip(size: int) -> None:
    key = crypto.new_key()
    data = os.urandom(size)
    blob = _encrypt_stream(key, data)
    assert len(blob) == size + crypto.stream_overhead(size)
    assert _decrypt_stream(key, blob) == data


def test_stream_truncated_reordered_extended_or_moved_fails() -> None:
    key = crypto.new_key()
    data = os.urandom(crypto.SEGMENT_BYTES * 3 + 100)
    blob = _encrypt_stream(key, data)
    header = 4 + 16
    seg = crypto.SEGMENT_BYTES + 16
    segments = [blob[header + i * seg : header + (i + 1) * seg] for i in range(4)]
    truncated_at_boundary = blob[: header + 2 * seg]
    truncated_mid = blob[:-10]
    reordered = blob[:header] + segments[1] + segments[0] + segments[2] + segments[3]
    extended = blob + segments[1]
    last_dropped_and_flag_forged = blob[: header + 3 * seg]
    for broken in (truncated_at_boundary, truncated_mid, reordered, extended, last_dropped_and_flag_forged):
        with pytest.raises(crypto.CryptoError):
            _decrypt_stream(key, broken)
    with pytest.raises(crypto.CryptoError):
        _decrypt_stream(key, blob, attachment_id="a2")
    with pytest.raises(crypto.CryptoError):
        _decrypt_stream(crypto.new_key(), blob)


def test_fifty_megabytes_stream_in_bounded_memory(tmp_path: object) -> None:
    key = crypto.new_key()
    size = 50 * 1024 * 1024
    chunk = os.urandom(1024 * 1024)

    def source():  # type: ignore[no-untyped-def]
        for _ in range(size // len(chunk)):
            yield chunk

    path = tmp_path / "blob.bin"  # type: ignore[operator]
    tracemalloc.start()
    try:
        with open(path, "wb") as out:
            crypto.encrypt_stream(key, source(), out, case_id="NI-1", attachment_id="big")
        total = 0
        with open(path, "rb") as handle:
            for segment in crypto.decrypt_stream(key, handle, case_id="NI-1", attachment_id="big"):
                total += len(segment)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size
    assert peak < 8 * 1024 * 1024
