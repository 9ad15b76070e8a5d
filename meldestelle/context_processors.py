from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language_info


def site(request: HttpRequest) -> dict[str, Any]:
    links = []
    path = request.get_full_path()
    current = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    # Only pages whose address carries the language can switch it by link; the staff area
    # follows the browser's language.
    prefixed = any(path.startswith(f"/{code}/") for code, _name in settings.LANGUAGES)
    for code, _name in settings.LANGUAGES if prefixed else ():
        info = get_language_info(code)
        links.append(
            {"code": code, "name": info["name_local"], "url": translate_url(path, code), "current": code == current}
        )
    return {
        "language_links": links,
        "show_leave_button": True,
        "leave_url": settings.LEAVE_QUICKLY_URLS.get(current) or settings.LEAVE_QUICKLY_URLS.get("*", ""),
    }
