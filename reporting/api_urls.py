from __future__ import annotations

from django.urls import path

from reporting import api_choices, api_views

app_name = "reporting_api"
urlpatterns = [
    path("taxonomy/", api_views.TaxonomyView.as_view(), name="taxonomy"),
    path("partners/", api_views.PartnersView.as_view(), name="partners"),
    path("reports/challenge/", api_views.ChallengeView.as_view(), name="challenge"),
    path("reports/", api_views.ReportSubmitView.as_view(), name="reports"),
    path("reports/bind/", api_views.SealBindView.as_view(), name="reports_bind"),
    path("reports/sealed/", api_views.SealedReportView.as_view(), name="reports_sealed"),
    path("followup/", api_views.FollowupView.as_view(), name="followup"),
    path("followup/challenge/", api_views.FollowupChallengeView.as_view(), name="followup_challenge"),
    path("followup/messages/", api_views.FollowupMessageView.as_view(), name="followup_messages"),
    path("followup/sealed/", api_views.FollowupSealedView.as_view(), name="followup_sealed"),
    path("followup/sealed/messages/", api_views.FollowupSealedMessageView.as_view(), name="followup_sealed_messages"),
    path("followup/sealed/files/", api_views.FollowupSealedFilesView.as_view(), name="followup_sealed_files"),
    path("followup/delete/", api_views.FollowupDeleteView.as_view(), name="followup_delete"),
    path("followup/choices/", api_choices.FollowupChoicesView.as_view(), name="followup_choices"),
    path("followup/consent/", api_choices.FollowupConsentView.as_view(), name="followup_consent"),
    path("followup/summary/", api_choices.FollowupSummaryView.as_view(), name="followup_summary"),
    path("followup/outcome/", api_choices.FollowupOutcomeView.as_view(), name="followup_outcome"),
]
