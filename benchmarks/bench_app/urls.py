from __future__ import annotations

from django.urls import path

from benchmarks.bench_app import views

app_name = "bench"
urlpatterns = [path("insert-one-row/", views.insert_one_row, name="insert_one_row")]
