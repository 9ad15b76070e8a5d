"""The daily staff digest (issue 4): a django-q2 schedule, created idempotently."""

from datetime import time

from django.db import migrations

from meldestelle.schedules import daily_schedule_operations, next_daily_run

RUN_AT = time(7, 0)
create_schedule, remove_schedule = daily_schedule_operations("staff-digest", "counselling.tasks.send_daily_digests", RUN_AT)


def next_run_at(now):
    return next_daily_run(now, RUN_AT)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0003_notify_mode'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
    ]

    operations = [
        migrations.RunPython(create_schedule, remove_schedule),
    ]
