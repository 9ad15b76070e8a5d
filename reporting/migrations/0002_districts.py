"""Load the 45 districts of Lower Saxony from the project's own copy of the official keys."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "districts.csv"


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    District = apps.get_model("reporting", "District")
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            District.objects.update_or_create(
                ags=row["ags"],
                defaults={
                    "name": row["name"],
                    "kind": row["kind"],
                    "nuts2": row["nuts2"],
                    "statistical_region": row["statistical_region"],
                },
            )


def unload(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("reporting", "District").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
