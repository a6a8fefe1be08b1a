"""``{% system_health_banner %}``: the staff pages' warning when background work or mail stops."""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.db import DatabaseError

from sigurnet.core import health

register = template.Library()
log = logging.getLogger(__name__)


@register.inclusion_tag("staff/health_banner.html", takes_context=True)
def system_health_banner(context: template.Context) -> dict[str, Any]:
    """The problems of ``core.health``, for those who may see them (and only then a query,
    at most every ``health.CACHE_SECONDS`` per process)."""
    request = context.get("request")
    if request is None or not health.may_see(getattr(request, "user", None)):
        return {"problems": []}
    try:
        return {"problems": health.current_problems()}
    except DatabaseError:  # the page itself still works (e.g. just before `migrate`)
        log.exception("Could not read the health of the background work")
        return {"problems": []}
