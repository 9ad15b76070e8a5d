"""Everything published for a year, attacked together (issue 11): a year built through the
services, v1, one more incident, v2, then two provisional snapshots around one more
classification - and the independent attacker of ``tests/stats/attacker.py`` over all of
them, knowing the size of every change as each release records it."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.utils import timezone

from reporting.taxonomy import AreaOfLife, Channel, IncidentType, Motive
from stats import tables
from stats.disclosure import Change
from stats.models import Publication
from stats.selectors import DashboardFilter, internal_tables
from stats.services import Classification, incident_records_import, statistics_publish
from tests.stats.attacker import attack, narrowed

YEAR = timezone.localdate().year - 1
# A few big districts and several with one or two incidents, as in a real year.
SMALL = ("03153", "03460", "03254", "03454")
BIG = ("03241", "03241", "03241", "online", *(d for d in tables.district_keys()[:24] if d not in SMALL))


def _classification(rng: random.Random, **fixed: Any) -> Classification:
    motives = {rng.choice(list(Motive.values))}
    if rng.random() < 0.2:
        motives.add(rng.choice(list(Motive.values)))
    values: dict[str, Any] = {
        "incident_type": rng.choice(["offensive_behaviour"] * 5 + ["discrimination", "threat", "assault"]),
        "motives": tuple(sorted(motives)),
        "antisemitism_forms": ("modern",) if "antisemitism" in motives else (),
        "area_of_life": rng.choice([AreaOfLife.PUBLIC_SPACE.value] * 3 + list(AreaOfLife.values)),
        "district": rng.choice(BIG),
        "year": YEAR,
        "month": rng.randint(1, 12),
        "channel": rng.choice([Channel.ONLINE_FORM.value] * 4 + list(Channel.values)),
        "people_affected": None,
        **fixed,
    }
    return Classification(**values)


def _truth() -> dict[tuple[str, str], int]:
    internal = internal_tables(DashboardFilter(year=YEAR))
    out = {("total", "all"): internal["total"]["value"]}
    for name, table in internal["tables"].items():
        out.update({(name, cell["key"]): cell["value"] for cell in table["cells"]})
    return out


@pytest.mark.parametrize("seed", [3, 17])
def test_no_combination_of_releases_pins_a_hidden_figure(
    seed: int, fallback_org: Any, submit: Any, classify: Any
) -> None:
    rng = random.Random(seed)
    rows = [(_classification(rng), None) for _ in range(140)]
    rows += [(_classification(rng, district=district), None) for district in SMALL]
    # Two earlier incidents of the rare kind the late report will be (a hidden cell in v1).
    rows += [(_classification(rng, incident_type="extreme_violence", motives=("antisemitism",),
                              antisemitism_forms=("israel_related",)), None) for _ in range(2)]
    incident_records_import(actor=None, rows=rows, is_demo=False)
    truths: list[dict[tuple[str, str], int]] = []

    def release(**kwargs: Any) -> None:
        statistics_publish(actor=None, year=YEAR, **kwargs)
        truths.append(_truth())

    release()  # v1, the annual release
    assert Publication.objects.get(year=YEAR, version=1).geography == "district"
    # One late report: extreme violence in a district that had a single incident.
    late = submit().case
    classify(late, year=YEAR, month=5, district=SMALL[0], incident_type=IncidentType.EXTREME_VIOLENCE,
             motives=["antisemitism", "racism"], antisemitism_forms=["israel_related"],
             area_of_life="health", channel="phone")
    release(note="One late report")  # v2
    release(provisional=True)  # a snapshot ...
    more = submit().case
    classify(more, year=YEAR, month=9, district=SMALL[1], incident_type=IncidentType.ASSAULT,
             motives=["anti_muslim_racism"], area_of_life="transport", channel="online_form")
    release(provisional=True)  # ... and the next one, around one more classification

    publications = list(Publication.objects.filter(year=YEAR).order_by("version"))
    assert len(publications) == 4
    assert {p.geography for p in publications} == {"district"}
    releases = [p.tables for p in publications]
    changes = [Change(**p.change) for p in publications[1:]]
    assert changes == [Change(1, 0, 0), Change(0, 0, 0), Change(1, 0, 0)]

    found = attack(releases, changes, k=publications[0].k)
    assert len(found) >= 20, len(found)
    for secret, low, high in found:  # the attacker is sound: the truth lies in its range
        truth = truths[secret.release][(secret.table, secret.key)]
        if secret.table == "region":
            continue  # not published in a district year
        assert low <= truth <= high, (secret, low, high, truth)
    assert narrowed(found) == [], f"seed {seed}: {narrowed(found)}"

    # The added extreme-violence incident stays hidden in every release.
    for release_tables in releases:
        cell = next(c for c in release_tables["tables"]["incident_type"]["cells"]
                    if c["key"] == "extreme_violence")
        assert cell["value"] is None or cell["value"] == 0 or cell["value"] >= 3
