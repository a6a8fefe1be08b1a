"""System checks that `python -m sigurnet check --deploy` runs in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def public_base_url_is_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    url = settings.SIGURNET_PUBLIC_BASE_URL
    if url.startswith("https://"):
        return []
    return [
        Warning(
            "SIGURNET_PUBLIC_BASE_URL is not an https:// address; links in e-mails to staff "
            "would point to the wrong place.",
            hint="Set it to the site's public address, e.g. https://sigurnet.example.org",
            id="sigurnet.W001",
        )
    ]
