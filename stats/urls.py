from __future__ import annotations

from django.urls import path

from stats import chronicle, views

app_name = "stats"
urlpatterns = [
    path("", views.index, name="index"),
    path("methodology/", views.methodology_page, name="methodology"),
    path("chronicle/", chronicle.chronicle_page, name="chronicle"),
    path("<int:year>/", views.year_detail, name="year"),
    path("<int:year>/data.csv", views.data_csv, name="year_csv"),
    path("<int:year>/data.json", views.data_json, name="year_json"),
    path("<int:year>/v<int:version>/", views.year_detail, name="version"),
    path("<int:year>/v<int:version>/data.csv", views.data_csv, name="version_csv"),
    path("<int:year>/v<int:version>/data.json", views.data_json, name="version_json"),
]
