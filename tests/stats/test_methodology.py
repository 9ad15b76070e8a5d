"""The methodology says what the code does: its numbers (k, the districts and regions, the
provisional schedule) come from the settings and the tables, in the frozen English text and
on the translated page alike."""

from __future__ import annotations

import re
from datetime import date

import pytest

from stats import tables
from stats.methodology import METHODOLOGY_VERSION, methodology_text
from stats.selectors import min_cell, next_provisional_release
from stats.services import statistics_publish

REGIONS = tables.region_names()
SCHEDULE_WORDS = {
    "en": {
        "quarterly": "every quarter",
        "monthly": "every month",
        "off": "do not publish provisional",
    },
    "de": {
        "quarterly": "jedes Quartal",
        "monthly": "jeden Monat",
        "off": "keine vorläufigen Zahlen",
    },
}


def test_regions_are_the_four_statistical_regions() -> None:
    assert sorted(REGIONS.values()) == ["Braunschweig", "Hannover", "Lüneburg", "Weser-Ems"]
    assert len(tables.district_keys()) == 45


@pytest.mark.parametrize(("k", "primary"), [(3, "1 to 2"), (4, "1 to 3"), (5, "1 to 4")])
def test_text_states_k_from_the_settings(settings, k, primary) -> None:
    settings.STATS_MIN_CELL = k
    text = methodology_text(k=min_cell())
    assert f"No figure from {primary} is published." in text
    assert f"no figure of {k} or more" in text
    assert f"at least {k} possible values" in text
    assert f"from {primary} incidents in total" in text
    assert "fewer than" not in text  # a hidden figure may be far above k


def test_text_names_the_districts_and_regions_from_the_tables() -> None:
    text = " ".join(methodology_text(k=3).split())
    names = ", ".join(REGIONS[code] for code in sorted(REGIONS))
    assert f"for the {len(tables.district_keys())} districts" in text
    assert f"for the {len(REGIONS)} statistical regions of Lower Saxony ({names})" in text
    assert "never switched in a later release of that year" in text


@pytest.mark.parametrize(
    ("schedule", "sentence"),
    [
        (
            "quarterly",
            "provisional figures are published every quarter, on the first day of the quarter.",
        ),
        (
            "monthly",
            "provisional figures are published every month, on the first day of the month.",
        ),
        ("off", "At present no provisional figures are published while a year is running."),
    ],
)
def test_text_states_the_provisional_schedule_from_the_settings(
    settings, schedule, sentence
) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = schedule
    text = " ".join(methodology_text(k=3).split())
    assert sentence in text
    assert "There are no live figures." in text


def test_text_states_the_release_rules() -> None:
    text = " ".join(methodology_text(k=3).split())
    for rule in (
        "The unit is the incident, not the report.",
        "The record stays when one of the reports is deleted",
        "and every figure of the same size",
        "Zeros are shown except in a table where every figure is hidden",
        "The protection holds against all releases of a year taken together",
        "a figure hidden in one release stays hidden in every later release of that year",
        "the size of each change between releases, which it assumes to be known",
        "more figures are hidden or the release is refused",
        "All versions stay available.",
    ):
        assert rule in text


def test_publication_freezes_the_text_in_force(settings, fallback_org, submit, classify) -> None:
    settings.STATS_MIN_CELL = 4
    for _ in range(4):
        classify(submit().case)
    publication = statistics_publish(actor=None, year=2024)
    assert f"methodology version {METHODOLOGY_VERSION}" in publication.methodology
    assert "No figure from 1 to 3 is published." in publication.methodology


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("schedule", ["quarterly", "monthly", "off"])
def test_page_renders_the_same_facts(client, db, settings, lang, schedule) -> None:
    settings.STATS_MIN_CELL = 4
    settings.STATS_PROVISIONAL_SCHEDULE = schedule
    html = client.get(f"/{lang}/statistics/methodology/").content.decode()
    section = " ".join(html.split('id="methodology"', 1)[1].split("</section>", 1)[0].split())
    facts = dict(re.findall(r'data-fact="(\w+)">(.*?)</li>', section))
    one_to = {"en": "1 to 3", "de": "1 bis 3"}[lang]
    at_least = {"en": "at least 4 possible values", "de": "mindestens 4 mögliche Werte"}[lang]
    neutral = {
        "en": "not published to protect individuals",
        "de": "zum Schutz von Personen nicht veröffentlicht",
    }[lang]
    assert one_to in facts["threshold"]
    assert neutral in facts["label"] and "•" in facts["label"]
    assert one_to in facts["zeros"] and " 4 " in facts["zeros"]
    assert at_least in facts["audit"]
    assert f" {len(tables.district_keys())} " in facts["geography"]
    assert f" {len(REGIONS)} " in facts["geography"]
    for name in REGIONS.values():
        assert name in facts["geography"]
    assert SCHEDULE_WORDS[lang][schedule] in facts["schedule"]
    for other in set(SCHEDULE_WORDS[lang]) - {schedule}:
        assert SCHEDULE_WORDS[lang][other] not in facts["schedule"]
    assert "fewer than" not in section and "weniger als" not in section
    assert f'data-methodology-version="{METHODOLOGY_VERSION}"' in html


