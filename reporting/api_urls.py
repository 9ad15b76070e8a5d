from __future__ import annotations

from django.urls import path

from reporting import api_views

app_name = "reporting_api"
urlpatterns = [
    path("taxonomy/", api_views.TaxonomyView.as_view(), name="taxonomy"),
    path("partners/", api_views.PartnersView.as_view(), name="partners"),
    path("reports/challenge/", api_views.ChallengeView.as_view(), name="challenge"),
    path("reports/", api_views.ReportSubmitView.as_view(), name="reports"),
    path("followup/", api_views.FollowupView.as_view(), name="followup"),
    path("followup/challenge/", api_views.FollowupChallengeView.as_view(), name="followup_challenge"),
    path("followup/messages/", api_views.FollowupMessageView.as_view(), name="followup_messages"),
    path("followup/delete/", api_views.FollowupDeleteView.as_view(), name="followup_delete"),
]
