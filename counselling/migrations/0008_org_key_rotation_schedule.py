"""Organisation key epochs (SPEC §3.9): the daily schedule that marks keys due for rotation and
tells the partner admins, created idempotently."""

from datetime import time

from django.db import migrations

from meldestelle.schedules import daily_schedule_operations, next_daily_run

RUN_AT = time(4, 30)
create_schedule, remove_schedule = daily_schedule_operations(
    "org-key-rotation", "counselling.tasks.org_key_rotation_due_task", RUN_AT
)


def next_run_at(now):
    return next_daily_run(now, RUN_AT)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0007_member_public_key_mac'),
        ('reporting', '0010_org_key_epochs'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
    ]

    operations = [
        migrations.RunPython(create_schedule, remove_schedule),
    ]
