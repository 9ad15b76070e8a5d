"""Statistics records and publications (SPEC §6).

A ``StatisticsRecord`` is one classified *incident*: plain codes only, no content.  The link
to the case (``case``) is an id while the case lives and becomes NULL when the case is
shredded; the record itself stays, because the statistics must not shrink when cases are
deleted under the retention rules.  Duplicate reports of one incident share one record (the
original case's).

A ``Publication`` is a frozen, versioned snapshot of one year's public tables (already
disclosure-controlled) with the methodology text that applied.  Corrections are new versions.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class StatisticsRecord(models.Model):
    # A random key for the incident: never the case id, so exports cannot be joined to cases.
    incident_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Only an id while the case exists; NULL after shredding (the record survives).
    case = models.OneToOneField(
        "reporting.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statistics_record",
    )
    organisation = models.ForeignKey(
        "reporting.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statistics_records",
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    district = models.CharField(max_length=10)  # AGS key, "online" or "unknown"
    incident_type = models.CharField(max_length=30)
    motives = models.JSONField(default=list)
    antisemitism_forms = models.JSONField(default=list, blank=True)
    area_of_life = models.CharField(max_length=30)
    channel = models.CharField(max_length=30)
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    # Set when a rejected case is classified; such records never count.
    excluded = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)
    classified_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["year", "excluded"])]

    def __str__(self) -> str:
        return f"incident {self.incident_key} ({self.year}-{self.month:02d})"


class Publication(models.Model):
    year = models.PositiveSmallIntegerField()
    version = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, help_text=_("What changed against the previous version."))
    methodology = models.TextField()
    k = models.PositiveSmallIntegerField()
    # The output of stats.tables.publish(): suppressed cells are already null here.
    tables = models.JSONField()
    contains_demo_data = models.BooleanField(default=False)

    class Meta:
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="uniq_publication_year_version")
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"
