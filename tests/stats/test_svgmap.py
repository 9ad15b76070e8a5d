"""Tests for stats.svgmap, the server-side district map.  Pure Python, no Django."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses only our own output

import pytest

from stats.svgmap import _districts, district_map_svg, legend
from stats.tables import district_keys, district_regions

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted XML


def paths(root: ET.Element) -> dict[str, ET.Element]:
    return {p.get("data-ags"): p for p in root.iter(f"{SVG}path") if p.get("data-ags")}


def classes(path: ET.Element) -> set[str]:
    return set((path.get("class") or "").split())


def title_of(path: ET.Element) -> str:
    title = path.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


VALUES: dict[str, int | None] = {ags: 3 + i for i, ags in enumerate(district_keys())}


def test_one_path_per_district_with_title_and_evenodd() -> None:
    root = parse(district_map_svg(VALUES, title="Incidents 2025", suppressed_label="fewer than 3"))
    drawn = paths(root)
    assert len(drawn) == 45
    assert set(drawn) == set(district_keys())
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Incidents 2025"
    assert root.get("aria-labelledby") == title.get("id")
    for ags, path in drawn.items():
        assert path.get("fill-rule") == "evenodd"
        d = path.get("d") or ""
        assert d.startswith("M") and d.endswith("Z")
        assert d.count("M") == d.count("Z")  # every ring closed
        # coordinates rounded to one decimal
        assert all(len(n.split(".")[1]) == 1 for n in re.findall(r"\d+\.\d+", d))
        assert title_of(path).endswith(f": {VALUES[ags]}")
    assert title_of(drawn["03241"]).startswith("Region Hannover")


def test_suppressed_districts_get_class_qs_and_the_label() -> None:
    values = dict(VALUES, **{"03101": None, "03402": None, "03103": 0})
    root = parse(district_map_svg(values, title="t", suppressed_label="fewer than 3"))
    drawn = paths(root)
    for ags in ("03101", "03402"):
        assert "qs" in classes(drawn[ags])
        assert title_of(drawn[ags]) == f"{dict(_names())[ags]}: fewer than 3"
    assert "q0" in classes(drawn["03103"])
    assert title_of(drawn["03103"]).endswith(": 0")
    assert not any("qs" in classes(p) for a, p in drawn.items() if a not in ("03101", "03402"))


def _names() -> list[tuple[str, str]]:
    return [(ags, name) for ags, name, _ in _districts()]


def test_quantile_classes_and_legend_agree() -> None:
    svg = district_map_svg(VALUES, title="t", suppressed_label="x", classes=5)
    drawn = paths(parse(svg))
    used = {next(c for c in classes(p) if re.fullmatch(r"q\d", c)) for p in drawn.values()}
    assert used == {"q1", "q2", "q3", "q4", "q5"}
    smallest = min(VALUES, key=lambda a: VALUES[a] or 0)
    largest = max(VALUES, key=lambda a: VALUES[a] or 0)
    assert "q1" in classes(drawn[smallest])
    assert "q5" in classes(drawn[largest])
    entries = legend(VALUES, 5)
    assert [css for css, _ in entries] == ["q0", "q1", "q2", "q3", "q4", "q5"]
    assert entries[1][1].startswith("3–") and entries[-1][1].endswith("–47")
    # every value falls in the legend range of its own class
    ranges = {}
    for css, label in entries[1:]:
        low, _, high = label.partition("–")
        ranges[css] = (int(low), int(high or low))
    for ags, path in drawn.items():
        css = next(c for c in classes(path) if re.fullmatch(r"q\d", c))
        low, high = ranges[css]
        assert low <= (VALUES[ags] or 0) <= high


def test_legend_with_few_values_and_suppression() -> None:
    values: dict[str, int | None] = {"03101": 4, "03102": 4, "03103": None, "online": 999}
    entries = legend(values, 5, suppressed_label="fewer than 3")
    # one distinct value: a single class, drawn in the darkest colour; online is not
    # on the map and must not stretch the scale
    assert entries == [("q0", "0"), ("q5", "4"), ("qs", "fewer than 3")]
    drawn = paths(parse(district_map_svg(values, title="t", suppressed_label="<3")))
    assert "q5" in classes(drawn["03101"])
    assert "q0" in classes(drawn["03151"])  # no data
    assert legend({}, 5) == [("q0", "0")]
    with pytest.raises(ValueError):
        legend(values, 0)


def test_output_is_escaped_xml() -> None:
    svg = district_map_svg(
        {"03101": None, "03102": 5},
        title='Vorfälle <2025> & "mehr"',
        suppressed_label="< 3 & mehr",
    )
    root = parse(svg)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == 'Vorfälle <2025> & "mehr"'
    assert title_of(paths(root)["03101"]) == "Braunschweig: < 3 & mehr"
    assert "<2025>" not in svg


def test_no_inline_styles() -> None:
    svg = district_map_svg(VALUES, title="t", suppressed_label="x")
    assert "style=" not in svg
    assert "<style" not in svg
    root = parse(svg)
    assert all("style" not in el.attrib for el in root.iter())


@pytest.mark.parametrize("width", [300, 600, 1000])
def test_view_box_is_wider_than_tall(width: int) -> None:
    root = parse(district_map_svg(VALUES, title="t", suppressed_label="x", width=width))
    x, y, w, h = (float(v) for v in (root.get("viewBox") or "").split())
    assert (x, y, w) == (0, 0, width)
    assert 1.05 < w / h < 1.4  # Lower Saxony: about 330 km by 290 km
    numbers = [
        float(n) for p in paths(root).values() for n in re.findall(r"[\d.]+", p.get("d") or "")
    ]
    assert min(numbers) >= 0 and max(numbers) <= w


def test_north_is_up() -> None:
    # the y-flip: the North Sea islands (Aurich, Wittmund) lie above Göttingen
    drawn = paths(parse(district_map_svg(VALUES, title="t", suppressed_label="x")))

    def min_y(ags: str) -> float:
        nums = [float(n) for n in re.findall(r"[\d.]+", drawn[ags].get("d") or "")]
        return min(nums[1::2])

    assert min_y("03452") < min_y("03159")


def test_region_mode_colours_districts_by_region() -> None:
    region_values: dict[str, int | None] = {
        "DE91": 5,
        "DE92": 40,
        "DE93": None,
        "DE94": 12,
        "online": 300,
    }
    root = parse(
        district_map_svg(
            {}, title="t", suppressed_label="fewer than 3", region_values=region_values
        )
    )
    drawn = paths(root)
    regions = district_regions()
    by_region: dict[str, set[str]] = {}
    for ags, path in drawn.items():
        by_region.setdefault(regions[ags], set()).add(" ".join(sorted(classes(path))))
        assert path.get("data-region") == regions[ags]
    assert all(len(css) == 1 for css in by_region.values())
    braunschweig = [p for a, p in drawn.items() if a.startswith("031")]
    assert len(braunschweig) == 10
    assert {" ".join(sorted(classes(p))) for p in braunschweig} == {"district q1"}
    assert by_region["DE92"] == {"district q5"}
    assert by_region["DE93"] == {"district qs"}
    assert title_of(drawn["03101"]) == "Braunschweig (Braunschweig): 5"
    assert title_of(drawn["03351"]).endswith("(Lüneburg): fewer than 3")


def test_geometry_is_parsed_once() -> None:
    assert _districts() is _districts()
    assert len(_districts()) == 45
