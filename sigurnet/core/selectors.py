"""Reads shared by every pillar."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from time import monotonic

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from sigurnet.core.models import AuditEvent, DeploymentProfile

log = logging.getLogger(__name__)

PROFILE_CACHE_KEY = "core:deployment-profile"
PROFILE_CACHE_SECONDS = 60
# Every page reads the profile several times; each process keeps it this long in memory, in
# front of the shared cache. Another process sees an administrator's change within this time.
PROFILE_MEMO_SECONDS = 5.0

_memo: tuple[float, DeploymentProfile] | None = None

# Used until an administrator saves a profile: a working site, not a blank one.
DEFAULT_PROFILE = {
    "centre_name": "Sigurnet",
    "country": "RS",
    "enabled_languages": ["en", "sr-latn", "sr", "bs"],
    "emergency_number": "192",
    "emergency_service": "",
    "helpline_phone": "",
    "helpline_hours": "",
    "hotline_email": "",
}


def get_profile() -> DeploymentProfile:
    """The deployment profile, cached briefly (``save_profile`` clears the caches).

    Callers must not change the instance they get: it is shared by the whole process.
    """
    global _memo
    memo = _memo
    now = monotonic()
    if memo is not None and memo[0] > now:
        return memo[1]
    profile = _shared_profile()
    _memo = (now + PROFILE_MEMO_SECONDS, profile)  # one assignment: safe between threads
    return profile


def forget_profile() -> None:
    """Drop this process's copy of the profile (the next read goes to the shared cache)."""
    global _memo
    _memo = None


def _shared_profile() -> DeploymentProfile:
    try:
        profile: DeploymentProfile | None = cache.get(PROFILE_CACHE_KEY)
    except Exception:  # the cache (Redis) is down: every page still works from the database
        log.warning("Cache unavailable; reading the deployment profile from the database")
        profile = None
        cached = False
    else:
        cached = True
    if profile is None:
        profile = DeploymentProfile.objects.filter(pk=1).first()
        if profile is None:
            profile = DeploymentProfile(pk=1, **DEFAULT_PROFILE)
        if cached:
            cache.set(PROFILE_CACHE_KEY, profile, PROFILE_CACHE_SECONDS)
    return profile


def enabled_languages() -> list[str]:
    known = [code for code, _name in settings.LANGUAGES]
    chosen = set(get_profile().enabled_languages or known)
    return [code for code in known if code in chosen] or known


# Where a reader of a disabled language is sent: the nearest enabled relative first.
NEAREST_LANGUAGES = {
    "sr": ("sr-latn", "bs"),
    "sr-latn": ("sr", "bs"),
    "bs": ("sr-latn", "sr"),
    "en": (),
}


def fallback_language(code: str) -> str:
    """The enabled language to offer someone who asked for ``code``."""
    enabled = enabled_languages()
    if code in enabled:
        return code
    for candidate in (*NEAREST_LANGUAGES.get(code, ()), settings.LANGUAGE_CODE):
        if candidate in enabled:
            return candidate
    return enabled[0]


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None


def audit_events(criteria: AuditFilter) -> QuerySet[AuditEvent]:
    """Audit events matching every given criterion, newest first."""
    events = AuditEvent.objects.all()
    if criteria.actor:
        events = events.filter(actor_name__iexact=criteria.actor)
    if criteria.action:
        events = events.filter(action=criteria.action)
    if criteria.object_type:
        events = events.filter(object_type=criteria.object_type)
    if criteria.object_id:
        events = events.filter(object_id=criteria.object_id)
    zone = timezone.get_current_timezone()
    if criteria.since:
        events = events.filter(occurred_at__gte=datetime.combine(criteria.since, time.min, zone))
    if criteria.until:
        events = events.filter(occurred_at__lte=datetime.combine(criteria.until, time.max, zone))
    return events.order_by("-occurred_at", "-id")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by().values_list("action", flat=True).distinct())
