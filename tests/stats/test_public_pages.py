"""Public pages: tables, map, neutral labels, downloads equal to the page, versions, the year
list, no live figures and the provisional banner."""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from stats import presentation
from stats.models import Publication
from stats.selectors import next_provisional_release
from stats.services import statistics_publish

NEUTRAL = {
    "en": "not published to protect individuals",
    "de": "zum Schutz von Personen nicht veröffentlicht",
}
# What a suppressed cell must never be called: a complementary cell can hold any number >= k.
SIZE_CLAIMS = re.compile(r"fewer than|weniger als|less than|&lt;\s*\d", re.IGNORECASE)
CSV_COLUMNS = [
    "year",
    "version",
    "published_on",
    "provisional",
    "demo",
    "table",
    "code",
    "label",
    "value",
    "suppressed",
]


@pytest.fixture
def published_2024(fallback_org, submit, classify) -> Any:
    for _ in range(5):
        classify(submit().case, motives=["racism"], district="03241")
    classify(
        submit().case, motives=["antisemitism", "racism"], incident_type="threat", district="03241"
    )
    return statistics_publish(actor=None, year=2024)


@pytest.fixture
def published_2023(fallback_org, submit, classify) -> Any:
    """A year with complementary cells far above k: the 12 assaults and the 3 incidents in
    Salzgitter are hidden only to protect the single threat in Wolfsburg."""
    for district, n in (("03241", 5), ("03101", 4), ("03102", 3)):
        for _ in range(n):
            classify(submit().case, year=2023, district=district)
    classify(
        submit().case, year=2023, district="03103", incident_type="threat", motives=["antisemitism"]
    )
    return statistics_publish(actor=None, year=2023)


def page_cells(html: str, table: str) -> dict[str, tuple[str, str]]:
    """key -> (data-value, data-suppressed) of one data table on the page."""
    block = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return {
        key: (value, suppressed)
        for key, value, suppressed in re.findall(
            r'data-key="([^"]+)">.*?data-value="([^"]*)" data-suppressed="(true|false)"',
            block,
            flags=re.S,
        )
    }


def cell_html(html: str, table: str, key: str) -> str:
    block = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return block.split(f'data-key="{key}">', 1)[1].split("</tr>", 1)[0]


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def has_field(name: str) -> bool:
    return any(f.name == name for f in Publication._meta.get_fields())


def publish_provisional(year: int, monkeypatch: pytest.MonkeyPatch) -> Publication:
    """A scheduled provisional snapshot of ``year``, through the service where it can make one.

    Until the release-aware Publication (issue 11) lands, the snapshot is an ordinary release
    and the attribute the pages read is set on the model class."""
    if "provisional" in inspect.signature(statistics_publish).parameters:
        return statistics_publish(actor=None, year=year, provisional=True)
    publication = statistics_publish(actor=None, year=year)
    if has_field("provisional"):
        Publication.objects.filter(pk=publication.pk).update(provisional=True)
        publication.refresh_from_db()
    else:
        monkeypatch.setattr(Publication, "provisional", True, raising=False)
    return publication


