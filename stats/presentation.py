"""Turn published tables (``stats.tables.publish`` output) into what pages and downloads show:
translated labels, bar lengths, the map, the CSV.  Reads only frozen publications, never true
counts: there is no live view of a year (SPEC §6).

Every suppressed cell reads the same, whatever the reason it was hidden (a small figure, a
complementary cell, a blank table, a small year): "not published to protect individuals".
Tables and charts show the short mark ``SUPPRESSED_MARK`` with that text beside it for screen
readers and a legend on the page; CSV and JSON carry an empty value / ``null`` and
``suppressed: true``.  Never "fewer than k": a complementary cell may hold far more.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
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
CHART_WIDTH = 560  # the bar chart's view box (templates/stats/_table.html)
BAR_OFFSET = 250  # where the bars start, from the label's edge
# The short form of a suppressed cell in tables and charts; explained by a legend on the page
# and followed by suppressed_text() for screen readers.
SUPPRESSED_MARK = "•"
CSV_COLUMNS = (
    "year", "version", "published_on", "provisional", "demo", "table", "code", "label", "value",
    "suppressed",
)


def suppressed_text() -> str:
    """What every suppressed cell means, in the active language."""
    return gettext("not published to protect individuals")


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

    # Right to left (Arabic, Farsi) the chart is mirrored: labels at the right edge running
    # left, bars growing left from the middle, the value left of the bar; every label stays
    # inside the view box.
    @property
    def mirrored_bar_x(self) -> int:
        return CHART_WIDTH - BAR_OFFSET - self.bar

    @property
    def mirrored_value_x(self) -> int:
        return CHART_WIDTH - BAR_OFFSET - self.bar - 6


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

    @property
    def has_suppressed(self) -> bool:
        return self.total_suppressed or any(row.suppressed for row in self.rows)


@dataclass(frozen=True)
class Snapshot:
    """What a public page, download or API answer shows for one frozen release of a year."""

    year: int
    version: int
    created_at: datetime
    note: str
    k: int
    tables: dict[str, Any]
    methodology: str
    contains_demo_data: bool
    # A scheduled snapshot of a year still running, not the coordinator's annual release.
    provisional: bool = False
    geography: str = "district"  # "district" or "region", fixed by the year's first release
    audit_summary: dict[str, Any] | None = None

    @property
    def published_on(self) -> str:
        """The local date of the release, ISO 8601."""
        return timezone.localtime(self.created_at).date().isoformat()


def _geography(pub: Publication) -> str:
    declared = getattr(pub, "geography", "") or pub.tables.get("geography", "")
    if declared in ("district", "region"):
        return str(declared)
    return "region" if "region" in pub.tables.get("tables", {}) else "district"


def _audit_summary(pub: Publication) -> dict[str, Any] | None:
    audit = getattr(pub, "audit", None)
    summary = audit.get("summary") if isinstance(audit, dict) else None
    return summary if isinstance(summary, dict) else None


def from_publication(pub: Publication) -> Snapshot:
    # provisional, geography and audit are read defensively: older publications (and the
    # model before the release-aware fields) do not carry them.
    return Snapshot(
        year=pub.year, version=pub.version, created_at=pub.created_at, note=pub.note, k=pub.k,
        tables=pub.tables, methodology=pub.methodology, contains_demo_data=pub.contains_demo_data,
        provisional=bool(getattr(pub, "provisional", False)), geography=_geography(pub),
        audit_summary=_audit_summary(pub),
    )


def public_snapshot(year: int, version: int | None = None) -> Snapshot | None:
    """A frozen version, or the latest version of ``year``; None if nothing is published.

    Only publications: a classified incident reaches the public side with the next
    release (annual, correction or scheduled provisional snapshot), never before."""
    if version is not None:
        pub = selectors.publication_version(year, version)
    else:
        pub = selectors.latest_publication(year)
    return from_publication(pub) if pub is not None else None


def snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "year": snapshot.year,
        "version": snapshot.version,
        "provisional": snapshot.provisional,
        "published_at": snapshot.created_at.isoformat(),
        "published_on": snapshot.published_on,
        "note": snapshot.note,
        "contains_demo_data": snapshot.contains_demo_data,
        "k": snapshot.k,
        "geography": snapshot.geography,
        "total": snapshot.tables["total"],
        "tables": snapshot.tables["tables"],
        "suppressed_cells": snapshot.tables.get("suppressed_cells", 0),
        "audit": snapshot.audit_summary,
        "methodology": snapshot.methodology,
    }


def _csv(published: dict[str, Any], head: tuple[str, ...], release: tuple[Any, ...]) -> str:
    """One row per cell, the grand total first (table ``total``, code ``all``), with the code
    and its label in the active language; a suppressed value is empty.  ``release`` columns
    lead every row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow((*head, "table", "code", "label", "value", "suppressed"))

    def row(table: str, code: str, text: str, cell: dict[str, Any]) -> None:
        suppressed = bool(cell["suppressed"])
        value = "" if suppressed or cell["value"] is None else cell["value"]
        writer.writerow((*release, table, code, text, value, _csv_bool(suppressed)))

    row("total", "all", gettext("All incidents"), published["total"])
    for name, table in published["tables"].items():
        for cell in table["cells"]:
            row(name, cell["key"], label(name, cell["key"]), cell)
    return buf.getvalue()


def snapshot_csv(snapshot: Snapshot) -> str:
    """The public CSV of a release: release columns, then code, label, value, flag."""
    release = (
        snapshot.year, snapshot.version, snapshot.published_on,
        _csv_bool(snapshot.provisional), _csv_bool(snapshot.contains_demo_data),
    )
    return _csv(snapshot.tables, CSV_COLUMNS[:5], release)


def internal_csv(internal: dict[str, Any]) -> str:
    """The internal dashboard's export (unsuppressed): year, then code, label and value."""
    return _csv(internal, ("year",), (internal["year"],))


def _csv_bool(value: bool) -> str:
    return "true" if value else "false"


def snapshot_json_text(snapshot: Snapshot) -> str:
    return json.dumps(snapshot_json(snapshot), ensure_ascii=False, indent=2)


def table_views(
    published: dict[str, Any], *, k: int | None = None, dom_prefix: str = "map"
) -> list[TableView]:
    """Table views in page order, with bar lengths and (for districts/regions) the map.

    ``k`` is not used (every suppressed cell gets the same neutral label); it stays for the
    callers that still pass it."""
    out = []
    suppressed_label = suppressed_text()
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
            if name == "region":
                title = gettext("Map of incidents by statistical region in Lower Saxony")
                view.map_svg = mark_safe(  # noqa: S308 - svgmap escapes every text it writes
                    svgmap.district_map_svg(
                        {}, region_values=values, title=title, suppressed_label=suppressed_label,
                        dom_id="qs",
                    )
                )
            else:
                title = gettext("Map of incidents by district in Lower Saxony")
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
