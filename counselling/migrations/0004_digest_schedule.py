"""The daily staff digest (issue 4): a django-q2 schedule, created idempotently."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations
from django.utils import timezone

SCHEDULE_NAME = "staff-digest"
TASK = "counselling.tasks.send_daily_digests"
RUN_AT = time(7, 0)
RUN_ZONE = ZoneInfo("Europe/Berlin")


def next_run_at(now: datetime) -> datetime:
    """The next 07:00 in Berlin after `now`."""
    local_now = now.astimezone(RUN_ZONE)
    candidate = datetime.combine(local_now.date(), RUN_AT, tzinfo=RUN_ZONE)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), RUN_AT, tzinfo=RUN_ZONE)
    return candidate


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    # update_or_create by name: running it again (or after a manual change) leaves one row.
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": TASK,
            "schedule_type": "D",  # Schedule.DAILY
            "repeats": -1,
            "next_run": next_run_at(timezone.now()),
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0003_notify_mode'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
    ]

    operations = [
        migrations.RunPython(create_schedule, remove_schedule),
    ]
