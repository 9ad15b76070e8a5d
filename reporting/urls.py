from __future__ import annotations

from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.report, name="report"),
    path("followup/", views.followup, name="followup"),
    path("followup/reply/", views.followup_reply, name="followup_reply"),
    path("followup/files/", views.followup_files, name="followup_files"),
    path("followup/delete/", views.followup_delete, name="followup_delete"),
    path("privacy/", views.privacy, name="privacy"),
    path("help/", views.help_now, name="help"),
    path("safety/", views.safety, name="safety"),
]
