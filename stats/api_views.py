"""Public, anonymous statistics API (SPEC §7): published years and the frozen tables.

Only frozen releases: a year appears with its first publication (a scheduled provisional
snapshot or the annual release), never as live figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meldestelle.api import ERROR, invalid
from stats import presentation, selectors


class CSVRenderer(BaseRenderer):
    """Lets DRF accept ``?format=csv`` (URL_FORMAT_OVERRIDE); the view writes the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        # The view answers CSV itself (presentation.snapshot_csv); what else reaches this
        # renderer is an error body, which has no CSV form (the status code says it).
        return data.encode() if isinstance(data, str) else b""


_CELL_FIELDS: dict[str, serializers.Field] = {
    "key": serializers.CharField(),
    "value": serializers.IntegerField(allow_null=True),
    "suppressed": serializers.BooleanField(),
}
_total = inline_serializer(
    "StatisticsTotal",
    {"value": serializers.IntegerField(allow_null=True), "suppressed": serializers.BooleanField()},
)
_year_schema = inline_serializer(
    "StatisticsYear",
    {
        "year": serializers.IntegerField(),
        "version": serializers.IntegerField(),
        "provisional": serializers.BooleanField(
            help_text="A scheduled snapshot of a year still running; final figures come with "
            "the annual release."
        ),
        "published_at": serializers.DateTimeField(),
        "published_on": serializers.DateField(),
        "note": serializers.CharField(),
        "contains_demo_data": serializers.BooleanField(),
        "k": serializers.IntegerField(),
        "geography": serializers.ChoiceField(
            choices=["district", "region"],
            help_text="Districts or the statistical regions; fixed by the year's first release.",
        ),
        "total": _total,
        "tables": serializers.DictField(
            child=inline_serializer(
                "StatisticsTable",
                {"cells": inline_serializer("StatisticsCell", _CELL_FIELDS, many=True),
                 "total": _total,
                 "rolled_up_to_regions": serializers.BooleanField()},
            )
        ),
        "suppressed_cells": serializers.IntegerField(),
        "audit": inline_serializer(
            "StatisticsAuditSummary",
            {"cells_audited": serializers.IntegerField(),
             "min_values": serializers.IntegerField(allow_null=True),
             "failures": serializers.IntegerField(),
             "seconds": serializers.FloatField()},
            allow_null=True,
            help_text="The disclosure audit run before the release (null for older releases).",
        ),
        "methodology": serializers.CharField(),
    },
)
_index_schema = inline_serializer(
    "StatisticsIndex",
    {
        "years": inline_serializer(
            "StatisticsPublishedYear",
            {
                "year": serializers.IntegerField(),
                "latest_version": serializers.IntegerField(),
                "provisional": serializers.BooleanField(
                    help_text="The latest version is a provisional snapshot."
                ),
                "versions": inline_serializer(
                    "StatisticsVersion",
                    {"version": serializers.IntegerField(),
                     "provisional": serializers.BooleanField(),
                     "published_at": serializers.DateTimeField(),
                     "note": serializers.CharField(), "url": serializers.CharField()},
                    many=True,
                ),
            },
            many=True,
            help_text="Published years, the latest first; a year without a release is absent.",
        ),
    },
)


class StatisticsIndexView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        summary="Published years and their versions",
        operation_id="statistics_years",
        responses={200: _index_schema},
        auth=[],
        tags=["statistics"],
    )
    def get(self, request: Request) -> Response:
        years: dict[int, list[dict[str, Any]]] = {}
        for pub in selectors.publication_history():
            years.setdefault(pub.year, []).append(
                {
                    "version": pub.version,
                    "provisional": bool(getattr(pub, "provisional", False)),
                    "published_at": pub.created_at.isoformat(),
                    "note": pub.note,
                    "url": f"/api/v1/statistics/{pub.year}/?version={pub.version}",
                }
            )
        return Response(
            {
                "years": [
                    {
                        "year": year,
                        "latest_version": versions[0]["version"],
                        "provisional": versions[0]["provisional"],
                        "versions": versions,
                    }
                    for year, versions in sorted(years.items(), reverse=True)
                ],
            }
        )


class StatisticsYearView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="The tables of a year, with suppression flags",
        operation_id="statistics_year",
        description=(
            "The latest published version (or `?version=n`); a version may be a scheduled "
            "provisional snapshot (`provisional: true`). Every suppressed cell has "
            "`value: null` and `suppressed: true`, whatever the reason it was hidden: it may "
            "be small or large. `?format=csv` returns text/csv with the columns "
            "`year,version,published_on,provisional,demo,table,code,label,value,suppressed` "
            "(labels in the request's language, suppressed values empty)."
        ),
        parameters=[
            OpenApiParameter("version", OpenApiTypes.INT, required=False),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], required=False),
        ],
        responses={200: _year_schema, (200, "text/csv"): OpenApiTypes.STR, 400: ERROR, 404: ERROR},
        auth=[],
        tags=["statistics"],
    )
    def get(self, request: Request, year: int) -> Response | HttpResponse:
        raw_version = request.query_params.get("version")
        version: int | None = None
        if raw_version not in (None, ""):
            # ASCII digits only: str.isdigit() accepts "²", which int() refuses, and int() refuses
            # more than 4300 digits; both were unhandled 500s (found while adding schemathesis, issue 6).
            if not (str(raw_version).isascii() and str(raw_version).isdigit() and len(str(raw_version)) <= 9):
                raise invalid({"version": [_("Enter a whole number.")]})
            version = int(str(raw_version))
        snapshot = presentation.public_snapshot(year, version)
        if snapshot is None:
            raise Http404
        if request.accepted_renderer.format == "csv":
            return HttpResponse(
                presentation.snapshot_csv(snapshot), content_type="text/csv; charset=utf-8"
            )
        return Response(presentation.snapshot_json(snapshot))
