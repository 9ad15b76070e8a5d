"""Provisional statistics as scheduled frozen releases (issue 11): a daily django-q2 schedule
whose task publishes only on the days of ``STATS_PROVISIONAL_SCHEDULE``."""

from datetime import time

from django.db import migrations

from meldestelle.schedules import daily_schedule_operations

create_schedule, remove_schedule = daily_schedule_operations(
    "statistics-provisional", "stats.tasks.take_provisional_release", time(3, 30)
)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_record_incident_required"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
