from __future__ import annotations

from django.urls import path

from counselling import views
from counselling.views import case_page, casework, help_directory, replies
from meldestelle.converters import register_hexuuid

register_hexuuid()

app_name = "counselling"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("unlock/", views.unlock_view, name="unlock"),
    path("password/", views.password_change, name="password"),
    path("notifications/", views.notification_settings, name="notifications"),
    path("cases/new/", views.manual_entry, name="manual_entry"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/take/", views.case_take_view, name="case_take"),
    path("cases/<int:case_id>/assign/", views.case_assign_view, name="case_assign"),
    path("cases/<int:case_id>/status/", views.case_status_view, name="case_status"),
    path("cases/<int:case_id>/messages/", views.case_message_view, name="case_message"),
    path("cases/<int:case_id>/notes/", views.case_note_view, name="case_note"),
    path("cases/<int:case_id>/duplicate/", views.case_duplicate_view, name="case_duplicate"),
    path("cases/<int:case_id>/duplicate/remove/", views.case_unmark_duplicate_view, name="case_unmark_duplicate"),
    path("cases/<int:case_id>/transfer/", views.case_transfer_view, name="case_transfer"),
    path("cases/<int:case_id>/delete/", views.case_delete_view, name="case_delete"),
    path("cases/<int:case_id>/files/", views.case_file_add_view, name="case_file_add"),
    path("cases/<int:case_id>/files/<hexuuid:attachment_uuid>/", views.attachment_download, name="attachment"),
    path("cases/<int:case_id>/files/<hexuuid:attachment_uuid>/view/", case_page.attachment_inline,
         name="attachment_inline"),
    path("admin/", views.admin_home, name="admin"),
    path("admin/invite/", views.admin_invite, name="admin_invite"),
    path("admin/settings/", views.admin_settings, name="admin_settings"),
    path("admin/replies/", replies.reply_templates, name="reply_templates"),
    path("admin/replies/<int:template_id>/delete/", replies.reply_template_remove, name="reply_template_delete"),
    path("admin/key/rotate/", views.admin_rotate_key, name="admin_rotate_key"),
    path("admin/members/<int:member_id>/grant/", views.admin_grant, name="admin_grant"),
    path("admin/members/<int:member_id>/revoke/", views.admin_revoke, name="admin_revoke"),
    path("admin/members/<int:member_id>/reset-password/", views.admin_reset_password, name="admin_reset_password"),
    path("help-directory/", help_directory.help_directory, name="help_directory"),
    path("help-directory/<int:service_id>/", help_directory.help_directory_edit, name="help_directory_edit"),
    path("help-directory/<int:service_id>/delete/", help_directory.help_directory_delete,
         name="help_directory_delete"),
    path("cases/<int:case_id>/classify/", views.classify, name="classify"),
    path("statistics/", views.dashboard, name="statistics"),
    path("statistics/export.csv", views.dashboard_export, name="statistics_export"),
    path("statistics/publish/", views.publish, name="statistics_publish"),
    path("audit/", views.audit_log_view, name="audit"),
    # The counselling work (SPEC §5.1)
    path("cases/<int:case_id>/casework/contact/", casework.contact_view, name="casework_contact"),
    path("cases/<int:case_id>/casework/intervention/", casework.intervention_view, name="casework_intervention"),
    path("cases/<int:case_id>/casework/justice/", casework.justice_view, name="casework_justice"),
    path("cases/<int:case_id>/casework/deadline/", casework.deadline_view, name="casework_deadline"),
    path("cases/<int:case_id>/casework/deadline/done/", casework.deadline_done_view, name="casework_deadline_done"),
    path("cases/<int:case_id>/casework/referral/", casework.referral_view, name="casework_referral"),
    path("cases/<int:case_id>/casework/close/", casework.close_view, name="casework_close"),
    path("cases/<int:case_id>/casework/summary/", casework.summary_view, name="casework_summary"),
    path("cases/<int:case_id>/casework/consent/", casework.consent_view, name="casework_consent"),
    path("counselling-statistics/", casework.funder_page, name="funder_statistics"),
    path("counselling-statistics/export.csv", casework.funder_export, name="funder_export"),
    path("exports/<slug:network>.csv", casework.network_export_view, name="network_export"),
]
