"""Helpers for the reporter-side HTTP tests: a valid form submission, tiny evidence files."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from reporting import abuse


def make_jpeg(*, gps: bool = False, size: tuple[int, int] = (32, 24)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x013B] = "MARKERARTIST"  # Artist
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (52.0, 22.0, 30.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (9.0, 44.0, 10.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def make_pdf(*, author: str = "") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if author:
        writer.add_metadata({"/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def form_data() -> Callable[..., dict[str, Any]]:
    """A complete, valid HTML form submission; keyword arguments override fields."""

    def build(**overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "form_ts": abuse.form_timestamp(time.time() - 60),
            "challenge": "",
            "nonce": "",
            "homepage": "",
            "incident_type": "offensive_behaviour",
            "description": "Someone shouted at us at the bus stop.",
            "date_known": "month",
            "occurred_month_month": "03",
            "occurred_month_year": "2025",
            "district": "03241",
            "area_of_life": "transport",
            "motives": ["racism", "xenophobia"],
            "role": "affected",
            "contact": "mailbox",
            "consent": "on",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build
