from __future__ import annotations

from django.urls import path

from counselling.api import classification, views

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
    path("cases/<int:case_id>/classification/", classification.CaseClassificationView.as_view(),
         name="case_classification"),
]
