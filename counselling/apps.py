from __future__ import annotations

from django.apps import AppConfig


class CounsellingConfig(AppConfig):
    name = "counselling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from counselling import (
            notifications,
            signals,  # noqa: F401  (registers the case_shredding receiver)
        )

        notifications.connect()  # staff notices for the events reporting.signals announces
