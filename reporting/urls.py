from __future__ import annotations

from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.start, name="report"),
    path("followup/", views.start, name="followup"),
    path("privacy/", views.privacy, name="privacy"),
    path("help/", views.help_now, name="help"),
]
