"""Report intake without round trips (issue 15, step 6): the anti-abuse gate is written once
(reporting.abuse.form_gate and submission_gate) and both the page and the API go through it;
the API hands its typed values to the form's rules as they are."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from reporting import abuse
from reporting.models import Case
from tests.helpers import REPORTS, post_json, report, solve

ROOT = Path(__file__).resolve().parents[2]
PARTS = {"honeypot_tripped", "form_age", "pow_check", "pow_consume", "submission_allowed"}


def _called(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "abuse"}


def test_page_and_api_use_the_one_gate() -> None:
    page, api = _called(ROOT / "reporting" / "views.py"), _called(ROOT / "reporting" / "api_views.py")
    assert {"form_gate", "submission_gate"} <= page and "submission_gate" in api
    assert not (page | api) & PARTS


@pytest.mark.django_db
@pytest.mark.parametrize("solved", [False, True])
def test_submission_gate_orders_puzzle_then_limits(settings: Any, solved: bool) -> None:
    settings.REPORT_POW_DIFFICULTY = 4
    settings.REPORT_RATE_PER_HOUR_NO_POW = 0
    cache.clear()
    challenge = abuse.challenge_issue()
    nonce = solve(challenge, 4) if solved else ""
    # The page may come without a solution: then the stricter limit (here 0) refuses it.
    page = abuse.submission_gate("client", challenge, nonce, puzzle_required=False)
    assert page is (abuse.Verdict.ALLOWED if solved else abuse.Verdict.THROTTLED)
    # The API must bring one; a solution counts once.
    api = abuse.submission_gate("client", challenge, nonce, puzzle_required=True)
    assert api is (abuse.Verdict.POW_INVALID if solved else abuse.Verdict.POW_MISSING)


@pytest.mark.django_db
def test_api_typed_values_reach_the_report_unchanged(client: Any, fallback_org: Any) -> None:
    response = post_json(client, REPORTS, report(
        wants_counselling=True, people_affected=3, motives=["racism", "antisemitism"], keep_metadata=False,
    ))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.wants_counselling is True
    assert sorted(case.motives) == ["antisemitism", "racism"]


def test_the_report_form_holds_no_upload_handling() -> None:
    """Files are checked and sanitised in reporting.uploads, for every form that takes them."""
    forms_source = (ROOT / "reporting" / "forms.py").read_text(encoding="utf-8")
    for name in ("sanitise_upload", "sniff_type", "class UploadsMixin", "def refusal_status", "def errors_as_fields"):
        assert name not in forms_source, name
    assert "class UploadsMixin" in (ROOT / "reporting" / "uploads.py").read_text(encoding="utf-8")
