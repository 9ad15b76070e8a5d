"""The keyed audit chain (SPEC §3.9): entry chain versions, the head's MAC, daily anchors."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0006_case_incident_required"),
    ]

    operations = [
        # Entries written so far were chained with plain SHA-256 (version 1); every new one
        # states its version explicitly (reporting.audit).
        migrations.AddField(
            model_name="auditentry",
            name="chain_version",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "SHA-256, unkeyed (before the chain was keyed)"),
                    (2, "HMAC-SHA256 under AUDIT_CHAIN_KEY"),
                ],
                default=1,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="audithead",
            name="head_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("last_entry_id", models.BigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("chain_intact", models.BooleanField()),
                ("broken_at_entry", models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
    ]
