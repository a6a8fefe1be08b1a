"""Background work of dispatches. Each task may run twice: each one is idempotent.

Celery's autodiscovery finds only modules named ``tasks``: ``sigurnet/hotline/tasks.py``
imports this one, so that a worker knows these tasks.

The notice-and-takedown schedule's rules are in ``takedown.py``; here are its Celery parts:
the beat task ``run_takedown_schedule`` finds what is due and queues one task per notice
(``send_dispatch`` for a first notice, ``send_takedown_reminder`` for a reminder or an
escalation), so that a slow host's check never holds up another host's notice.
"""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_dispatch(dispatch_id: int) -> bool:
    """Send one dispatch's e-mail through the outbox and record the dispatch as sent.

    Queued after the commit that wrote the dispatch. Writes the e-mail first if the dispatch is
    due and has none yet (a notice to a host or platform: ``takedown.send_notice``, which
    checks its items first and lists only those online); then
    ``core.tasks.send_outgoing_message`` (claim by conditional UPDATE, send with the stable
    Message-ID, mark sent in one write; after a failure the outbox's backoff and retries);
    then copies the outbox's ``sent_at`` to the dispatch. A run at the same moment, or a
    redelivered one, finds the message claimed or sent and sends nothing. Returns whether
    this run sent the e-mail.
    """
    from sigurnet.core.tasks import send_outgoing_message
    from sigurnet.hotline.forwarding import services, takedown
    from sigurnet.hotline.models import Dispatch

    kind = Dispatch.objects.filter(pk=dispatch_id).values_list("kind", flat=True).first()
    if kind is not None and takedown.is_notice(kind):
        message_pk = takedown.send_notice(dispatch_id, queue_send=False)
    else:
        message_pk = services.prepare_if_due(dispatch_id)
    if message_pk is None:
        return False
    sent = bool(send_outgoing_message(message_pk))
    services.record_sent_dispatches()
    return sent


@shared_task
def send_due_dispatches() -> int:
    """Beat, every minute: record dispatches whose e-mail the outbox sent on a retry or its
    sweep, then write and send the e-mails of queued dispatches whose ``send_after`` came
    (not notices to hosts and platforms: ``run_takedown_schedule`` sends those). Returns how
    many it wrote."""
    from sigurnet.hotline.forwarding import services

    services.record_sent_dispatches()
    written = services.prepare_due()
    for dispatch_id in written:
        _queue(send_dispatch, dispatch_id)
    return len(written)


@shared_task(acks_late=True)
def send_takedown_reminder(dispatch_id: int) -> bool:
    """One notice's reminder and escalation pass (``takedown.send_reminder``: checks its items,
    then writes a reminder and escalation dispatches as due; their e-mails go after the
    commit). Returns whether it wrote a reminder."""
    from sigurnet.hotline.forwarding import takedown

    return takedown.send_reminder(dispatch_id).reminder is not None


@shared_task
def run_takedown_schedule() -> dict[str, int]:
    """Beat, every minute: close notices whose content the removal checks found removed, and
    queue a task for each notice whose first e-mail, reminder or escalation is due. A notice
    queued twice is done once (each task claims it). Returns the counts."""
    from sigurnet.hotline.forwarding import takedown

    closed = takedown.close_removed_notices()
    notices = takedown.due_notices()
    for dispatch_id in notices:
        _queue(send_dispatch, dispatch_id)
    reminders = takedown.due_reminders()
    for dispatch_id in reminders:
        _queue(send_takedown_reminder, dispatch_id)
    return {"closed": closed, "notices": len(notices), "reminders": len(reminders)}


def _queue(task: object, dispatch_id: int) -> None:
    try:
        task.delay(dispatch_id)  # type: ignore[attr-defined]
    except Exception:  # broker down: the next beat run finds it due again
        log.exception(
            "Could not queue %s for dispatch %s", getattr(task, "name", task), dispatch_id
        )
