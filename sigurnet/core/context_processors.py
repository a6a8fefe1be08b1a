from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

from sigurnet.core.selectors import enabled_languages, get_profile


def site(request: HttpRequest) -> dict[str, Any]:
    """The deployment profile and the language switch, for every template."""
    current = get_language()
    path = request.get_full_path()
    switch = [
        {
            "code": code,
            "name": settings.LANGUAGE_SELF_NAMES[code],
            "url": translate_url(path, code),
            "current": code == current,
        }
        for code in enabled_languages()
    ]
    return {"profile": get_profile(), "language_switch": switch}
