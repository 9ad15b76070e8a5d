"""Staff pages are rendered one way (issue 15, step 4): every one has the staff frame, with its
navigation and the logout button, and the counselling app has one URL module per surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from counselling.models import Membership
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_every_staff_page_has_the_staff_navigation(fallback_org: Any, make_member: Any, submit: Any) -> None:
    case = submit().case
    admin = logged_in(make_member(fallback_org, role=Membership.Role.PARTNER_ADMIN))
    pages = ["/staff/", "/staff/password/", "/staff/notifications/", "/staff/admin/", "/staff/audit/",
             "/staff/statistics/", f"/staff/cases/{case.pk}/", f"/staff/cases/{case.pk}/classify/"]
    for url in pages:
        html = admin.get(url).content.decode()
        assert 'class="site-container staff-nav"' in html, url
        assert 'action="/staff/logout/"' in html, url


def test_one_url_module_per_app_and_surface() -> None:
    names = {path.name for path in (ROOT / "counselling").glob("*.py")}
    assert not {name for name in names if name.startswith(("urls_", "api_urls")) or name.endswith("_views.py")}
    assert (ROOT / "counselling" / "urls.py").exists() and (ROOT / "counselling" / "api" / "urls.py").exists()
