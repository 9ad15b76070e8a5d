"""Demo statistics for `make run`: two earlier years of invented, plausible incidents.

Generated with a fixed seed, flagged ``is_demo`` (the pages say so), recorded as incidents of
their own through ``incident_records_import`` (no case behind them), and published through
the audited release path.  Idempotent: a year that already has demo records is left alone.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from reporting.models import Organisation
from stats import tables
from stats.models import Publication, StatisticsRecord
from stats.services import Classification, incident_records_import, statistics_publish

SEED = 20240611

# Rough weights: the big cities and the Hannover region get more reports.
_BIG = {"03241": 14, "03101": 5, "03403": 4, "03404": 4, "03103": 2, "03159": 4, "03402": 2}
_MOTIVES = (
    ("racism", 30), ("anti_black_racism", 10), ("anti_muslim_racism", 12), ("antiziganism", 5),
    ("xenophobia", 20), ("antisemitism", 18), ("other", 3),
)
_TYPES = (
    ("offensive_behaviour", 48), ("discrimination", 18), ("property_damage", 12), ("threat", 10),
    ("assault", 7), ("mass_mailing", 4), ("extreme_violence", 1),
)
_AREAS = (
    ("public_space", 24), ("online", 16), ("transport", 10), ("work", 8), ("education", 9),
    ("housing", 7), ("goods_services", 8), ("authorities", 6), ("police_justice", 2),
    ("health", 3), ("neighbourhood", 6), ("other", 1),
)
_CHANNELS = (
    ("online_form", 55), ("phone", 12), ("in_person", 10), ("email", 10),
    ("other_organisation", 8), ("media_monitoring", 5),
)
_FORMS = ("anti_judaism", "modern", "post_shoah", "israel_related", "othering")


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    codes, weights = zip(*weighted, strict=True)
    return rng.choices(codes, weights=weights)[0]


def _records(
    year: int, count: int, rng: random.Random, org_ids: list[int]
) -> list[tuple[Classification, int | None]]:
    districts = [(key, _BIG.get(key, 1)) for key in tables.district_keys()]
    districts += [("online", 16), ("unknown", 3)]
    district_table = tuple(districts)
    out: list[tuple[Classification, int | None]] = []
    for _ in range(count):
        motives = {_pick(rng, _MOTIVES)}
        if rng.random() < 0.15:
            motives.add(_pick(rng, _MOTIVES))
        forms: list[str] = []
        if "antisemitism" in motives:
            forms = sorted(set(rng.sample(_FORMS, k=rng.choice((1, 1, 2)))))
        district = _pick(rng, district_table)
        area = "online" if district == "online" else _pick(rng, _AREAS)
        organisation_id = rng.choice(org_ids) if org_ids else None
        out.append((
            Classification(
                year=year,
                month=rng.randint(1, 12),
                district=district,
                incident_type=_pick(rng, _TYPES),
                motives=tuple(sorted(motives)),
                antisemitism_forms=tuple(forms),
                area_of_life=area,
                channel=_pick(rng, _CHANNELS),
                people_affected=rng.choice((1, 1, 1, 2, 3, None)),
            ),
            organisation_id,
        ))
    return out


def load_demo_statistics() -> list[int]:
    """Create and publish demo records for the two years before the current one; returns the
    years that were created now."""
    current = timezone.localdate().year
    rng = random.Random(SEED)  # noqa: S311 - invented demo data, not security
    org_ids = list(Organisation.objects.filter(is_demo=True).values_list("pk", flat=True))
    created = []
    for offset, count in ((2, 184), (1, 231)):
        year = current - offset
        batch = _records(year, count, rng, org_ids)  # drawn always, so each year stays stable
        with transaction.atomic():
            if not StatisticsRecord.objects.filter(year=year, is_demo=True).exists():
                incident_records_import(actor=None, rows=batch, is_demo=True)
                created.append(year)
        if not Publication.objects.filter(year=year).exists():
            statistics_publish(actor=None, year=year, note="")
    return created
