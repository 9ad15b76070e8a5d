from __future__ import annotations

from django.urls import path

from counselling import classification

urlpatterns = [
    path("cases/<int:case_id>/classify/", classification.classify, name="classify"),
]
