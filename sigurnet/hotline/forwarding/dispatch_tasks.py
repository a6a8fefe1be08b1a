"""Background work of dispatches. Each task may run twice: each one is idempotent.

Celery's autodiscovery finds only modules named ``tasks``: ``sigurnet/hotline/tasks.py``
imports this one, so that a worker knows these tasks.
"""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_dispatch(dispatch_id: int) -> bool:
    """Send one dispatch's e-mail through the outbox and record the dispatch as sent.

    Queued after the commit that wrote the dispatch. Writes the e-mail first if the dispatch is
    due and has none yet; then ``core.tasks.send_outgoing_message`` (claim by conditional
    UPDATE, send with the stable Message-ID, mark sent in one write; after a failure the
    outbox's backoff and retries); then copies the outbox's ``sent_at`` to the dispatch. A run
    at the same moment, or a redelivered one, finds the message claimed or sent and sends
    nothing. Returns whether this run sent the e-mail.
    """
    from sigurnet.core.tasks import send_outgoing_message
    from sigurnet.hotline.forwarding import services

    message_pk = services.prepare_if_due(dispatch_id)
    if message_pk is None:
        return False
    sent = bool(send_outgoing_message(message_pk))
    services.record_sent_dispatches()
    return sent


@shared_task
def send_due_dispatches() -> int:
    """Beat, every minute: record dispatches whose e-mail the outbox sent on a retry or its
    sweep, then write and send the e-mails of queued dispatches whose ``send_after`` came.
    Returns how many it wrote."""
    from sigurnet.hotline.forwarding import services

    services.record_sent_dispatches()
    written = services.prepare_due()
    for dispatch_id in written:
        try:
            send_dispatch.delay(dispatch_id)
        except Exception:  # broker down: the outbox's sweep sends it, the next run records it
            log.exception("Could not queue dispatch %s", dispatch_id)
    return len(written)
