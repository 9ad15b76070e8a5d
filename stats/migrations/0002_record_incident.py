"""Statistics records move from a case onto its incident (SPEC §6).

A record of a live case goes to that case's incident; where two records share an incident
(a classified duplicate and its classified original) the original's stays and the other, which
never counted, goes.  A record whose case was shredded gets an incident of its own that keeps
its last state: it counts unless it was excluded.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def records_onto_incidents(apps: Any, schema_editor: Any) -> None:
    Record = apps.get_model("stats", "StatisticsRecord")
    Case = apps.get_model("reporting", "Case")
    Incident = apps.get_model("reporting", "Incident")
    cases = {
        pk: (incident_id, duplicate_of_id)
        for pk, incident_id, duplicate_of_id in Case.objects.values_list("pk", "incident_id", "duplicate_of_id")
    }
    # Originals first, so a duplicate's record only lands where the original has none.
    records = sorted(
        Record.objects.all(),
        key=lambda r: (r.case_id is None, r.case_id is not None and cases.get(r.case_id, (0, 0))[1] is not None, r.pk),
    )
    taken: set[int] = set()
    for record in records:
        if record.case_id is None or record.case_id not in cases:
            record.incident_id = Incident.objects.create(counts=not record.excluded).pk
        else:
            incident_id = cases[record.case_id][0]
            if incident_id in taken:
                record.delete()
                continue
            record.incident_id = incident_id
        taken.add(record.incident_id)
        record.save(update_fields=["incident"])


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("reporting", "0006_case_incident_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="statisticsrecord",
            name="incident",
            field=models.OneToOneField(
                null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="statistics_record", to="reporting.incident",
            ),
        ),
        migrations.RunPython(records_onto_incidents, migrations.RunPython.noop),
    ]
