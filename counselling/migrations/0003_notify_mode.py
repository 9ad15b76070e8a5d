"""Notification preference (issue 4): the `notify` boolean becomes a choice.

True → "immediate" (one notice per event, as before), False → "none"; "digest" is new.
Done as add / copy / remove / rename so it runs the same on SQLite and PostgreSQL.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Membership = apps.get_model("counselling", "Membership")
    Membership.objects.filter(notify=True).update(notify_mode="immediate")
    Membership.objects.filter(notify=False).update(notify_mode="none")


def backwards(apps, schema_editor):
    Membership = apps.get_model("counselling", "Membership")
    # A digest member still wants mail: back to the boolean's True.
    Membership.objects.update(notify=True)
    Membership.objects.filter(notify_mode="none").update(notify=False)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0002_retention_schedule'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='notify_mode',
            field=models.CharField(
                choices=[('immediate', 'An e-mail for each new report, message and transfer'),
                         ('digest', 'One summary e-mail a day'), ('none', 'No e-mails')],
                default='immediate', max_length=10,
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='membership',
            name='notify',
        ),
        migrations.RenameField(
            model_name='membership',
            old_name='notify_mode',
            new_name='notify',
        ),
        migrations.AddField(
            model_name='membership',
            name='last_digest_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
