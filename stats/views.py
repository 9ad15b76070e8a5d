"""Public statistics pages (no login). The internal dashboard lives with the staff pages
(counselling.views.statistics).

Only frozen publications are shown: a year appears with its first release (a scheduled
provisional snapshot or the annual release), never as live figures.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stats import methodology, presentation, selectors, tables

STAFF = {"show_leave_button": False}


def index(request: HttpRequest) -> HttpResponse:
    comparison = selectors.comparison()
    return render(
        request,
        "stats/index.html",
        {
            # Newest published year first; a year without a release is not listed.
            "latest": selectors.latest_publications(),
            "comparison": comparison,
            "comparison_has_suppressed": any(row.has_suppressed for row in comparison),
            "motive_labels": [presentation.label("motive", m) for m in tables.MOTIVES],
            "history": selectors.publication_history(),
            **methodology.methodology_facts(),
        },
    )


def methodology_page(request: HttpRequest) -> HttpResponse:
    return render(request, "stats/methodology.html", methodology.methodology_facts())


def _snapshot_or_404(year: int, version: int | None) -> presentation.Snapshot:
    snapshot = presentation.public_snapshot(year, version)
    if snapshot is None:
        raise Http404
    return snapshot


def year_detail(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    snapshot = _snapshot_or_404(year, version)
    latest = selectors.latest_publication(year)
    today = timezone.localdate()
    # A later provisional snapshot of this year only comes while the year runs.
    next_release = selectors.next_provisional_release(today) if year == today.year else None
    return render(
        request,
        "stats/year.html",
        {
            "snapshot": snapshot,
            "total": snapshot.tables["total"],
            "views": presentation.table_views(snapshot.tables),
            "history": selectors.publication_history(year),
            "is_latest": version is None or (latest is not None and latest.version == version),
            "version_arg": version,
            "next_provisional_release": next_release,
            **methodology.methodology_facts(k=snapshot.k),
        },
    )


def _filename(snapshot: presentation.Snapshot, ext: str) -> str:
    suffix = f"v{snapshot.version}" + ("-provisional" if snapshot.provisional else "")
    return f"statistics-{snapshot.year}-{suffix}.{ext}"


def data_csv(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    snapshot = _snapshot_or_404(year, version)
    response = HttpResponse(
        presentation.snapshot_csv(snapshot), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(snapshot, "csv")}"'
    return response


def data_json(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    snapshot = _snapshot_or_404(year, version)
    response = HttpResponse(
        presentation.snapshot_json_text(snapshot), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{_filename(snapshot, "json")}"'
    return response