@pytest.mark.parametrize("lang", ["de", "en"])
def test_year_page_shows_tables_map_and_attribution(client, published_2024, lang) -> None:
    response = client.get(f"/{lang}/statistics/2024/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="district ') == 45
    assert "© GeoBasis-DE / BKG 2021 (Daten verändert)" in html
    assert 'href="https://www.bkg.bund.de"' in html
    assert 'data-total="6"' in html
    for table in ("incident_type", "motive", "area_of_life", "month"):
        assert f'data-table="{table}"' in html
    assert ' style="' not in html
    assert "<style" not in html
    assert 'scope="row"' in html and "<caption" in html


# ------------------------------------------------------------------------------ neutral labels


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_suppressed_cell_reads_the_same_neutral_label(client, published_2023, lang) -> None:
    html = client.get(f"/{lang}/statistics/2023/").content.decode()
    cells = page_cells(html, "incident_type")
    assert cells["threat"] == ("", "true")  # 1: a small figure
    assert cells["assault"] == ("", "true")  # 12: hidden with it, far above k
    assert page_cells(html, "district")["03102"] == ("", "true")  # 3 = k: hidden with 03103
    threat, assault = (
        cell_html(html, "incident_type", "threat"),
        cell_html(html, "incident_type", "assault"),
    )
    for cell in (threat, assault):
        assert NEUTRAL[lang] in cell  # read out by screen readers
        assert f'<span aria-hidden="true">{presentation.SUPPRESSED_MARK}</span>' in cell
    # The primary and the complementary cell cannot be told apart on the page.
    assert threat.split("<td", 1)[1] == assault.split("<td", 1)[1]
    assert "12" not in assault
    assert not SIZE_CLAIMS.search(html)
    assert 'data-legend="suppressed"' in html
    legend = html.split('data-legend="suppressed"', 1)[1].split("</p>", 1)[0]
    assert presentation.SUPPRESSED_MARK in legend and NEUTRAL[lang] in legend


def test_charts_and_map_label_suppressed_cells_neutrally(client, published_2023) -> None:
    html = client.get("/en/statistics/2023/").content.decode()
    chart = html.split('data-table="incident_type"', 1)[0].rsplit('<svg class="bar-chart"', 1)[1]
    chart = chart.split("</svg>", 1)[0]
    assault_row = chart.split(">Physical attack</text>", 1)[1].split("</g>", 1)[0]
    assert f">{presentation.SUPPRESSED_MARK}</text>" in assault_row
    assert "12" not in assault_row and "<rect" not in assault_row  # no bar that hints a size
    map_svg = html.split('<svg xmlns="http://www.w3.org/2000/svg" class="district-map"', 1)[1]
    map_svg = map_svg.split("</svg>", 1)[0]
    salzgitter = map_svg.split('data-ags="03102"', 1)[1].split("</path>", 1)[0]
    assert "qs" in map_svg.split('data-ags="03102"', 1)[0].rsplit("<path", 1)[1]
    assert "<title>Salzgitter: not published to protect individuals</title>" in salzgitter
    legend = html.split('class="choropleth-legend"', 1)[1].split("</ul>", 1)[0]
    assert "not published to protect individuals" in legend
    assert not SIZE_CLAIMS.search(chart + map_svg + legend)


def test_json_download_marks_suppressed_cells_null_without_a_size(client, published_2023) -> None:
    response = client.get("/en/statistics/2023/data.json")
    data = json.loads(response.content)
    cells = {c["key"]: c for c in data["tables"]["incident_type"]["cells"]}
    assert cells["assault"] == {"key": "assault", "value": None, "suppressed": True}
    assert cells["threat"] == {"key": "threat", "value": None, "suppressed": True}
    assert "not published to protect individuals" in data["methodology"]
    assert not SIZE_CLAIMS.search(response.content.decode())


# ------------------------------------------------------------------------------ downloads


@pytest.mark.parametrize(
    ("lang", "assault", "total"),
    [("en", "Physical attack", "All incidents"), ("de", "Körperlicher Angriff", "Alle Vorfälle")],
)
def test_csv_has_release_columns_code_and_label(
    client, published_2023, lang, assault, total
) -> None:
    response = client.get(f"/{lang}/statistics/2023/data.csv")
    assert response["Content-Disposition"] == 'attachment; filename="statistics-2023-v1.csv"'
    text = response.content.decode()
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = csv_rows(response)
    published_on = timezone.localtime(published_2023.created_at).date().isoformat()
    for row in rows:
        assert (row["year"], row["version"], row["published_on"]) == ("2023", "1", published_on)
        assert (row["provisional"], row["demo"]) == ("false", "false")
    assert rows[0] == {
        **rows[0],
        "table": "total",
        "code": "all",
        "label": total,
        "value": "13",
        "suppressed": "false",
    }
    by_code = {(r["table"], r["code"]): r for r in rows}
    assert by_code[("incident_type", "assault")]["label"] == assault
    assert (
        by_code[("incident_type", "assault")]["value"],
        by_code[("incident_type", "assault")]["suppressed"],
    ) == ("", "true")
    assert (by_code[("district", "03241")]["label"], by_code[("district", "03241")]["value"]) == (
        "Region Hannover",
        "5",
    )
    assert by_code[("month", "5")]["value"] == "13"
    assert not SIZE_CLAIMS.search(text)


def test_csv_marks_demo_releases(client, db) -> None:
    from stats.demo import load_demo_statistics

    year = load_demo_statistics()[-1]
    rows = csv_rows(client.get(f"/en/statistics/{year}/data.csv"))
    assert rows and {r["demo"] for r in rows} == {"true"}


def test_csv_and_json_equal_the_page(client, published_2024) -> None:
    html = client.get("/en/statistics/2024/").content.decode()
    data = json.loads(client.get("/en/statistics/2024/data.json").content)
    rows = csv_rows(client.get("/en/statistics/2024/data.csv"))
    assert data["version"] == 1 and data["provisional"] is False
    assert data["geography"] == "district"
    for table in ("incident_type", "motive", "area_of_life", "month", "channel"):
        on_page = page_cells(html, table)
        for cell in data["tables"][table]["cells"]:
            expected = "" if cell["value"] is None else str(cell["value"])
            assert on_page[cell["key"]] == (expected, "true" if cell["suppressed"] else "false")
        from_csv = {r["code"]: (r["value"], r["suppressed"]) for r in rows if r["table"] == table}
        assert from_csv == on_page
    assert data["total"] == {"value": 6, "suppressed": False}


def test_frozen_page_does_not_change_after_more_classifications(
    client, published_2024, submit, classify
) -> None:
    for _ in range(3):
        classify(submit().case)
    assert 'data-total="6"' in client.get("/en/statistics/2024/").content.decode()
    statistics_publish(actor=None, year=2024, note="Three late classifications.")
    html = client.get("/en/statistics/2024/").content.decode()
    assert 'data-total="9"' in html
    assert "Three late classifications." in html
    assert 'data-total="6"' in client.get("/en/statistics/2024/v1/").content.decode()
    assert json.loads(client.get("/en/statistics/2024/v1/data.json").content)["total"]["value"] == 6
    rows = csv_rows(client.get("/en/statistics/2024/v1/data.csv"))
    assert {r["version"] for r in rows} == {"1"} and rows[0]["value"] == "6"


# ------------------------------------------------------------------------------ years


def test_index_lists_years_comparison_and_methodology(client, published_2024) -> None:
    html = client.get("/de/statistics/").content.decode()
    assert "/de/statistics/2024/" in html
    assert 'data-table="comparison"' in html
    assert 'id="methodology"' in html
    assert client.get("/en/statistics/methodology/").status_code == 200


def test_year_list_starts_with_the_latest_published_year(
    client, published_2023, published_2024, submit, classify
) -> None:
    running = timezone.localdate().year
    classify(submit().case, year=running, month=1)  # classified, not released
    html = client.get("/en/statistics/").content.decode()
    years = re.findall(r'<li data-year="(\d+)">', html)
    assert years == ["2024", "2023"]
    # 2023's motive cells are hidden in the comparison too, with the same legend.
    comparison = html.split('data-table="comparison"', 1)[1].split("</section>", 1)[0]
    assert 'data-legend="suppressed"' in comparison and not SIZE_CLAIMS.search(comparison)
    assert f"/en/statistics/{running}/" not in html


def test_unpublished_year_is_404(client, db) -> None:
    assert client.get("/en/statistics/2019/").status_code == 404
    assert client.get("/en/statistics/2019/data.csv").status_code == 404
    assert client.get("/en/statistics/2024/v7/").status_code == 404


def test_no_live_figures_before_a_release(client, fallback_org, submit, classify) -> None:
    """A classified incident of the running year reaches no public page or API answer until
    a release of that year is frozen."""
    running = timezone.localdate().year
    for _ in range(4):
        classify(submit().case, year=running, month=1)
    for lang in ("de", "en"):
        for suffix in ("", "data.csv", "data.json"):
            assert client.get(f"/{lang}/statistics/{running}/{suffix}").status_code == 404
        assert f"/statistics/{running}/" not in client.get(f"/{lang}/statistics/").content.decode()
    assert client.get(f"/api/v1/statistics/{running}/").status_code == 404
    assert client.get(f"/api/v1/statistics/{running}/?format=csv").status_code == 404
    index = client.get("/api/v1/statistics/").json()
    assert index["years"] == [] and "provisional_year" not in index

    statistics_publish(actor=None, year=running)
    classify(submit().case, year=running, month=2)  # after the release: not shown
    assert 'data-total="4"' in client.get(f"/en/statistics/{running}/").content.decode()
    assert client.get(f"/api/v1/statistics/{running}/").json()["total"]["value"] == 4
    assert [y["year"] for y in client.get("/api/v1/statistics/").json()["years"]] == [running]


# ------------------------------------------------------------------------------ provisional


@pytest.mark.parametrize("lang", ["de", "en"])
def test_provisional_release_has_a_banner_with_the_next_release_date(
    client, fallback_org, submit, classify, settings, monkeypatch, lang
) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = "quarterly"
    today = timezone.localdate()
    for _ in range(3):
        classify(submit().case, year=today.year, month=1)
    publication = publish_provisional(today.year, monkeypatch)
    html = client.get(f"/{lang}/statistics/{today.year}/").content.decode()
    banner = html.split("data-provisional", 1)[1].split("</div>\n</div>", 1)[0]
    due = next_provisional_release(today)
    assert due is not None and due > today
    assert f'data-next-release="{due.isoformat()}"' in banner
    with translation.override(lang):
        as_of = date_format(timezone.localtime(publication.created_at), "DATE_FORMAT")
        expected = [
            translation.gettext("Provisional figures as of %(date)s.") % {"date": as_of},
            translation.gettext("The next provisional release is due on %(date)s.")
            % {"date": date_format(due, "DATE_FORMAT")},
            translation.gettext("Final figures come with the annual release."),
        ]
    for sentence in expected:
        assert sentence in banner
    if lang == "en":
        assert f"Provisional figures as of {as_of}." in banner
        assert "Final figures come with the annual release." in banner
    else:
        assert "Vorläufige Zahlen, Stand" in banner
    index = client.get(f"/{lang}/statistics/").content.decode()
    assert f'<li data-year="{today.year}">' in index and "kern-badge--warning" in index
    assert json.loads(client.get(f"/{lang}/statistics/{today.year}/data.json").content)[
        "provisional"
    ]
    assert {
        r["provisional"] for r in csv_rows(client.get(f"/{lang}/statistics/{today.year}/data.csv"))
    } == {"true"}
    api = client.get("/api/v1/statistics/").json()["years"][0]
    assert api["year"] == today.year and api["provisional"] is True


def test_provisional_banner_without_a_schedule_names_no_date(
    client, fallback_org, submit, classify, settings, monkeypatch
) -> None:
    settings.STATS_PROVISIONAL_SCHEDULE = "off"
    today = timezone.localdate()
    for _ in range(3):
        classify(submit().case, year=today.year, month=1)
    publish_provisional(today.year, monkeypatch)
    html = client.get(f"/en/statistics/{today.year}/").content.decode()
    assert "data-provisional" in html and "data-next-release" not in html
    assert "Final figures come with the annual release." in html


def test_annual_release_has_no_provisional_banner(client, published_2024) -> None:
    html = client.get("/en/statistics/2024/").content.decode()
    assert "data-provisional" not in html and "Provisional figures as of" not in html


def test_audit_summary_is_shown_when_the_release_carries_one(
    client, published_2024, monkeypatch
) -> None:
    summary = {"cells_audited": 7, "min_values": 4, "failures": 0, "seconds": 0.3}
    if has_field("audit"):
        Publication.objects.filter(pk=published_2024.pk).update(audit={"summary": summary})
    else:
        monkeypatch.setattr(Publication, "audit", {"summary": summary}, raising=False)
    html = client.get("/en/statistics/2024/").content.decode()
    audit = html.split("data-audit>", 1)[1].split("</p>", 1)[0]
    assert "figures checked: 7" in audit and "at least 4 possible values" in audit
    assert json.loads(client.get("/en/statistics/2024/data.json").content)["audit"] == summary
