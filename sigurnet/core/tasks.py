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


@shared_task(acks_late=True)
def send_outgoing_message(message_pk: int) -> bool:
    """Send one outbox message (``core.outbox.deliver``); after a failure, queue this task
    again for when the backoff ends. Safe to run twice, at once or later: whether it was sent."""
    from sigurnet.core import outbox

    delivery = outbox.deliver(message_pk)
    if delivery.retry_in is not None and not send_outgoing_message.app.conf.task_always_eager:
        # Without a broker (quick start) a task cannot wait: the sweep sends it when due.
        outbox._queue_send(message_pk, countdown=delivery.retry_in)
    return delivery.sent


@shared_task
def sweep_outbox() -> int:
    """Queue the messages that wait longer than they should (scheduled every
    ``SIGURNET_OUTBOX_SWEEP_SECONDS``). Returns how many it queued."""
    from sigurnet.core import outbox

    return outbox.send_due()


@shared_task
def delete_old_outgoing_messages() -> int:
    """Retention of the outbox: sent messages go after 30 days (scheduled daily)."""
    from sigurnet.core import outbox

    return outbox.delete_old_messages()


@shared_task(ignore_result=True)
def record_heartbeat() -> None:
    """Note that the schedule works (scheduled every minute): beat queued this and a worker
    ran it. ``core.health`` warns when the last beat is too old."""
    from sigurnet.core import health

    health.record_heartbeat()
