"""The browser's crypto (static_src/formats.js) and the server's (reporting/crypto.py) read each
other (SPEC §3.10, issue 17), both ways, live under Node and on the fixed vectors of
tests/interop/vectors.json (made by tests/interop/make_vectors.py), so that a change on either
side fails here even where randomness would hide it.

The Node tests skip without Node, saying why; under `.ci/run` (MELDESTELLE_REQUIRE_NODE=1) they
fail. The Python side of the fixed JavaScript vector needs no Node and always runs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from reporting import crypto
from reporting.traces import unpad
from tests.helpers import INTEROP_VECTORS, interop_seal, node_run, xwing_private_key


@pytest.fixture
def vector() -> dict[str, Any]:
    return json.loads(INTEROP_VECTORS.read_text(encoding="utf-8"))


def _open_in_python(vector: dict[str, Any], sealed: dict[str, Any]) -> bytes:
    """Open everything `sealed` holds with reporting.crypto, as a counsellor's unlock and the
    reporter's follow-up do; asserts each part and returns the case key."""
    private_key = bytes.fromhex(vector["key"]["private_key"])
    binding = vector["binding"]
    case_key = crypto.unseal(private_key, base64.b64decode(sealed["sealed_case_key"]), case_id=binding,
                             purpose="case-key")
    internal_key = crypto.unseal(private_key, base64.b64decode(sealed["sealed_internal_key"]), case_id=binding,
                                 purpose="internal-key")
    assert len(case_key) == len(internal_key) == crypto.KEY_BYTES and case_key != internal_key
    ciphertext = base64.b64decode(sealed["report"])
    assert crypto.padded_ciphertext_ok(ciphertext, min_bucket=1024, max_bucket=128 * 1024)
    report = json.loads(unpad(crypto.decrypt(case_key, ciphertext, case_id=binding, purpose="report")))
    assert report == vector["report"]

    code = crypto.normalise_receipt(sealed["code"])
    assert code == sealed["code"]  # the browser shows the code in its normal form
    wrap = base64.b64decode(sealed["reporter_wrap"])
    assert len(wrap) == crypto.WRAPPED_KEY_BYTES
    assert crypto.unwrap_key(crypto.receipt_kek(code, case_id=binding), wrap, owner=binding,
                             purpose="reporter-wrap") == case_key
    assert base64.b64decode(sealed["lookup_token"]) == crypto.receipt_lookup_token(code)
    for field in ("sealed_case_key", "sealed_internal_key"):
        assert len(base64.b64decode(sealed[field])) == crypto.SEALED_KEY_BYTES
    # bound to its case and purpose: moved elsewhere, it does not open
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(case_key, ciphertext, case_id=binding + "x", purpose="report")
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(private_key, base64.b64decode(sealed["sealed_case_key"]), case_id=binding,
                      purpose="internal-key")
    return case_key


def _assert_opened_in_javascript(opened: dict[str, Any], vector: dict[str, Any], *, case_key: bytes,
                                 internal_key: bytes, code: str) -> None:
    assert opened["public_key"] == vector["key"]["public_key"]  # the same key from the same seed
    assert opened["case_key"] == case_key.hex()
    assert opened["internal_key"] == internal_key.hex()
    assert opened["report"] == vector["report"]
    assert opened["padded_length"] >= 1024 and opened["padded_length"] & (opened["padded_length"] - 1) == 0
    assert opened["reporter_wrap_case_key"] == case_key.hex()
    assert opened["lookup_token"] == crypto.receipt_lookup_token(code).hex()
    assert opened["refused"] == {"report_as_other_purpose": True, "report_in_other_case": True,
                                 "case_key_as_internal_key": True}


def test_the_fixed_key_is_one_xwing_key_on_both_sides(vector: dict[str, Any]) -> None:
    """The browser library keeps a 32-byte X-Wing seed, the server its expanded 96 bytes."""
    seed = bytes.fromhex(vector["key"]["seed"])
    private_key = xwing_private_key(seed)
    assert private_key.hex() == vector["key"]["private_key"]
    assert base64.b64encode(crypto.public_key_of(private_key)).decode() == vector["key"]["public_key"]
    assert len(crypto.public_key_of(private_key)) == crypto.ORG_PUBLIC_KEY_BYTES


def test_the_committed_javascript_vector_opens_with_the_server_crypto(vector: dict[str, Any]) -> None:
    _open_in_python(vector, vector["javascript_sealed"])


def test_the_committed_python_vector_still_opens_with_the_server_crypto(vector: dict[str, Any]) -> None:
    sealed = vector["python_sealed"]
    assert _open_in_python(vector, sealed) == bytes.fromhex(sealed["case_key"])


def test_a_report_sealed_by_the_browser_code_under_node_opens_with_the_server_crypto(
    vector: dict[str, Any],
) -> None:
    produced = node_run("seal.mjs", str(INTEROP_VECTORS))
    sealed = {**produced["sealed"], "code": produced["code"]}
    assert sealed["token"] == "interop-token" and sealed["consent"] is True
    assert sealed["report"] != vector["javascript_sealed"]["report"]  # fresh keys and nonces each time
    _open_in_python(vector, sealed)


def test_the_committed_python_vector_opens_with_the_browser_code(vector: dict[str, Any], tmp_path: Path) -> None:
    sealed = vector["python_sealed"]
    path = tmp_path / "sealed.json"
    path.write_text(json.dumps(sealed))
    _assert_opened_in_javascript(
        node_run("open.mjs", str(INTEROP_VECTORS), str(path)), vector,
        case_key=bytes.fromhex(sealed["case_key"]), internal_key=bytes.fromhex(sealed["internal_key"]),
        code=sealed["code"],
    )


def test_a_report_sealed_by_the_server_crypto_now_opens_with_the_browser_code(
    vector: dict[str, Any], tmp_path: Path,
) -> None:
    case_key, internal_key, code = crypto.new_key(), crypto.new_key(), crypto.new_receipt_code()
    sealed = interop_seal(
        public_key=base64.b64decode(vector["key"]["public_key"]), binding=vector["binding"],
        content=vector["report"], case_key=case_key, internal_key=internal_key, code=code,
    )
    path = tmp_path / "sealed.json"
    path.write_text(json.dumps(sealed))
    _assert_opened_in_javascript(node_run("open.mjs", str(INTEROP_VECTORS), str(path)), vector,
                                 case_key=case_key, internal_key=internal_key, code=sealed["code"])
