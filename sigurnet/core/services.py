"""Writes shared by every pillar: the audit trail and the deployment profile."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest

from sigurnet.core.models import AuditEvent, DeploymentProfile
from sigurnet.core.net import client_ip
from sigurnet.core.selectors import PROFILE_CACHE_KEY, forget_profile


class AuditAction:
    """The actions the trail records. Names are stable: reports and filters depend on them."""

    LOGIN = "auth.login"
    LOGIN_VERIFIED = "auth.second_factor_verified"
    LOGIN_FAILED = "auth.login_failed"
    SECOND_FACTOR_FAILED = "auth.second_factor_failed"
    LOCKED_OUT = "auth.locked_out"
    LOGOUT = "auth.logout"
    SESSION_EXPIRED = "auth.session_expired"
    TOTP_ENROLLED = "auth.totp_enrolled"
    BACKUP_CODES_ISSUED = "auth.backup_codes_issued"
    AUDIT_VIEWED = "audit.viewed"
    ADMIN_ADDED = "admin.added"
    ADMIN_CHANGED = "admin.changed"
    ADMIN_DELETED = "admin.deleted"


def record_audit_event(
    action: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail and return it.

    The actor defaults to the request's user. The client's address and browser are taken from
    the request when there is one (commands and tasks pass none).
    """
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = actor.get_username() if actor is not None and actor.is_authenticated else ""
    ip = client_ip(request) if request is not None else None
    agent = request.headers.get("User-Agent", "")[:200] if request is not None else ""
    return AuditEvent.objects.create(
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        client_ip=ip or None,
        user_agent=agent,
        detail=detail or {},
    )


def save_profile(profile: DeploymentProfile) -> DeploymentProfile:
    """Validate and store the deployment profile; every page sees the change at once."""
    profile.full_clean()
    profile.save()
    cache.delete(PROFILE_CACHE_KEY)
    forget_profile()
    return profile
