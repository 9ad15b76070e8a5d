from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reporting", "0005_incident")]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="incident",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="cases", to="reporting.incident"
            ),
        ),
    ]
