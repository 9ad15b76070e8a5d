"""The public chronicle: anonymised summaries that counsellors drafted and the reporters
approved with their receipt code (SPEC §5.1). Only approved summaries of reports whose
reporter still consents to publication are here (reporting.services.consent)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meldestelle.pagination import PagePagination, page_of
from reporting.models import ChronicleEntry


def chronicle_entries() -> list[ChronicleEntry]:
    return list(ChronicleEntry.objects.order_by("-year", "-month", "-id"))


def chronicle_page(request: HttpRequest) -> HttpResponse:
    return render(request, "stats/chronicle.html", {"entries": chronicle_entries()})


class ChronicleEntryOut(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    text = serializers.CharField()
    demo = serializers.BooleanField(source="is_demo")


class ChronicleView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: page_of("ChroniclePage", ChronicleEntryOut(many=True))},
                   parameters=[OpenApiParameter("page", int)], tags=["statistics"],
                   summary="The public chronicle of approved anonymised summaries, a page at a time")
    def get(self, request: Request) -> Response:
        pagination = PagePagination()
        entries = pagination.paginate(chronicle_entries(), request)
        return pagination.get_paginated_response(ChronicleEntryOut(entries, many=True).data)
