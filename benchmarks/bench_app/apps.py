from __future__ import annotations

from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    """Benchmark-only baseline endpoint; installed only when MELDESTELLE_BENCH=1."""

    name = "benchmarks.bench_app"
    label = "bench_app"
    default_auto_field = "django.db.models.BigAutoField"