# ------------------------------------------------------------------------------ consent and the chronicle

CONSENT_RULES = (
    "An incident is counted only while every report of it consents to the anonymous statistics",
    "goes to a monitoring network such as RIAS only while every report of it consents to that",
    "Withdrawn consent takes the incident out of every later release and every later export.",
    "Releases and exports made before the withdrawal stay as they were",
    "the counsellor enters what the person said, and enters any later change",
    "it is published only after the reporter approved it with their receipt code",
    "the description leaves the chronicle at once",
)


def test_text_states_the_consent_and_chronicle_rules() -> None:
    text = " ".join(methodology_text(k=3).split())
    for rule in CONSENT_RULES:
        assert rule in text


def test_page_states_the_consent_and_chronicle_rules(client, db) -> None:
    html = client.get("/en/statistics/methodology/").content.decode()
    section = " ".join(html.split('id="methodology"', 1)[1].split("</section>", 1)[0].split())
    facts = dict(re.findall(r'data-fact="(\w+)">(.*?)</li>', section))
    assert "Withdrawn consent takes the incident out of every later release and export." in facts["consent"]
    assert "Releases and exports made before stay as they were" in facts["consent"]
    assert "published only after the reporter approved it with their receipt code" in facts["chronicle"]


def test_the_consent_rules_are_what_the_code_does(fallback_org, submit, classify) -> None:
    """What the text says, done: a withdrawal leaves the next release and export, the frozen
    release stays; an incident counts only while every report of it consents."""
    from reporting.services import case_mark_duplicate
    from reporting.services.consent import consent_set
    from stats.models import Publication
    from stats.networks import network_export
    from stats.selectors import counted_records

    cases = [submit(consent_network=True).case for _ in range(6)]
    for case in cases:
        classify(case, motives=["antisemitism"])
    first = statistics_publish(actor=None, year=2024)
    assert len(network_export(actor=None, network="rias", year=2024).splitlines()) == 1 + 6
    consent_set(case=cases[0], contact=True, statistics=False, network=False, publication=False)
    assert counted_records(year=2024).count() == 5
    assert len(network_export(actor=None, network="rias", year=2024).splitlines()) == 1 + 5
    statistics_publish(actor=None, year=2024, note="Consent withdrawn.")
    assert Publication.objects.get(year=2024, version=1).tables == first.tables
    # A second report of the same incident that does not consent keeps the incident out.
    second = submit(consent_statistics=False).case
    case_mark_duplicate(actor=None, case=second, original=cases[1])
    assert counted_records(year=2024).count() == 4


# ------------------------------------------------------------------------------ the schedule


@pytest.mark.parametrize(
    ("today", "quarterly", "monthly"),
    [
        (date(2026, 1, 1), date(2026, 4, 1), date(2026, 2, 1)),
        (date(2026, 2, 15), date(2026, 4, 1), date(2026, 3, 1)),
        (date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 1)),
        (date(2026, 4, 1), date(2026, 7, 1), date(2026, 5, 1)),
        (date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 1)),
        (date(2026, 12, 2), date(2027, 1, 1), date(2027, 1, 1)),
        (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 1)),
    ],
)
def test_next_provisional_release_is_the_next_first_day(
    settings, today, quarterly, monthly
) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = "quarterly"
    assert next_provisional_release(today) == quarterly
    settings.STATS_PROVISIONAL_SCHEDULE = "monthly"
    assert next_provisional_release(today) == monthly


def test_no_provisional_release_when_the_schedule_is_off(settings) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = "off"
    assert next_provisional_release(date(2026, 5, 5)) is None


def test_unknown_schedule_is_refused(settings) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = "weekly"
    with pytest.raises(ValueError, match="STATS_PROVISIONAL_SCHEDULE"):
        next_provisional_release(date(2026, 5, 5))
