from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("stats", "0002_record_incident")]

    operations = [
        migrations.RemoveIndex(model_name="statisticsrecord", name="stats_stati_year_465e08_idx"),
        migrations.RemoveField(model_name="statisticsrecord", name="case"),
        migrations.RemoveField(model_name="statisticsrecord", name="excluded"),
        migrations.AlterField(
            model_name="statisticsrecord",
            name="incident",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="statistics_record",
                to="reporting.incident",
            ),
        ),
        migrations.AddIndex(
            model_name="statisticsrecord",
            index=models.Index(fields=["year"], name="stats_record_year_idx"),
        ),
        migrations.AddField(
            model_name="statisticsrecord", name="revision", field=models.PositiveIntegerField(default=1)
        ),
        migrations.AddField(model_name="publication", name="provisional", field=models.BooleanField(default=False)),
        migrations.AddField(
            model_name="publication", name="geography", field=models.CharField(default="district", max_length=10)
        ),
        migrations.AddField(model_name="publication", name="audit", field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(model_name="publication", name="change", field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(
            model_name="publication", name="incident_digests",
            field=models.BinaryField(default=b"", editable=False),
        ),
    ]
