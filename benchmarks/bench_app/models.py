from __future__ import annotations

from django.db import models


class BenchRow(models.Model):
    """One row per baseline request: the cheapest write a request can do."""

    payload = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"bench row {self.pk}"
