"""The data migration to one help directory (counselling 0011): every entry of the old
counselling.DirectoryService becomes a referral-only entry of the help directory, and every
referral points at the entry its slug named."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("counselling", "0010_casework"), ("reporting", "0019_help_directory_for_referrals")]
AFTER = [("counselling", "0011_one_help_directory")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_directory_entries_and_their_referrals_move_to_the_help_directory() -> None:
    try:
        apps = _migrate(BEFORE)
        organisation = apps.get_model("reporting", "Organisation").objects.create(slug="old", name="Old")
        directory = apps.get_model("counselling", "DirectoryService")
        directory.objects.create(slug="legal-aid", name="Legal aid (Demo)", kind="legal",
                                 public_contact="0511 000")
        directory.objects.create(slug="trauma", name="Trauma help", kind="psychological")
        referral = apps.get_model("counselling", "Referral")
        for slug in ("legal-aid", "trauma", "legal-aid", "gone"):
            referral.objects.create(organisation=organisation, case_token=uuid.uuid4(), year=2026,
                                    service=slug, reason="legal")

        apps = _migrate(AFTER)
        entries = {e.name: e for e in apps.get_model("reporting", "HelpService").objects.all()}
        assert set(entries) == {"Legal aid (Demo)", "Trauma help"}
        legal, trauma = entries["Legal aid (Demo)"], entries["Trauma help"]
        assert (legal.kind, legal.description, legal.referral_only, legal.is_demo) == (
            "legal_advice", "0511 000", True, True)
        assert (trauma.kind, trauma.referral_only, trauma.is_demo) == ("psychological", True, False)
        moved = apps.get_model("counselling", "Referral").objects.order_by("pk")
        assert list(moved.values_list("service_id", flat=True)) == [legal.pk, trauma.pk, legal.pk, None]
        assert "counselling_directoryservice" not in connection.introspection.table_names()

        # And back: the entries that referrals point at become slugs again.
        apps = _migrate(BEFORE)
        back = apps.get_model("counselling", "Referral").objects.order_by("pk")
        assert list(back.values_list("service", flat=True)) == [
            f"service-{legal.pk}", f"service-{trauma.pk}", f"service-{legal.pk}", ""]
        assert set(apps.get_model("counselling", "DirectoryService").objects.values_list("name", flat=True)) == {
            "Legal aid (Demo)", "Trauma help"}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
