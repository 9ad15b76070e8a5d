from __future__ import annotations

from django.urls import include, path

from counselling import views

app_name = "counselling"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("login/", views.login_view, name="login"),
    # Classification for statistics (stats colleague) and audit/retention (operations colleague).
    path("", include("counselling.urls_classification")),
    path("", include("counselling.urls_audit")),
]
