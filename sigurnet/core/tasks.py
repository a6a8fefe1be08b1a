"""Periodic house-keeping shared by every pillar."""

from __future__ import annotations

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions, as ``manage.py clearsessions`` does (scheduled daily)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
