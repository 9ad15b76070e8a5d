from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/start.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/privacy.html")


def help_now(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/help.html")
