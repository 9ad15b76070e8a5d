from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_view(request: HttpRequest) -> HttpResponse:
    return render(request, "counselling/login.html", {"show_leave_button": False})


def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "counselling/inbox.html", {"show_leave_button": False})
