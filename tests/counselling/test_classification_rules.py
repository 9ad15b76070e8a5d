"""Classification input is validated once (issue 15, step 4): the page's form and the API hand
the raw values to stats.services.classification_clean, so both refuse the same input with the
same messages, and neither stores anything."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from stats.models import StatisticsRecord
from stats.services import ClassificationInvalid, classification_clean
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

BAD = {"incident_type": "nope", "motives": ["racism", "nope"], "area_of_life": "transport",
       "district": "99999", "year": "2999", "month": "13", "channel": "online_form", "people_affected": "0"}


def test_page_and_api_refuse_the_same_input_with_the_service_messages(
    fallback_org: Any, make_member: Any, submit: Any,
) -> None:
    case = submit().case
    with translation.override("en"), pytest.raises(ClassificationInvalid) as refused:
        classification_clean(BAD)
    expected = refused.value.fields
    assert set(expected) == {"incident_type", "motives", "district", "year", "month", "people_affected"}

    member = make_member(fallback_org)
    api = logged_in(member, Client(HTTP_ACCEPT_LANGUAGE="en"), api=True)
    response = api.post(f"/api/v1/cases/{case.pk}/classification/", BAD, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == expected

    page = logged_in(member).post(f"/staff/cases/{case.pk}/classify/", BAD)
    assert page.status_code == 400
    text = html.unescape(page.content.decode())
    for messages in expected.values():
        for message in messages:
            assert message in text
    assert not StatisticsRecord.objects.exists()
