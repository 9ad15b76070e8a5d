"""Publications: frozen, versioned, audited; the command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from reporting.models import AuditEntry
from reporting.services import ServiceError
from stats.models import Publication
from stats.services import PublicationRefused, statistics_publish


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


def test_release_stores_its_audit_and_the_methodology_summarises_it(fallback_org, submit, classify) -> None:
    for district in ("03241", "03241", "03241", "03101"):
        classify(submit().case, district=district)
    publication = statistics_publish(actor=None, year=2024)
    summary = publication.audit["summary"]
    assert publication.audit["ok"] and summary["failures"] == 0
    assert summary["cells_audited"] >= 1  # the lone Braunschweig incident is hidden
    assert f"it examined\n    {summary['cells_audited']} hidden figures" in publication.methodology
    assert f"at least {summary['min_values']} possible values" in publication.methodology
    assert publication.change == {"added": 4, "removed": 0, "modified": 0}


def test_next_release_knows_the_size_of_its_change(fallback_org, submit, classify) -> None:
    from reporting.services import case_set_status

    cases = [submit().case for _ in range(12)]
    for i, case in enumerate(cases):
        classify(case, district="03241", incident_type=("assault", "threat")[i % 2])
    statistics_publish(actor=None, year=2024)
    classify(cases[0], district="03241", incident_type="threat")  # reclassified
    case_set_status(actor=None, case=cases[1], status="rejected")  # leaves the count
    classify(submit().case, district="03241")  # a late report
    classify(cases[2], year=2023)  # moves to another year: leaves 2024
    second = statistics_publish(actor=None, year=2024, note="Late report and corrections")
    assert second.change == {"added": 1, "removed": 2, "modified": 1}
    assert second.audit["releases"] == 2


def test_correction_that_would_expose_a_hidden_figure_is_refused(fallback_org, submit, classify) -> None:
    cases = [submit().case for _ in range(5)]
    for case in cases:
        classify(case, district="03241")
    statistics_publish(actor=None, year=2024)
    # One assault becomes a threat: v1 published 5 assaults, so a second version could only
    # hide the pair (4, 1) - and the known change of one reclassification pins both.
    classify(cases[0], district="03241", incident_type="threat")
    with pytest.raises(PublicationRefused) as refused:
        statistics_publish(actor=None, year=2024, note="One incident reclassified")
    assert ("incident_type", "threat") in {(table, code) for _v, table, code in refused.value.cells}
    assert Publication.objects.filter(year=2024).count() == 1
