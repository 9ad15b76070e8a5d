from __future__ import annotations

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reporting import (
            checks,  # noqa: F401  (registers the system checks)
            snapshot,
        )

        snapshot.connect()
