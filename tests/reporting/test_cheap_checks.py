"""Cheap checks first (SPEC §4.4, issue 13, review F-05).

The review's attack: five PNGs of 7000×7000 pixels (a few hundred KiB together) cost the server
about 11 s and 490 MiB, and only then was the request refused for its missing proof of work.
Here the cost of a refused request is measured by the work done, not by the clock: every way
into Pillow's decoders (opening a file, loading pixels, creating a decoder) and into pypdf is
counted, and a request refused by the honeypot, the form age, the proof of work or a rate
limit must not have reached any of them. A request that passes those checks still has its
bomb refused from the image header, before one pixel is decoded.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile
from pypdf import PdfReader

from reporting import abuse
from tests.helpers import REPORT_FORM_URL as URL
from tests.helpers import REPORTS, assert_error, make_jpeg, nothing_stored, post_json, report, solve

pytestmark = pytest.mark.django_db

BOMB_SIDE = 7000
DIFFICULTY = 8


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A valid 7000×7000 RGB PNG of one colour, as in the review (about 143 KiB)."""
    row = b"\x00" + b"\x00" * (BOMB_SIDE * 3)  # filter byte "none", then black pixels
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(BOMB_SIDE)) + packer.flush()
    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", compressed) + _chunk(b"IEND", b"")
    assert len(data) < 200 * 1024
    with Image.open(io.BytesIO(data)) as probe:  # the header is what the server sees
        assert probe.size == (BOMB_SIDE, BOMB_SIDE)
    return data


def bombs(data: bytes, count: int = 5) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"bomb{i}.png", data, "image/png") for i in range(count)]


@pytest.fixture
def decoding(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts every way into a decoder: opening an image, loading pixels, making a decoder,
    parsing a PDF."""
    calls: Counter[str] = Counter()

    def counting(name: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(Image, "open", counting("open", Image.open))
    monkeypatch.setattr(Image.Image, "load", counting("load", Image.Image.load))
    monkeypatch.setattr(ImageFile.ImageFile, "load", counting("load", ImageFile.ImageFile.load))
    monkeypatch.setattr(Image, "_getdecoder", counting("decoder", Image._getdecoder))
    monkeypatch.setattr(PdfReader, "__init__", counting("pdf", PdfReader.__init__))
    yield calls


@pytest.fixture
def pow_on(settings: Any) -> None:
    settings.REPORT_POW_DIFFICULTY = DIFFICULTY


def _multipart(**extra: Any) -> dict[str, Any]:
    return {**report(), "consent": "true", **extra}


def test_api_bombs_without_proof_of_work_are_refused_before_any_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], pow_on: None
) -> None:
    response = client.post(REPORTS, _multipart(files=bombs(bomb)))

    assert_error(response, 400, "pow_required")
    assert decoding == Counter(), decoding
    assert nothing_stored()


def test_api_bombs_with_a_wrong_or_reused_proof_are_refused_before_any_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], pow_on: None
) -> None:
    challenge = client.get("/api/v1/reports/challenge/").json()["challenge"]
    assert_error(client.post(REPORTS, _multipart(files=bombs(bomb), challenge=challenge, nonce="x")), 400, "pow_invalid")
    assert_error(client.post(REPORTS, _multipart(files=bombs(bomb), challenge="forged", nonce="1")), 400, "pow_invalid")
    assert decoding == Counter(), decoding
    assert nothing_stored()


def test_api_bombs_over_the_rate_limit_are_refused_before_any_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], pow_on: None, settings: Any
) -> None:
    settings.REPORT_RATE_PER_HOUR = 1
    first = client.get("/api/v1/reports/challenge/").json()["challenge"]
    assert post_json(client, REPORTS, report(challenge=first, nonce=solve(first, DIFFICULTY))).status_code == 201
    decoding.clear()
    challenge = client.get("/api/v1/reports/challenge/").json()["challenge"]
    response = client.post(REPORTS, _multipart(files=bombs(bomb), challenge=challenge, nonce=solve(challenge, DIFFICULTY)))

    assert_error(response, 429, "throttled")
    assert decoding == Counter(), decoding


def test_api_bomb_with_proof_of_work_is_refused_from_its_header(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], pow_on: None
) -> None:
    challenge = client.get("/api/v1/reports/challenge/").json()["challenge"]
    started = time.process_time()
    response = client.post(REPORTS, _multipart(files=bombs(bomb, 1), challenge=challenge,
                                               nonce=solve(challenge, DIFFICULTY)))

    error = assert_error(response, 415, "unsupported_media_type")
    assert "far more memory to open than its file size suggests" in error["fields"]["files"][0]
    # The header was read (that is how the bomb was recognised); not one pixel was decoded.
    assert decoding["open"] == 1 and decoding["load"] == 0 and decoding["decoder"] == 0, decoding
    assert nothing_stored()
    # Work, not wall time: the refusal cost the test process far less than decoding would
    # (about a second of CPU for this one picture).
    assert time.process_time() - started < 0.5


def test_form_bombs_caught_by_the_honeypot_or_form_age_reach_no_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], form_data: Any, settings: Any
) -> None:
    assert client.post(URL, form_data(homepage="http://spam.example", files=bombs(bomb))).status_code == 400
    assert client.post(URL, form_data(form_ts="forged", files=bombs(bomb))).status_code == 400
    settings.REPORT_MIN_FORM_SECONDS = 30
    assert client.post(URL, form_data(form_ts=abuse.form_timestamp(time.time()), files=bombs(bomb))).status_code == 400
    assert decoding == Counter(), decoding
    assert nothing_stored()


def test_form_bombs_without_proof_of_work_over_the_stricter_limit_reach_no_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], form_data: Any, pow_on: None,
    settings: Any,
) -> None:
    settings.REPORT_RATE_PER_HOUR_NO_POW = 1
    assert client.post(URL, form_data()).status_code == 200  # without JavaScript: accepted once
    decoding.clear()

    response = client.post(URL, form_data(description="kept 4711", files=bombs(bomb)))

    assert response.status_code == 429 and "kept 4711" in response.content.decode()
    assert decoding == Counter(), decoding


def test_form_answers_to_correct_are_shown_before_any_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str], form_data: Any
) -> None:
    response = client.post(URL, form_data(description="", files=bombs(bomb)))

    assert response.status_code == 400
    assert decoding == Counter(), decoding
    assert nothing_stored()


def test_followup_files_with_a_wrong_code_reach_no_decoder(
    client: Any, fallback_org: Any, bomb: bytes, decoding: Counter[str]
) -> None:
    response = client.post("/en/followup/files/", {"receipt": "AAAA-BBBB-CCCC-DDDD", "files": bombs(bomb)})

    assert response.status_code == 400
    assert decoding == Counter(), decoding


def test_good_files_are_still_decoded_and_cleaned(client: Any, fallback_org: Any, decoding: Counter[str]) -> None:
    response = client.post(REPORTS, _multipart(files=[SimpleUploadedFile("a.jpg", make_jpeg(gps=True), "image/jpeg")]))

    assert response.status_code == 201, response.content
    assert decoding["load"] >= 1
