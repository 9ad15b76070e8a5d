"""Every case belongs to one incident (SPEC §6); duplicates share their original's incident."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def cases_into_incidents(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("reporting", "Case")
    Incident = apps.get_model("reporting", "Incident")
    parent = dict(Case.objects.values_list("pk", "duplicate_of_id"))
    status = dict(Case.objects.values_list("pk", "status"))

    def root(pk: int) -> int:
        seen = {pk}
        while parent.get(pk) is not None and parent[pk] not in seen and parent[pk] in parent:
            pk = parent[pk]
            seen.add(pk)
        return pk

    groups: dict[int, list[int]] = {}
    for pk in parent:
        groups.setdefault(root(pk), []).append(pk)
    for members in groups.values():
        counts = any(status[pk] != "rejected" for pk in members)
        incident = Incident.objects.create(counts=counts)
        Case.objects.filter(pk__in=members).update(incident=incident)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0004_inbox_order_index")]

    operations = [
        migrations.CreateModel(
            name="Incident",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("counts", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(
            model_name="case",
            name="incident",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="cases",
                to="reporting.incident",
            ),
        ),
        migrations.RunPython(cases_into_incidents, migrations.RunPython.noop),
    ]
