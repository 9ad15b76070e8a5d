"""One help directory (issue 20): referrals point at the coordinator's ``reporting.HelpService``
(the directory of the reporter's help page) and ``counselling.DirectoryService`` goes.

Every DirectoryService row becomes a HelpService kept for referrals only (its kind mapped from
the referral reason it was filed under, its public contact as the description), and every
referral's slug becomes a link to that entry; a slug with no entry leaves the link empty (the
referral still counts)."""

import django.db.models.deletion
from django.db import migrations, models

# DirectoryService.kind (a referral reason) → HelpService.kind
KIND = {"legal": "legal_advice", "psychological": "psychological", "victim_support": "victim_support",
        "specialist": "anti_discrimination", "other": "other"}


def move_directory(apps, schema_editor):
    DirectoryService = apps.get_model("counselling", "DirectoryService")
    HelpService = apps.get_model("reporting", "HelpService")
    Referral = apps.get_model("counselling", "Referral")
    entries = {}
    for old in DirectoryService.objects.order_by("pk"):
        entries[old.slug] = HelpService.objects.create(
            name=old.name[:200], kind=KIND.get(old.kind, "other"), description=old.public_contact[:300],
            referral_only=True, is_demo="(Demo)" in old.name,
        )
    for referral in Referral.objects.exclude(service_slug=""):
        entry = entries.get(referral.service_slug)
        if entry is not None:
            Referral.objects.filter(pk=referral.pk).update(help_service=entry)


def move_back(apps, schema_editor):
    """Back to slugs: each entry that referrals point at becomes a DirectoryService again."""
    DirectoryService = apps.get_model("counselling", "DirectoryService")
    Referral = apps.get_model("counselling", "Referral")
    reasons = {value: key for key, value in KIND.items()}
    for referral in Referral.objects.exclude(help_service=None).select_related("help_service"):
        entry = referral.help_service
        slug = f"service-{entry.pk}"
        DirectoryService.objects.get_or_create(slug=slug, defaults={
            "name": entry.name, "kind": reasons.get(entry.kind, "other"), "public_contact": entry.description})
        Referral.objects.filter(pk=referral.pk).update(service_slug=slug)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0010_casework'),
        ('reporting', '0019_help_directory_for_referrals'),
    ]

    operations = [
        migrations.RenameField(model_name='referral', old_name='service', new_name='service_slug'),
        # A default, so that going back can add the column again to existing rows.
        migrations.AlterField(model_name='referral', name='service_slug',
                              field=models.CharField(max_length=100, default='')),
        migrations.AddField(
            model_name='referral',
            name='help_service',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='referrals', to='reporting.helpservice'),
        ),
        migrations.RunPython(move_directory, move_back),
        migrations.RemoveField(model_name='referral', name='service_slug'),
        migrations.RenameField(model_name='referral', old_name='help_service', new_name='service'),
        migrations.DeleteModel(name='DirectoryService'),
    ]
