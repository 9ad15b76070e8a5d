from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView

from meldestelle import views

# The operator's admin asks for a TOTP code too (it holds no case content, but it is powerful).
admin.site.__class__ = OTPAdminSite

api_v1 = [
    path("", include("reporting.api_urls")),
    path("", include("counselling.api.urls")),
    path("", include("stats.api_urls")),
]

urlpatterns = [
    path("", views.language_home, name="language_home"),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("staff/", include("counselling.urls")),
    path("operator/", admin.site.urls),
]
urlpatterns += i18n_patterns(
    path("statistics/", include("stats.urls")),
    path("", include("reporting.urls")),
    prefix_default_language=True,
)

handler400 = "meldestelle.views.bad_request"
handler403 = "meldestelle.views.forbidden"
handler404 = "meldestelle.views.not_found"
handler500 = "meldestelle.views.server_error"

if settings.BENCH:
    urlpatterns.insert(0, path("bench/", include("benchmarks.bench_app.urls")))
