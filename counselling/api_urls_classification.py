from __future__ import annotations

from django.urls import path

from counselling import classification_api

urlpatterns = [
    path(
        "cases/<int:case_id>/classification/",
        classification_api.CaseClassificationView.as_view(),
        name="case_classification",
    ),
]
