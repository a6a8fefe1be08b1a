"""Audit trail entries for sign-in events and Django admin changes."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry, LogEntryManager
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from sigurnet.core import auth
from sigurnet.core.middleware import current_request
from sigurnet.core.services import AuditAction, record_audit_event

ADMIN_ACTIONS = {
    ADDITION: AuditAction.ADMIN_ADDED,
    CHANGE: AuditAction.ADMIN_CHANGED,
    DELETION: AuditAction.ADMIN_DELETED,
}


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record_audit_event(AuditAction.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_audit_event(AuditAction.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", "") or "")[:150]
    device = auth.trusted_device_of(request)
    detail = auth.username_detail(auth.username_for_records(username))
    record_audit_event(
        AuditAction.LOGIN_FAILED,
        request=request,
        object_type="auth.user",
        detail={**detail, "device_cookie": "trusted"} if device else detail,
    )
    if device is not None:
        # Counted on the device cookie only, not on the address nor on the username.
        if auth.count_device_failure(device):
            record_audit_event(
                AuditAction.LOCKED_OUT,
                request=request,
                object_type="auth.user",
                detail={**detail, "scope": "this device"},
            )
        return
    if auth.count_wrong_password(username):
        record_audit_event(
            AuditAction.LOCKED_OUT,
            request=request,
            object_type="auth.user",
            detail={
                **auth.username_detail(auth.username_for_records(username)),
                "scope": "all addresses",
            },
        )


@receiver(user_locked_out)
def audit_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    record_audit_event(
        AuditAction.LOCKED_OUT,
        request=request,
        object_type="auth.user",
        # django-axes passes the username as AXES_USERNAME_CALLABLE recorded it.
        detail={**auth.username_detail(str(username)[:150]), "scope": "this address"},
    )


@receiver(post_save, sender=LogEntry)
def audit_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    content_type = instance.content_type
    record_audit_event(
        ADMIN_ACTIONS.get(instance.action_flag, AuditAction.ADMIN_CHANGED),
        actor=user,
        request=current_request(),  # for the client's address and browser
        object_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        object_id=instance.object_id or "",
        detail={"summary": instance.get_change_message()[:500]},
    )


def audit_bulk_log_entries() -> None:
    """Audit the admin's log entries that are written without ``post_save``.

    Django's admin writes the log entries of an action on several objects at once (for example
    "Delete selected") with ``bulk_create``, which sends no ``post_save``: without this, deleting
    two or more objects left nothing in the audit trail. Wrap the manager's ``log_actions`` so
    that each entry written in bulk is audited like a single one.
    """
    original = LogEntryManager.log_actions
    if getattr(original, "sigurnet_audited", False):
        return

    def log_actions(self: LogEntryManager, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        entries = result if isinstance(result, list) else [result]
        # One entry is saved with save() (post_save audits it); so is every entry when a subclass
        # still overrides the deprecated log_action().
        overridden = getattr(type(self), "log_action", None) is not getattr(
            LogEntryManager, "log_action", None
        )
        if len(entries) > 1 and not overridden:
            for entry in entries:
                audit_admin_change(LogEntry, entry, created=True)
        return result

    log_actions.sigurnet_audited = True  # type: ignore[attr-defined]
    LogEntryManager.log_actions = log_actions  # type: ignore[method-assign]


def sync_admin_site_access(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    """Roles decide who reaches the Django admin: keep ``is_staff`` in step with them."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    users = [instance] if isinstance(instance, get_user_model()) else None
    if users is None:  # changed from the group's side: every member may be affected
        users = list(get_user_model().objects.filter(groups=instance))
        users += list(get_user_model().objects.filter(pk__in=kwargs.get("pk_set") or []))
    from sigurnet.core.roles import uses_admin_site

    for user in users:
        wanted = user.is_superuser or uses_admin_site(
            set(user.groups.values_list("name", flat=True))
        )
        if user.is_staff != wanted:
            get_user_model().objects.filter(pk=user.pk).update(is_staff=wanted)
            user.is_staff = wanted


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    from sigurnet.core.roles import sync_roles

    sync_roles()


def connect() -> None:
    audit_bulk_log_entries()
    post_migrate.connect(sync_roles_after_migrate, dispatch_uid="sigurnet-sync-roles")
    m2m_changed.connect(
        sync_admin_site_access,
        sender=get_user_model().groups.through,
        dispatch_uid="sigurnet-admin-site-access",
    )
