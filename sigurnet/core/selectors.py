"""Reads shared by every pillar."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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


# How the audit trail names its actions (the stored codes, see services.AuditAction, stay as
# they are: filters and reports depend on them). A code without a label here is shown as it is;
# a pillar that records actions of its own adds their labels with register_audit_labels().
AUDIT_ACTION_LABELS: dict[str, str | Promise] = {
    "auth.login": _("Password accepted"),
    "auth.second_factor_verified": _("Signed in with the second factor"),
    "auth.login_failed": _("Wrong password"),
    "auth.second_factor_failed": _("Wrong code for the second factor"),
    "auth.locked_out": _("Sign-in locked"),
    "auth.logout": _("Signed out"),
    "auth.session_expired": _("Signed out after inactivity"),
    "auth.totp_enrolled": _("Authenticator app set up"),
    "auth.backup_codes_issued": _("New backup codes made"),
    "audit.viewed": _("Audit trail viewed"),
    "admin.added": _("Added in the administration"),
    "admin.changed": _("Changed in the administration"),
    "admin.deleted": _("Deleted in the administration"),
}

# The keys of an event's details, and the fixed values some of them take.
AUDIT_DETAIL_LABELS: dict[str, str | Promise] = {
    "device": _("Device"),
    "username": _("Username"),
    "username_hash": _("Unknown username (hash)"),
    "scope": _("Scope"),
    "device_cookie": _("Browser"),
    "summary": _("Summary"),
    "actor": _("Staff member"),
    "action": _("Action"),
    "object_type": _("Object type"),
    "object_id": _("Object id"),
    "since": _("From"),
    "until": _("Until"),
}
AUDIT_DETAIL_VALUES: dict[str, dict[str, str | Promise]] = {
    "scope": {
        "this device": _("this browser"),
        "this address": _("this network address"),
        "all addresses": _("all network addresses"),
    },
    "device_cookie": {"trusted": _("known from an earlier sign-in")},
}

# The names under which sign-in devices are stored (core.auth gives ours; "default" and "backup"
# are django-otp's own), shown in the reader's language.
DEVICE_NAMES: dict[str, str | Promise] = {
    "Authenticator app": _("Authenticator app"),
    "Backup codes": _("Backup codes"),
    "default": _("Authenticator app"),
    "backup": _("Backup codes"),
}


def register_audit_labels(labels: dict[str, str | Promise]) -> None:
    """Name more audit actions (a pillar's own, e.g. "hotline.report_viewed")."""
    AUDIT_ACTION_LABELS.update(labels)


def audit_action_label(action: str) -> str:
    """The action in the reader's language; an unknown code as it is."""
    return str(AUDIT_ACTION_LABELS.get(action, action))


def device_display_name(name: str) -> str:
    """A sign-in device's name in the reader's language; a name someone typed, as it is."""
    return str(DEVICE_NAMES.get(name, name))


def audit_action_choices(actions: list[str]) -> list[tuple[str, str]]:
    """(code, label) for the filter, sorted by what the reader sees."""
    return sorted(((code, audit_action_label(code)) for code in actions), key=lambda c: c[1])


@dataclass(frozen=True)
class AuditRow:
    """One event as the audit trail page shows it."""

    occurred_at: datetime
    actor_name: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    client_ip: str
    details: list[tuple[str, str]]


def _detail_value(key: str, value: Any) -> str:
    text = str(value)
    if key == "device":
        return device_display_name(text)
    if key == "action":
        return audit_action_label(text)
    return str(AUDIT_DETAIL_VALUES.get(key, {}).get(text, text))


def audit_row(event: AuditEvent) -> AuditRow:
    detail = event.detail if isinstance(event.detail, dict) else {}
    return AuditRow(
        occurred_at=event.occurred_at,
        actor_name=event.actor_name,
        action=event.action,
        action_label=audit_action_label(event.action),
        object_type=event.object_type,
        object_id=event.object_id,
        client_ip=event.client_ip or "",
        details=[
            (str(AUDIT_DETAIL_LABELS.get(key, key)), _detail_value(key, value))
            for key, value in detail.items()
        ],
    )
