"""Public pages: tables, map, suppression text, downloads equal to the page, versions."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from stats.services import statistics_publish


@pytest.fixture
def published_2024(fallback_org, submit, classify) -> Any:
    for _ in range(5):
        classify(submit().case, motives=["racism"], district="03241")
    classify(submit().case, motives=["antisemitism", "racism"], incident_type="threat",
             district="03241")
    return statistics_publish(actor=None, year=2024)


def page_cells(html: str, table: str) -> dict[str, tuple[str, str]]:
    """key -> (data-value, data-suppressed) of one data table on the page."""
    block = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return {
        key: (value, suppressed)
        for key, value, suppressed in re.findall(
            r'data-key="([^"]+)">.*?data-value="([^"]*)" data-suppressed="(true|false)"',
            block, flags=re.S,
        )
    }


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


def test_suppressed_cells_show_fewer_than_k(client, published_2024) -> None:
    html = client.get("/en/statistics/2024/").content.decode()
    cells = page_cells(html, "incident_type")
    assert cells["threat"] == ("", "true")
    assert "fewer than 3" in html
    assert "1</td>" not in html.split('data-table="incident_type"', 1)[1].split("</table>")[0]


def test_csv_and_json_equal_the_page(client, published_2024) -> None:
    html = client.get("/en/statistics/2024/").content.decode()
    data = json.loads(client.get("/en/statistics/2024/data.json").content)
    rows = list(csv.DictReader(io.StringIO(client.get("/en/statistics/2024/data.csv").content.decode())))
    assert data["version"] == 1 and data["provisional"] is False
    for table in ("incident_type", "motive", "area_of_life", "month", "channel"):
        on_page = page_cells(html, table)
        for cell in data["tables"][table]["cells"]:
            expected = "" if cell["value"] is None else str(cell["value"])
            assert on_page[cell["key"]] == (expected, "true" if cell["suppressed"] else "false")
        from_csv = {r["key"]: (r["value"], r["suppressed"]) for r in rows if r["table"] == table}
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


def test_index_lists_years_comparison_and_methodology(client, published_2024) -> None:
    html = client.get("/de/statistics/").content.decode()
    assert "/de/statistics/2024/" in html
    assert 'data-table="comparison"' in html
    assert 'id="methodology"' in html
    assert client.get("/en/statistics/methodology/").status_code == 200


def test_unpublished_year_is_404(client, db) -> None:
    assert client.get("/en/statistics/2019/").status_code == 404
    assert client.get("/en/statistics/2019/data.csv").status_code == 404
    assert client.get("/en/statistics/2024/v7/").status_code == 404


def test_current_year_is_provisional(client, fallback_org, submit, classify, settings) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    for _ in range(3):
        classify(submit().case, year=today.year, month=today.month)
    settings.STATS_SHOW_PROVISIONAL = True
    response = client.get(f"/en/statistics/{today.year}/")
    assert response.status_code == 200
    assert "Provisional figures" in response.content.decode()
    assert json.loads(client.get(f"/en/statistics/{today.year}/data.json").content)["provisional"]
    settings.STATS_SHOW_PROVISIONAL = False
    assert client.get(f"/en/statistics/{today.year}/").status_code == 404
