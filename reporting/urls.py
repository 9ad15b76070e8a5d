from __future__ import annotations

from django.urls import path

from reporting import views, views_choices

app_name = "reporting"
urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.report, name="report"),
    path("followup/", views.followup, name="followup"),
    path("followup/reply/", views.followup_reply, name="followup_reply"),
    path("followup/files/", views.followup_files, name="followup_files"),
    path("followup/delete/", views.followup_delete, name="followup_delete"),
    path("followup/consent/", views_choices.followup_consent, name="followup_consent"),
    path("followup/summary/", views_choices.followup_summary, name="followup_summary"),
    path("followup/outcome/", views_choices.followup_outcome, name="followup_outcome"),
    path("privacy/", views.privacy, name="privacy"),
    path("help/", views.help_now, name="help"),
    path("safety/", views.safety, name="safety"),
]
