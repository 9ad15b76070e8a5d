from __future__ import annotations

from django.urls import path

from counselling import views

app_name = "counselling"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("login/", views.login_view, name="login"),
]
