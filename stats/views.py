"""Public statistics pages (no login). The internal dashboard lives with the staff pages
(counselling.statistics_views)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from stats import presentation, selectors, tables

STAFF = {"show_leave_button": False}


def index(request: HttpRequest) -> HttpResponse:
    latest = selectors.latest_publications()
    comparison = selectors.comparison()
    return render(
        request,
        "stats/index.html",
        {
            "latest": latest,
            "provisional_year": selectors.provisional_year(),
            "comparison": comparison,
            "motive_labels": [presentation.label("motive", m) for m in tables.MOTIVES],
            "k": selectors.min_cell(),
            "history": selectors.publication_history(),
        },
    )


def methodology(request: HttpRequest) -> HttpResponse:
    return render(request, "stats/methodology.html", {"k": selectors.min_cell()})


def _snapshot_or_404(year: int, version: int | None) -> presentation.Snapshot:
    snapshot = presentation.public_snapshot(year, version)
    if snapshot is None:
        raise Http404
    return snapshot


def year_detail(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    snapshot = _snapshot_or_404(year, version)
    latest = selectors.latest_publication(year)
    return render(
        request,
        "stats/year.html",
        {
            "snapshot": snapshot,
            "total": snapshot.tables["total"],
            "views": presentation.table_views(snapshot.tables, k=snapshot.k),
            "history": selectors.publication_history(year),
            "is_latest": version is None or (latest is not None and latest.version == version),
            "version_arg": version,
        },
    )


def _filename(snapshot: presentation.Snapshot, ext: str) -> str:
    suffix = "provisional" if snapshot.provisional else f"v{snapshot.version}"
    return f"statistics-{snapshot.year}-{suffix}.{ext}"


def data_csv(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    snapshot = _snapshot_or_404(year, version)
    response = HttpResponse(tables.to_csv(snapshot.tables), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(snapshot, "csv")}"'
    return response


def data_json(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    snapshot = _snapshot_or_404(year, version)
    response = HttpResponse(
        presentation.snapshot_json_text(snapshot), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{_filename(snapshot, "json")}"'
    return response
