"""A MAC under KEY_AUTH_KEY over every stored member public key (SPEC §3.9), computed here
for existing members with the key the servers use (read from the same environment)."""

from django.conf import settings
from django.db import migrations, models


def mac_existing_member_keys(apps, schema_editor):
    from reporting import crypto

    members = apps.get_model("counselling", "Membership").objects.exclude(member_public_key=None)
    for membership in members.iterator():
        membership.member_public_key_mac = crypto.public_key_mac(
            settings.KEY_AUTH_KEY, kind=crypto.PUBLIC_KEY_MEMBER, owner_id=membership.pk, version=0,
            public_key=bytes(membership.member_public_key),
        )
        membership.save(update_fields=["member_public_key_mac"])


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0006_sessions_clear_no_account_lock'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='member_public_key_mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.RunPython(mac_existing_member_keys, migrations.RunPython.noop),
    ]
