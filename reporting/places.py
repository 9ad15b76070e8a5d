"""Where an incident happened (SPEC §2): one of Lower Saxony's 45 districts, "online" or
"unknown".

The districts come from one source, `reporting/data/districts.csv` (the official AGS keys, with
the NUTS-2 statistical regions), read here and nowhere else: the report form, the API, the staff
pages, routing coverage and the statistics tables all ask this module. Pure Python, no Django
settings needed (stats.tables runs without them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reporting.taxonomy import PLACE_ONLINE, PLACE_UNKNOWN

DISTRICTS_CSV = Path(__file__).resolve().parent / "data" / "districts.csv"


@dataclass(frozen=True)
class District:
    ags: str  # 5-digit official key
    name: str
    kind: str  # Landkreis, Kreisfreie Stadt, ...
    nuts2: str  # statistical region, DE91..DE94
    statistical_region: str  # its name


@lru_cache(maxsize=1)
def districts() -> tuple[District, ...]:
    """Every district, in AGS order."""
    with DISTRICTS_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(
            District(row["ags"], row["name"], row["kind"], row["nuts2"], row["statistical_region"])
            for row in csv.DictReader(handle)
        )


def district_keys() -> tuple[str, ...]:
    """The AGS keys, in AGS order."""
    return tuple(district.ags for district in districts())


def district_names() -> dict[str, str]:
    """AGS key -> name."""
    return {district.ags: district.name for district in districts()}


def districts_by_name() -> list[tuple[str, str]]:
    """(AGS key, name) sorted by name, as lists for people show them."""
    return sorted(((district.ags, district.name) for district in districts()), key=lambda pair: pair[1])


def place_keys() -> tuple[str, ...]:
    """Every valid place code: the districts, then online and unknown."""
    return (*district_keys(), PLACE_ONLINE, PLACE_UNKNOWN)


def place_choices(*, unknown: Any, online: Any) -> list[tuple[str, Any]]:
    """Choices for a place field: "unknown" and "online" (with the caller's labels) first, then
    the districts by name."""
    return [(PLACE_UNKNOWN, unknown), (PLACE_ONLINE, online), *districts_by_name()]
