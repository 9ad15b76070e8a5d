"""Reporter-originated times to the hour (reporting.traces, issue 13).

The fields that services now set themselves lose `auto_now_add` (a default instead); messages
are ordered by id, cases by time then id; organisations remember the id of the case they last
received (routing's tie-break now that times are hours). Rows written before are rounded down
to the hour too. Audit entries are not: their time is under the chain's MAC, and rewriting the
chain would hide tampering (docs/deployment.md, "Audit log").
"""

from datetime import UTC

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Trunc


def round_existing(apps, schema_editor):
    Case = apps.get_model("reporting", "Case")
    CaseGrant = apps.get_model("reporting", "CaseGrant")
    Incident = apps.get_model("reporting", "Incident")
    Message = apps.get_model("reporting", "Message")
    Attachment = apps.get_model("reporting", "Attachment")
    Organisation = apps.get_model("reporting", "Organisation")

    def hour(field):
        # In UTC: truncated in the local zone, SQLite would store local time as if it were UTC.
        # (Europe/Berlin is a whole-hour offset from UTC, so the hour is the same.)
        return Trunc(field, "hour", tzinfo=UTC)

    Case.objects.update(created_at=hour("created_at"), updated_at=hour("updated_at"))
    Case.objects.exclude(last_reporter_activity_at=None).update(
        last_reporter_activity_at=hour("last_reporter_activity_at")
    )
    CaseGrant.objects.update(created_at=hour("created_at"))
    Incident.objects.update(created_at=hour("created_at"))
    Message.objects.filter(direction="reporter").update(created_at=hour("created_at"))
    # Staff messages: when the reporter read them.
    Message.objects.filter(direction="staff").exclude(read_at=None).update(read_at=hour("read_at"))
    Attachment.objects.filter(from_reporter=True).update(created_at=hour("created_at"))
    latest = Case.objects.filter(organisation=OuterRef("pk")).values("organisation").annotate(last=Max("id"))
    Organisation.objects.exclude(last_received_at=None).update(
        last_received_at=hour("last_received_at"), last_received_case_id=Subquery(latest.values("last")),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0008_audit_chain_keyed_entry"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="case",
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.AlterModelOptions(
            name="message",
            options={"ordering": ["id"]},
        ),
        migrations.AddField(
            model_name="organisation",
            name="last_received_case_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="case",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="incident",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="message",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(round_existing, migrations.RunPython.noop),
    ]
