"""Submissions without a global critical section (issue 16).

- Routing claims an organisation with a conditional UPDATE instead of locking every
  organisation: `last_received_serial` (year × 10^7 + case number) replaces the case id as the
  within-the-hour tie-break; existing rows get the serial of the case they name.
- The audit chain gets positions, and entries of version 3 that carry their own MAC and are
  chained by a single writer after commit: existing entries keep their links, their position is
  their id (they were chained in id order), and the head remembers the last position.
"""

from django.db import migrations, models

SERIAL_YEAR = 10_000_000


def serials_from_case_ids(apps, schema_editor):
    Organisation = apps.get_model("reporting", "Organisation")
    Case = apps.get_model("reporting", "Case")
    for org in Organisation.objects.exclude(last_received_case_id=None):
        case = Case.objects.filter(pk=org.last_received_case_id).values_list("reference", flat=True).first()
        if case is None:
            continue
        try:
            _prefix, year, number = case.rsplit("-", 2)
            org.last_received_serial = int(year) * SERIAL_YEAR + int(number)
        except ValueError:
            continue
        org.save(update_fields=["last_received_serial"])


def positions_from_ids(apps, schema_editor):
    AuditEntry = apps.get_model("reporting", "AuditEntry")
    AuditHead = apps.get_model("reporting", "AuditHead")
    AuditEntry.objects.update(chain_position=models.F("id"))
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    AuditHead.objects.update(last_position=last or 0)


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0014_consent_summaries_outcome_questions"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="last_received_serial",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(serials_from_case_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="organisation", name="last_received_case_id"),
        migrations.AlterField(
            model_name="auditentry",
            name="chain_version",
            field=models.PositiveSmallIntegerField(choices=[
                (1, "SHA-256, unkeyed (before the chain was keyed)"),
                (2, "HMAC-SHA256 under AUDIT_CHAIN_KEY"),
                (3, "own HMAC at commit, chained after commit by the chain writer"),
            ]),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="chain_position",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="nonce",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="audithead",
            name="last_position",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(positions_from_ids, migrations.RunPython.noop),
    ]
