"""Statistics records and publications (SPEC §6).

A ``StatisticsRecord`` is the classification of one *incident* (``reporting.Incident``): plain
codes only, no content.  The incident, not a case, owns it: duplicate reports share the
incident and so the record, and the record stays when the incident's cases are shredded,
because the statistics must not shrink when cases are deleted under the retention rules.
Whether it counts is the incident's ``counts`` flag, kept by the case services.

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
    # PROTECT: an incident is only deleted after its record moved on (``incident_merged``).
    incident = models.OneToOneField(
        "reporting.Incident", on_delete=models.PROTECT, related_name="statistics_record"
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
    # For the RIAS crosswalk (practice review §3): damage to property targeted at people or
    # institutions (None: not known), offensive behaviour at an assembly.
    targeted = models.BooleanField(null=True, blank=True)
    assembly = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)
    classified_at = models.DateTimeField()
    # Raised by every reclassification: releases compare (record, revision) pairs to learn the
    # size of their change without keeping any classification of an earlier release.
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["year"], name="stats_record_year_idx")]

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
    # A scheduled snapshot of a year still running, not the coordinator's annual release.
    provisional = models.BooleanField(default=False)
    # "district" or "region": fixed by the year's first release (SPEC §6).
    geography = models.CharField(max_length=10, default="district")
    # The integer-programming audit over every release of the year (stats.disclosure).
    audit = models.JSONField(default=dict, blank=True)
    # Incidents added, removed and reclassified against the previous version.
    change = models.JSONField(default=dict, blank=True)
    # Internal, never shown: (incident id, classification digest) of each counted incident,
    # packed and compressed, so the next release knows the size of its change.
    incident_digests = models.BinaryField(default=b"", editable=False)

    class Meta:
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="uniq_publication_year_version")
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"
