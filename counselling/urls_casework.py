from __future__ import annotations

from django.urls import path

from counselling.views import casework

urlpatterns = [
    path("cases/<int:case_id>/casework/contact/", casework.contact_view, name="casework_contact"),
    path("cases/<int:case_id>/casework/intervention/", casework.intervention_view, name="casework_intervention"),
    path("cases/<int:case_id>/casework/justice/", casework.justice_view, name="casework_justice"),
    path("cases/<int:case_id>/casework/deadline/", casework.deadline_view, name="casework_deadline"),
    path("cases/<int:case_id>/casework/deadline/done/", casework.deadline_done_view, name="casework_deadline_done"),
    path("cases/<int:case_id>/casework/referral/", casework.referral_view, name="casework_referral"),
    path("cases/<int:case_id>/casework/close/", casework.close_view, name="casework_close"),
    path("cases/<int:case_id>/casework/summary/", casework.summary_view, name="casework_summary"),
    path("counselling-statistics/", casework.funder_page, name="funder_statistics"),
    path("counselling-statistics/export.csv", casework.funder_export, name="funder_export"),
    path("exports/<slug:network>.csv", casework.network_export_view, name="network_export"),
]
