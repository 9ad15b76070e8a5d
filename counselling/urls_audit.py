from __future__ import annotations

from django.urls import path

from counselling import audit_views

urlpatterns = [
    path("audit/", audit_views.audit_log_view, name="audit"),
]
