from __future__ import annotations

from django.urls import path

from counselling.api import casework, classification, counselling, views
from meldestelle.converters import register_hexuuid

register_hexuuid()

app_name = "counselling_api"
urlpatterns: list = [
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/<int:case_id>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<int:case_id>/status/", views.CaseStatusView.as_view(), name="case_status"),
    path("cases/<int:case_id>/take/", views.CaseTakeView.as_view(), name="case_take"),
    path("cases/<int:case_id>/messages/", views.CaseMessageView.as_view(), name="case_messages"),
    path("cases/<int:case_id>/notes/", views.CaseNoteView.as_view(), name="case_notes"),
    path("cases/<int:case_id>/transfer/", views.CaseTransferView.as_view(), name="case_transfer"),
    path("cases/<int:case_id>/duplicate/", views.CaseDuplicateView.as_view(), name="case_duplicate"),
    path("cases/<int:case_id>/delete/", views.CaseDeleteView.as_view(), name="case_delete"),
    # Twins of the case page's casework actions (issue 19).
    path("cases/<int:case_id>/assign/", casework.CaseAssignView.as_view(), name="case_assign"),
    path("cases/<int:case_id>/files/", casework.CaseFileAddView.as_view(), name="case_files"),
    path("cases/<int:case_id>/files/<hexuuid:attachment_uuid>/", casework.CaseFileDownloadView.as_view(),
         name="case_file"),
    path("cases/<int:case_id>/files/<hexuuid:attachment_uuid>/preview/",
         casework.CaseFilePreviewView.as_view(), name="case_file_preview"),
    path("cases/<int:case_id>/reply-templates/", casework.CaseReplyTemplatesView.as_view(),
         name="case_reply_templates"),
    path("cases/<int:case_id>/classification/", classification.CaseClassificationView.as_view(),
         name="case_classification"),
    # The counselling work (SPEC §5.1)
    path("cases/<int:case_id>/casework/", counselling.CaseworkView.as_view(), name="casework"),
    path("cases/<int:case_id>/contacts/", counselling.CaseContactView.as_view(), name="case_contacts"),
    path("cases/<int:case_id>/interventions/", counselling.CaseInterventionView.as_view(),
         name="case_interventions"),
    path("cases/<int:case_id>/justice/", counselling.CaseJusticeView.as_view(), name="case_justice"),
    path("cases/<int:case_id>/deadlines/", counselling.CaseDeadlineView.as_view(), name="case_deadlines"),
    path("cases/<int:case_id>/deadlines/done/", counselling.CaseDeadlineDoneView.as_view(),
         name="case_deadline_done"),
    path("cases/<int:case_id>/referrals/", counselling.CaseReferralView.as_view(), name="case_referrals"),
    path("cases/<int:case_id>/close/", counselling.CaseCloseView.as_view(), name="case_close"),
    path("cases/<int:case_id>/summary/", counselling.CaseSummaryView.as_view(), name="case_summary"),
    path("cases/<int:case_id>/consent/", counselling.CaseConsentView.as_view(), name="case_consent"),
    path("directory/", counselling.DirectoryView.as_view(), name="directory"),
    path("directory/<int:entry_id>/", counselling.DirectoryEntryView.as_view(), name="directory_entry"),
    path("counselling-statistics/", counselling.FunderStatisticsView.as_view(), name="funder_statistics"),
    path("exports/<slug:network>/", counselling.NetworkExportView.as_view(), name="network_export"),
]
