"""The publication counts in the database (GROUP BY) and must equal the row-by-row count."""

from __future__ import annotations

import random
import uuid
from typing import Any

from django.utils import timezone

from reporting.models import Incident
from reporting.services import case_mark_duplicate, case_set_status
from reporting.taxonomy import AreaOfLife, Channel, IncidentType, Motive
from stats import disclosure, selectors, tables
from stats.models import StatisticsRecord
from stats.services import statistics_publish

YEAR = 2024


def _random_records(rng: random.Random, n: int, year: int) -> list[StatisticsRecord]:
    districts = [*tables.district_keys(), "online", "unknown"]
    now = timezone.now()
    # Incidents whose cases are gone: about one in twenty last stood rejected and never counts.
    incidents = Incident.objects.bulk_create([Incident(counts=rng.random() >= 0.05) for _ in range(n)])
    out = []
    for incident in incidents:
        motives = rng.sample(list(Motive.values), rng.choice((1, 1, 1, 2, 3)))
        forms = rng.sample(tables.ANTISEMITISM_FORMS, rng.randint(0, 2)) if "antisemitism" in motives else []
        out.append(StatisticsRecord(
            incident=incident, incident_key=uuid.UUID(int=rng.getrandbits(128), version=4), year=year,
            # few districts/months so that some cells are small and suppression is exercised
            month=rng.choice((1, 2, 3, 7)), district=rng.choice(districts[:6] + districts[-2:]),
            incident_type=rng.choice(list(IncidentType.values)), motives=motives,
            antisemitism_forms=forms, area_of_life=rng.choice(list(AreaOfLife.values)),
            channel=rng.choice(list(Channel.values)), people_affected=rng.choice((None, 1, 2)),
            classified_at=now,
        ))
    return out


def test_publication_equals_the_row_by_row_tables(fallback_org: Any, submit: Any, classify: Any) -> None:
    rng = random.Random(2024)
    StatisticsRecord.objects.bulk_create(_random_records(rng, 700, YEAR) + _random_records(rng, 30, YEAR - 1))
    counted_case = submit().case
    classify(counted_case, year=YEAR, motives=["antisemitism", "racism"], antisemitism_forms=["modern"])
    rejected = submit().case
    classify(rejected, year=YEAR)
    case_set_status(actor=None, case=rejected, status="rejected")
    original, duplicate = submit().case, submit().case
    classify(duplicate, year=YEAR, district="online")
    # marked after classifying: the original is unclassified, so the record moves over and counts
    case_mark_duplicate(actor=None, case=duplicate, original=original)

    k = selectors.min_cell()
    counted = selectors.counted_records(year=YEAR)
    row_by_row, _audit = disclosure.publish_release(
        tables.aggregate(selectors.record_rows(counted), year=YEAR), year=YEAR, k=k
    )
    publication = statistics_publish(actor=None, year=YEAR, note="")
    publication.refresh_from_db()
    assert publication.tables == row_by_row
    assert row_by_row["total"]["value"] == counted.count()
    assert any(table["cells"][i]["suppressed"] for table in row_by_row["tables"].values()
               for i in range(len(table["cells"])))
