"""Rate-limit counters in a table of their own on the database cache (meldestelle.ratelimit),
and the hourly schedule that removes the rows of ended windows."""

from django.db import migrations, models

from meldestelle.schedules import hourly_schedule_operations

create_schedule, remove_schedule = hourly_schedule_operations(
    "rate-counters-clear", "reporting.tasks.clear_expired_rate_counters"
)


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0020_message_seal_id'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
    ]

    operations = [
        migrations.CreateModel(
            name='RateCounter',
            fields=[
                ('key', models.CharField(max_length=200, primary_key=True, serialize=False)),
                ('count', models.IntegerField(default=0)),
                ('expires_at', models.DateTimeField()),
            ],
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
