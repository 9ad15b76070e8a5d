"""Server-side SVG choropleth of Lower Saxony's 45 districts.

The public statistics pages must work without JavaScript and under a strict Content
Security Policy, so the map is rendered here as a plain SVG string: no inline
``style`` attributes and no ``<style>`` element - every colour comes from the site CSS
via the classes

* ``q0`` - zero (or no data),
* ``q1`` .. ``q{classes}`` - quantile classes of the published positive values,
* ``qs`` - suppressed (value ``None``); the SVG carries a ``<pattern>`` with the id
  ``{dom_id}-hatch`` that the CSS may use, e.g. ``.qs { fill: url(#district-map-hatch) }``.

The geometry (``data/districts.geojson``, EPSG:31467, metres) is mapped to SVG units by
a plain scale and a y-flip; a Gauss-Krüger projection is already conformal enough for
one federal state, so no reprojection is needed.  Only *published* values reach this
module: it is given ``None`` for suppressed cells and never sees a true small count.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from stats.tables import district_keys, district_regions, region_keys, region_names

_GEOJSON = Path(__file__).resolve().parent / "data" / "districts.geojson"
# Keeps the outline strokes at the edge of the state inside the viewBox.
_PAD = 2.0

Ring = tuple[tuple[float, float], ...]


@lru_cache(maxsize=1)
def _districts() -> tuple[tuple[str, str, tuple[Ring, ...]], ...]:
    """(ags, name, rings) per district, parsed once per process."""
    data = json.loads(_GEOJSON.read_text(encoding="utf-8"))
    out = []
    for feature in data["features"]:
        props = feature["properties"]
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings = tuple(
            tuple((float(x), float(y)) for x, y, *_ in ring)
            for polygon in polygons
            for ring in polygon
        )
        out.append((str(props["ags"]), str(props["name"]), rings))
    return tuple(sorted(out))


@lru_cache(maxsize=1)
def _bounds() -> tuple[float, float, float, float]:
    xs = [x for _, _, rings in _districts() for ring in rings for x, _ in ring]
    ys = [y for _, _, rings in _districts() for ring in rings for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _num(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


@lru_cache(maxsize=16)
def _projected(width: int) -> tuple[float, tuple[tuple[str, str, str], ...]]:
    """SVG height and (ags, name, path data) for a map ``width`` units wide."""
    min_x, min_y, max_x, max_y = _bounds()
    scale = (width - 2 * _PAD) / (max_x - min_x)
    height = (max_y - min_y) * scale + 2 * _PAD
    paths = []
    for ags, name, rings in _districts():
        parts = []
        for ring in rings:
            points: list[tuple[str, str]] = []
            for x, y in ring:
                point = (_num(_PAD + (x - min_x) * scale), _num(_PAD + (max_y - y) * scale))
                if not points or points[-1] != point:  # rounding merges close vertices
                    points.append(point)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()  # "Z" closes the ring
            if len(points) < 3:
                continue
            head, *tail = points
            parts.append(f"M{head[0]} {head[1]}L" + " ".join(f"{x} {y}" for x, y in tail) + "Z")
        paths.append((ags, name, "".join(parts)))
    return height, tuple(paths)


def _drawn(values: Mapping[str, int | None]) -> dict[str, int | None]:
    """The values that appear on the map: districts or regions, not online/unknown."""
    keys = set(district_keys()) | set(region_keys())
    return {key: v for key, v in values.items() if key in keys}


def _breaks(values: Mapping[str, int | None], classes: int) -> list[int]:
    """Ascending upper bounds of the quantile classes of the positive values."""
    if classes < 1:
        raise ValueError("classes must be at least 1")
    positive = sorted(v for v in _drawn(values).values() if v is not None and v > 0)
    if not positive:
        return []
    uppers: list[int] = []
    for i in range(1, classes + 1):
        upper = positive[math.ceil(i * len(positive) / classes) - 1]
        if not uppers or upper > uppers[-1]:
            uppers.append(upper)
    return uppers


def _css_index(j: int, used: int, classes: int) -> int:
    # Spread the classes that are actually used over q1..q{classes}, so the largest
    # values always get the darkest colour even when there are few distinct values.
    if used == 1:
        return classes
    return 1 + int(j * (classes - 1) / (used - 1) + 0.5)


def _css_class(value: int | None, breaks: list[int], classes: int) -> str:
    if value is None:
        return "qs"
    if value <= 0 or not breaks:
        return "q0"
    for j, upper in enumerate(breaks):
        if value <= upper:
            return f"q{_css_index(j, len(breaks), classes)}"
    return f"q{classes}"  # unreachable: the last break is the maximum


def legend(
    values: Mapping[str, int | None],
    classes: int = 5,
    *,
    zero_label: str = "0",
    suppressed_label: str | None = None,
) -> list[tuple[str, str]]:
    """(css class, label) pairs for an HTML legend beside the map.

    Pass the same mapping that coloured the map (``region_values`` in roll-up mode).
    Labels are value ranges such as ``"3–7"``; the ``qs`` entry is added when a value is
    suppressed and ``suppressed_label`` is given.  Labels are plain text: escape them
    when rendering (Django templates do).
    """
    breaks = _breaks(values, classes)
    drawn = _drawn(values)
    positive_min = min((v for v in drawn.values() if v is not None and v > 0), default=0)
    out = [("q0", zero_label)]
    lower = positive_min
    for j, upper in enumerate(breaks):
        label = str(upper) if lower == upper else f"{lower}–{upper}"
        out.append((f"q{_css_index(j, len(breaks), classes)}", label))
        lower = upper + 1
    if suppressed_label is not None and any(v is None for v in drawn.values()):
        out.append(("qs", suppressed_label))
    return out


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def district_map_svg(
    values: Mapping[str, int | None],
    *,
    title: str,
    suppressed_label: str,
    width: int = 600,
    classes: int = 5,
    region_values: Mapping[str, int | None] | None = None,
    dom_id: str = "district-map",
) -> str:
    """The SVG map as a string, safe to mark as safe HTML.

    ``values`` maps AGS keys to published counts (``None``: suppressed; missing: no
    data).  With ``region_values`` (keys ``DE91``..``DE94``, the rolled-up table) each
    district is coloured by its statistical region's value and ``values`` is ignored.
    ``dom_id`` prefixes the ids in the SVG; give each map on a page its own.
    """
    if width <= 2 * _PAD:
        raise ValueError("width too small")
    height, paths = _projected(width)
    regions = district_regions()
    names = region_names()
    shown = region_values if region_values is not None else values
    breaks = _breaks(shown, classes)
    height_text = _num(height)
    title_id = f"{dom_id}-title"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="district-map" id="{_attr(dom_id)}" '
        f'viewBox="0 0 {width} {height_text}" width="{width}" height="{height_text}" '
        f'role="img" aria-labelledby="{_attr(title_id)}">',
        f'<title id="{_attr(title_id)}">{html.escape(title)}</title>',
        # Hatching for suppressed districts, for the site CSS to use (fill: url(#...)).
        f'<defs><pattern id="{_attr(dom_id)}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<path class="hatch" d="M0 0V6"/></pattern></defs>',
        '<g class="districts">',
    ]
    for ags, name, d in paths:
        region = regions.get(ags, "")
        if region_values is not None:
            key, label = region, f"{name} ({names.get(region, region)})"
        else:
            key, label = ags, name
        present = key in shown
        value = shown.get(key)
        css = _css_class(value, breaks, classes) if present else "q0"
        if not present:
            text = f"{label}: –"
        elif value is None:
            text = f"{label}: {suppressed_label}"
        else:
            text = f"{label}: {value}"
        out.append(
            f'<path class="district {css}" data-ags="{_attr(ags)}" '
            f'data-region="{_attr(region)}" fill-rule="evenodd" d="{d}">'
            f"<title>{html.escape(text)}</title></path>"
        )
    out.append("</g></svg>")
    return "\n".join(out)
