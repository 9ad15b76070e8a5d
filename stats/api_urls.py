from __future__ import annotations

from django.urls import path

from stats import api_views, chronicle

app_name = "stats_api"
urlpatterns = [
    path("statistics/", api_views.StatisticsIndexView.as_view(), name="index"),
    path("statistics/<int:year>/", api_views.StatisticsYearView.as_view(), name="year"),
    path("chronicle/", chronicle.ChronicleView.as_view(), name="chronicle"),
]
