from __future__ import annotations

from django.urls import include, path

from counselling import api_casework, api_counselling, api_views
from meldestelle.converters import register_hexuuid

register_hexuuid()

app_name = "counselling_api"
urlpatterns: list = [
    path("auth/login/", api_views.LoginView.as_view(), name="login"),
    path("auth/logout/", api_views.LogoutView.as_view(), name="logout"),
    path("cases/", api_views.CaseListView.as_view(), name="cases"),
    path("cases/<int:case_id>/", api_views.CaseDetailView.as_view(), name="case"),
    path("cases/<int:case_id>/status/", api_views.CaseStatusView.as_view(), name="case_status"),
    path("cases/<int:case_id>/take/", api_views.CaseTakeView.as_view(), name="case_take"),
    path("cases/<int:case_id>/messages/", api_views.CaseMessageView.as_view(), name="case_messages"),
    path("cases/<int:case_id>/notes/", api_views.CaseNoteView.as_view(), name="case_notes"),
    path("cases/<int:case_id>/transfer/", api_views.CaseTransferView.as_view(), name="case_transfer"),
    path("cases/<int:case_id>/duplicate/", api_views.CaseDuplicateView.as_view(), name="case_duplicate"),
    path("cases/<int:case_id>/delete/", api_views.CaseDeleteView.as_view(), name="case_delete"),
    # Twins of the case page's casework actions (issue 19).
    path("cases/<int:case_id>/assign/", api_casework.CaseAssignView.as_view(), name="case_assign"),
    path("cases/<int:case_id>/files/", api_casework.CaseFileAddView.as_view(), name="case_files"),
    path("cases/<int:case_id>/files/<hexuuid:attachment_uuid>/", api_casework.CaseFileDownloadView.as_view(),
         name="case_file"),
    path("cases/<int:case_id>/files/<hexuuid:attachment_uuid>/preview/",
         api_casework.CaseFilePreviewView.as_view(), name="case_file_preview"),
    path("cases/<int:case_id>/reply-templates/", api_casework.CaseReplyTemplatesView.as_view(),
         name="case_reply_templates"),
    path("", include("counselling.api_urls_classification")),
    # The counselling work (SPEC §5.1)
    path("cases/<int:case_id>/casework/", api_counselling.CaseworkView.as_view(), name="casework"),
    path("cases/<int:case_id>/contacts/", api_counselling.CaseContactView.as_view(), name="case_contacts"),
    path("cases/<int:case_id>/interventions/", api_counselling.CaseInterventionView.as_view(),
         name="case_interventions"),
    path("cases/<int:case_id>/justice/", api_counselling.CaseJusticeView.as_view(), name="case_justice"),
    path("cases/<int:case_id>/deadlines/", api_counselling.CaseDeadlineView.as_view(), name="case_deadlines"),
    path("cases/<int:case_id>/deadlines/done/", api_counselling.CaseDeadlineDoneView.as_view(),
         name="case_deadline_done"),
    path("cases/<int:case_id>/referrals/", api_counselling.CaseReferralView.as_view(), name="case_referrals"),
    path("cases/<int:case_id>/close/", api_counselling.CaseCloseView.as_view(), name="case_close"),
    path("cases/<int:case_id>/summary/", api_counselling.CaseSummaryView.as_view(), name="case_summary"),
    path("directory/", api_counselling.DirectoryView.as_view(), name="directory"),
    path("counselling-statistics/", api_counselling.FunderStatisticsView.as_view(), name="funder_statistics"),
    path("exports/<slug:network>/", api_counselling.NetworkExportView.as_view(), name="network_export"),
]
