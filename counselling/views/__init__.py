"""Staff pages (SPEC §5): login and unlock, inbox, case work, manual entry, partner admin,
classification, internal statistics, the audit log and the member's notification setting.

Views parse input, check access (404 for anything not visible), call one service, render.
Every POST is a CSRF-protected form that works without JavaScript.

One module per concern; this package re-exports the views `counselling.urls` names.
"""

from __future__ import annotations

from counselling.views.admin import (
    admin_grant,
    admin_home,
    admin_invite,
    admin_reset_password,
    admin_revoke,
    admin_settings,
)
from counselling.views.audit import audit_log_view
from counselling.views.auth import login_view, logout_view, password_change, unlock_view
from counselling.views.cases import (
    attachment_download,
    case_assign_view,
    case_delete_view,
    case_detail,
    case_duplicate_view,
    case_file_add_view,
    case_message_view,
    case_note_view,
    case_status_view,
    case_take_view,
    case_transfer_view,
    case_unmark_duplicate_view,
)
from counselling.views.classification import classify
from counselling.views.common import STAFF, _page, _safe_next
from counselling.views.inbox import inbox, manual_entry
from counselling.views.keys import admin_rotate_key
from counselling.views.notifications import notification_settings
from counselling.views.statistics import dashboard, dashboard_export, publish

__all__ = [
    "STAFF",
    "_page",
    "_safe_next",
    "admin_grant",
    "admin_home",
    "admin_invite",
    "admin_reset_password",
    "admin_rotate_key",
    "admin_revoke",
    "admin_settings",
    "attachment_download",
    "audit_log_view",
    "case_assign_view",
    "case_delete_view",
    "case_detail",
    "case_duplicate_view",
    "case_unmark_duplicate_view",
    "case_file_add_view",
    "case_message_view",
    "case_note_view",
    "case_status_view",
    "case_take_view",
    "case_transfer_view",
    "classify",
    "dashboard",
    "dashboard_export",
    "inbox",
    "login_view",
    "logout_view",
    "manual_entry",
    "notification_settings",
    "password_change",
    "publish",
    "unlock_view",
]
