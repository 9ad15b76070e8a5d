"""Publications: frozen, versioned, audited; the command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from reporting.models import AuditEntry
from reporting.services import ServiceError
from stats.models import Publication
from stats.services import statistics_publish


def test_publication_freezes_the_figures(fallback_org, submit, classify) -> None:
    for _ in range(3):
        classify(submit().case)
    publication = statistics_publish(actor=None, year=2024)
    assert publication.version == 1
    assert publication.tables["total"]["value"] == 3
    classify(submit().case)
    publication.refresh_from_db()
    assert publication.tables["total"]["value"] == 3
    assert "not published to protect individuals" in publication.methodology
    assert "fewer than" not in publication.methodology
    assert AuditEntry.objects.filter(action="stats.published").count() == 1


def test_correction_is_a_new_version_with_a_note(fallback_org, submit, classify) -> None:
    for _ in range(3):
        classify(submit().case)
    statistics_publish(actor=None, year=2024)
    classify(submit().case)
    with pytest.raises(ServiceError) as info:
        statistics_publish(actor=None, year=2024)
    assert info.value.code == "note_required"
    second = statistics_publish(actor=None, year=2024, note="Late reports added.")
    assert second.version == 2
    assert second.tables["total"]["value"] == 4
    assert Publication.objects.get(year=2024, version=1).tables["total"]["value"] == 3


def test_future_year_cannot_be_published(db) -> None:
    with pytest.raises(ServiceError):
        statistics_publish(actor=None, year=2999)


def test_command_publishes(fallback_org, submit, classify, capsys) -> None:
    classify(submit().case)
    call_command("publish_statistics", "--year", "2024")
    out = capsys.readouterr().out
    assert "Published 2024 version 1" in out
    assert "not published (small year)" in out  # a year of one incident is fully suppressed
    assert "0 failures" in out  # the audit summary
    call_command("publish_statistics", "--year", "2024", "--note", "Correction")
    assert Publication.objects.filter(year=2024).count() == 2
    with pytest.raises(CommandError):
        call_command("publish_statistics", "--year", "2024")


def test_demo_statistics_are_idempotent_marked_and_published(client, db) -> None:
    from django.utils import timezone

    from stats.demo import load_demo_statistics
    from stats.models import StatisticsRecord

    year = timezone.localdate().year - 1
    assert load_demo_statistics() == [year - 1, year]
    count = StatisticsRecord.objects.count()
    assert load_demo_statistics() == []
    assert StatisticsRecord.objects.count() == count
    assert Publication.objects.filter(year=year).count() == 1
    publication = Publication.objects.get(year=year)
    assert publication.contains_demo_data
    assert publication.tables["total"]["value"] == 231
    html = client.get(f"/en/statistics/{year}/").content.decode()
    assert "Demo data" in html
    earlier = client.get(f"/en/statistics/{year - 1}/").content.decode()
    assert 'data-suppressed="true"' in earlier  # its rare incident types are hidden
    assert "not published to protect individuals" in earlier and "fewer than" not in earlier


def test_command_exits_non_zero_when_the_audit_refuses(fallback_org, submit, classify, settings) -> None:
    classify(submit().case)
    settings.STATS_AUDIT_TIME_LIMIT = 1e-9
    with pytest.raises(CommandError, match="nothing was published"):
        call_command("publish_statistics", "--year", "2024")
    assert not Publication.objects.exists()
