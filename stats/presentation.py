"""Turn published tables (``stats.tables.publish`` output) into what pages and downloads show:
translated labels, bar lengths, the map.  Reads only published values, never true counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dates import MONTHS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reporting.taxonomy import AntisemitismForm, AreaOfLife, Channel, IncidentType, Motive
from stats import selectors, svgmap, tables
from stats.models import Publication

TABLE_TITLES = {
    "incident_type": _("By type of incident"),
    "motive": _("By motive"),
    "antisemitism_form": _("Antisemitic incidents by form"),
    "area_of_life": _("By area of life"),
    "month": _("By month"),
    "district": _("By district"),
    "region": _("By statistical region"),
    "channel": _("By how the incident reached us"),
}
# Page order; "district" and "region" are alternatives (see stats.tables rule 5).
PAGE_ORDER = (
    "incident_type", "motive", "antisemitism_form", "area_of_life", "month", "district",
    "region", "channel",
)
BAR_AREA = 250  # SVG units of the longest bar


def label(table: str, key: str) -> str:
    choices: dict[str, Any] = {
        "incident_type": IncidentType,
        "motive": Motive,
        "antisemitism_form": AntisemitismForm,
        "area_of_life": AreaOfLife,
        "channel": Channel,
    }
    if table in choices:
        try:
            return str(choices[table](key).label)
        except ValueError:
            return key
    if table == "month":
        return str(MONTHS.get(int(key), key))
    if key == "online":
        return gettext("Online (no physical place)")
    if key == "unknown":
        return gettext("Place unknown")
    if table == "district":
        return tables.district_names().get(key, key)
    if table == "region":
        return tables.region_names().get(key, key)
    return key


@dataclass
class Row:
    key: str
    label: str
    value: int | None
    suppressed: bool
    bar: int = 0
    y: int = 0


@dataclass
class TableView:
    name: str
    title: str
    rows: list[Row]
    total: int | None
    total_suppressed: bool
    chart_height: int = 0
    map_svg: SafeString | None = None
    legend: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    """What a public page, download or API answer shows for one year."""

    year: int
    version: int | None  # None: provisional
    created_at: datetime | None
    note: str
    k: int
    tables: dict[str, Any]
    methodology: str
    contains_demo_data: bool

    @property
    def provisional(self) -> bool:
        return self.version is None


def from_publication(pub: Publication) -> Snapshot:
    return Snapshot(
        year=pub.year, version=pub.version, created_at=pub.created_at, note=pub.note, k=pub.k,
        tables=pub.tables, methodology=pub.methodology, contains_demo_data=pub.contains_demo_data,
    )


def public_snapshot(year: int, version: int | None = None) -> Snapshot | None:
    """A frozen version, the latest version, or the provisional current year; None if none."""
    from stats.methodology import methodology_text

    if version is not None:
        pub = selectors.publication_version(year, version)
        return from_publication(pub) if pub else None
    pub = selectors.latest_publication(year)
    if pub is not None:
        return from_publication(pub)
    if selectors.provisional_year() == year:
        k = selectors.min_cell()
        return Snapshot(
            year=year, version=None, created_at=None, note="", k=k,
            tables=selectors.live_public_tables(year), methodology=methodology_text(k=k),
            contains_demo_data=selectors.counted_records(year=year).filter(is_demo=True).exists(),
        )
    return None


def snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "year": snapshot.year,
        "version": snapshot.version,
        "provisional": snapshot.provisional,
        "published_at": snapshot.created_at.isoformat() if snapshot.created_at else None,
        "note": snapshot.note,
        "contains_demo_data": snapshot.contains_demo_data,
        "k": snapshot.k,
        "total": snapshot.tables["total"],
        "tables": snapshot.tables["tables"],
        "suppressed_cells": snapshot.tables.get("suppressed_cells", 0),
        "methodology": snapshot.methodology,
    }


def snapshot_json_text(snapshot: Snapshot) -> str:
    return json.dumps(snapshot_json(snapshot), ensure_ascii=False, indent=2)


def table_views(published: dict[str, Any], *, k: int | None, dom_prefix: str = "map") -> list[TableView]:
    """Table views in page order, with bar lengths and (for districts/regions) the map."""
    out = []
    suppressed_label = gettext("fewer than %(k)s") % {"k": k} if k else gettext("suppressed")
    for name in PAGE_ORDER:
        table = published["tables"].get(name)
        if table is None:
            continue
        if name == "region" and "district" in published["tables"]:
            continue  # the internal tables carry both; show districts (finer) only
        rows = [
            Row(c["key"], label(name, c["key"]), c["value"], c["suppressed"])
            for c in table["cells"]
        ]
        largest = max((r.value or 0 for r in rows), default=0)
        for i, row in enumerate(rows):
            row.bar = round(BAR_AREA * (row.value or 0) / largest) if largest else 0
            if row.value and not row.bar:
                row.bar = 1
            row.y = i * 32
        view = TableView(
            name=name,
            title=str(TABLE_TITLES[name]),
            rows=rows,
            total=table["total"]["value"],
            total_suppressed=table["total"]["suppressed"],
            chart_height=len(rows) * 32,
        )
        if name in ("district", "region"):
            values = {c["key"]: c["value"] for c in table["cells"]}
            title = gettext("Map of incidents by district in Lower Saxony")
            if name == "region":
                view.map_svg = mark_safe(  # noqa: S308 - svgmap escapes every text it writes
                    svgmap.district_map_svg(
                        {}, region_values=values, title=title, suppressed_label=suppressed_label,
                        dom_id="qs",
                    )
                )
            else:
                view.map_svg = mark_safe(  # noqa: S308 - svgmap escapes every text it writes
                    svgmap.district_map_svg(
                        values, title=title, suppressed_label=suppressed_label, dom_id="qs"
                    )
                )
            view.legend = svgmap.legend(
                values, zero_label="0", suppressed_label=suppressed_label
            )
        out.append(view)
    return out
