"""Key the audit chain: entries written so far keep their plain SHA-256 chain, and one
"chain keyed from here" entry, MAC'd under AUDIT_CHAIN_KEY over the last of them, starts the
keyed chain (reporting.audit). Nothing happens on an empty log. The key must be the one the
servers use: the migration reads it from the same environment."""

from django.conf import settings
from django.db import migrations


def key_the_chain(apps, schema_editor):
    from reporting.audit import audit_chain_key_existing

    audit_chain_key_existing(
        entry_model=apps.get_model("reporting", "AuditEntry"),
        head_model=apps.get_model("reporting", "AuditHead"),
        key=settings.AUDIT_CHAIN_KEY,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0007_audit_chain_keyed"),
    ]

    operations = [
        # Not reversible into an unkeyed chain: going back leaves the keyed entries in place.
        migrations.RunPython(key_the_chain, migrations.RunPython.noop),
    ]
