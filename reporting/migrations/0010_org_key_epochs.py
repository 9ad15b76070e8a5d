"""Organisation key epochs and authentic public keys (SPEC §3.9).

New columns for the recovery public key, epoch retirement and suspension, and a MAC under
KEY_AUTH_KEY over every stored organisation public key. The MACs of existing keys are computed
here with the key the servers use (the migration reads it from the same environment): they
vouch for the keys as they are now, so run it on a database you trust, and the unlock-time
check (a member's private key must derive the stored public key) still catches an older swap.
"""

from django.conf import settings
from django.db import migrations, models


def mac_existing_keys(apps, schema_editor):
    from reporting import crypto

    for key in apps.get_model("reporting", "OrganisationKey").objects.all().iterator():
        key.public_key_mac = crypto.public_key_mac(
            settings.KEY_AUTH_KEY, kind=crypto.PUBLIC_KEY_ORGANISATION, owner_id=key.organisation_id,
            version=key.version, public_key=bytes(key.public_key),
        )
        key.save(update_fields=["public_key_mac"])


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0009_reporter_times_to_the_hour'),
    ]

    operations = [
        migrations.AddField(
            model_name='organisation',
            name='key_rotation_due_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='organisation',
            name='recovery_public_key',
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='organisation',
            name='recovery_public_key_mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='organisationkey',
            name='public_key_mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='organisationkey',
            name='retired_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='organisationkey',
            name='sealed_for_recovery',
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='organisationkey',
            name='suspended_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='organisationkey',
            name='wrapped_by_recovery',
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RunPython(mac_existing_keys, migrations.RunPython.noop),
    ]
