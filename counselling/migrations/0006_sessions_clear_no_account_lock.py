"""Sessions end (SPEC §3.9): the daily `clearsessions` schedule; failed logins are throttled per
account and client in the cache (counselling.auth), so the per-account lock fields go."""

from datetime import time

from django.db import migrations

from meldestelle.schedules import daily_schedule_operations, next_daily_run

RUN_AT = time(3, 30)
create_schedule, remove_schedule = daily_schedule_operations(
    "sessions-clear", "counselling.tasks.clear_expired_sessions", RUN_AT
)


def next_run_at(now):
    return next_daily_run(now, RUN_AT)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0005_audit_anchor_schedule'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
    ]

    operations = [
        migrations.RemoveField(model_name='membership', name='failed_logins'),
        migrations.RemoveField(model_name='membership', name='locked_until'),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
