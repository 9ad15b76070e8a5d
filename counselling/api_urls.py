from __future__ import annotations

from django.urls import include, path

app_name = "counselling_api"
urlpatterns: list = [
    path("", include("counselling.api_urls_classification")),
]
