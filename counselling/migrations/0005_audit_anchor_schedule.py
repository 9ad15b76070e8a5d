"""The daily audit anchor (SPEC §3.9): a django-q2 schedule, created idempotently."""

from datetime import time

from django.db import migrations

from meldestelle.schedules import daily_schedule_operations, next_daily_run

RUN_AT = time(6, 0)
create_schedule, remove_schedule = daily_schedule_operations("audit-anchor", "counselling.tasks.audit_anchor_task", RUN_AT)


def next_run_at(now):
    return next_daily_run(now, RUN_AT)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0004_digest_schedule'),
        ('reporting', '0008_audit_chain_keyed_entry'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
    ]

    operations = [
        migrations.RunPython(create_schedule, remove_schedule),
    ]
