"""API lists (SPEC §7): a page at a time, as DRF clients expect."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class PagePagination(PageNumberPagination):
    """Every list endpoint's page: ``{"count", "next", "previous", "results"}`` (DRF's page-number
    convention), ``?page=n``. An unusable page number gives the nearest page, as the pages do."""

    page_size = 50

    def paginate(self, items: Any, request: Request, *, paginator: Paginator | None = None) -> list[Any]:
        """The items of the requested page; `paginator` when the caller knows the count already."""
        self.request = request
        paginator = paginator or self.django_paginator_class(items, self.page_size)
        self.page = paginator.get_page(request.query_params.get(self.page_query_param))
        return list(self.page.object_list)

    def get_paginated_response(self, data: Any, **extra: Any) -> Response:
        """The page; `extra` keys (e.g. a list's per-tab counts) go between the links and results."""
        assert self.page is not None, "paginate() first"
        return Response({
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            **extra,
            "results": data,
        })


def page_of(name: str, item: serializers.Serializer, **extra: serializers.Field) -> type[serializers.Serializer]:
    """The schema of a `PagePagination` page of `item` (for `extend_schema`)."""
    fields: dict[str, Any] = {
        "count": serializers.IntegerField(help_text="Items in all pages."),
        "next": serializers.URLField(allow_null=True, help_text="The next page, null on the last."),
        "previous": serializers.URLField(allow_null=True, help_text="The previous page, null on the first."),
        **extra,
        "results": item,
    }
    return type(name, (serializers.Serializer,), fields)
