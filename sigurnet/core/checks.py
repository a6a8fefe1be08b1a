"""System checks that `python -m sigurnet check --deploy` runs in production."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Info, Tags, Warning, register
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)


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


@register(Tags.security, deploy=True)
def database_user_is_not_a_superuser(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The application must not connect as a PostgreSQL superuser: a superuser can disable the
    audit trail's trigger (docs/deployment.md, section 9).

    This check opens a database connection. When the database cannot be reached it says so as
    information, not as a warning: the other checks still apply, and `migrate` reports the
    connection problem itself.
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
    except DatabaseError as error:
        log.debug("Database role check skipped: %s", error)
        return [
            Info(
                "Could not connect to the database to check that the application's role is "
                "not a superuser.",
                id="sigurnet.I002",
            )
        ]
    if not row or not row[0]:
        return []
    return [
        Warning(
            "The application connects to PostgreSQL as a superuser; a superuser can disable "
            "the audit trail's trigger and erase the trail.",
            hint="Connect as a role without SUPERUSER that does not own the tables "
            "(docs/deployment.md, sections 2 and 9).",
            id="sigurnet.W002",
        )
    ]


@register(Tags.security, deploy=True)
def client_address_is_read_behind_a_proxy(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Behind a proxy (SIGURNET_BEHIND_PROXY=1 sets SECURE_PROXY_SSL_HEADER) the socket address is
    the proxy's, so SIGURNET_TRUSTED_PROXIES=0 makes every visitor one client."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is None:
        return []
    if settings.SIGURNET_TRUSTED_PROXIES > 0:
        return []
    return [
        Warning(
            "SIGURNET_BEHIND_PROXY is set but SIGURNET_TRUSTED_PROXIES is 0: every visitor "
            "appears as the proxy's address, so all reporters share one per-client rate limit "
            "and one lock for wrong receipt codes, and the audit trail records the proxy.",
            hint="Set SIGURNET_TRUSTED_PROXIES to the number of proxies in front (usually 1).",
            id="sigurnet.W003",
        )
    ]
