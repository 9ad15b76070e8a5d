"""Helpers shared by the staff pages: the page renderer and safe redirects."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from counselling import auth
from counselling.access import membership_of
from reporting.models import Case

# Staff pages: no quick-exit button, and the site's name leads back to the inbox.
STAFF = {"show_leave_button": False, "home_url": reverse_lazy("counselling:inbox")}


def _page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    membership = membership_of(request.user)
    base = {**STAFF, "membership": membership, "key_problem": auth.key_problem_for(request.user)}
    return render(request, template, {**base, **(context or {})}, status=status)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _case_url(case: Case) -> str:
    return reverse("counselling:case", args=[case.pk])
