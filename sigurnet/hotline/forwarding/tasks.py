"""Background work of forwarding. Every task may run twice: each one is idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from sigurnet.hotline.forwarding import hosting
from sigurnet.hotline.models import ContentItem, HostingFacts

log = logging.getLogger(__name__)

# Retries of a look-up that failed for a passing reason (hosting.RETRYABLE): after 1, 2, 4,
# 8 and 16 minutes; then it stays failed until an analyst looks it up again.
LOOK_UP_RETRIES = 5
LOOK_UP_RETRY_SECONDS = 60
# A look-up queued this long ago that never ran (broker or worker down) is queued again.
LOOK_UP_LOST_AFTER = timedelta(minutes=15)
LOOK_UP_SWEEP_BATCH = 500


@shared_task(bind=True, acks_late=True, max_retries=LOOK_UP_RETRIES)
def look_up_hosting(self: Any, item_id: int, again: bool = False) -> str:
    """Look up where one content item is hosted (``hosting.look_up``); returns the outcome.

    Without ``again`` an item whose facts are fresh is left alone (the task was queued twice,
    or the facts were written meanwhile). A passing failure (a DNS timeout, an RDAP server
    error) is retried with a growing delay; run eagerly (quick start, tests) it is not.
    """
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None:
        return "gone"
    if not again and not hosting.needs_look_up(HostingFacts.objects.filter(item=item).first()):
        return "fresh"
    facts = hosting.look_up(item)
    retryable = facts.error_code in hosting.RETRYABLE
    if retryable and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=LOOK_UP_RETRY_SECONDS * 2**self.request.retries)
    return str(facts.outcome)


@shared_task
def sweep_hosting_look_ups() -> int:
    """Queue again the look-ups that were queued but never ran (the broker or the workers
    were down); returns how many. Scheduled every 15 minutes."""
    lost = list(
        HostingFacts.objects.filter(
            outcome=HostingFacts.Outcome.PENDING,
            queued_at__lt=timezone.now() - LOOK_UP_LOST_AFTER,
        )
        .order_by("queued_at")
        .values_list("item_id", flat=True)[:LOOK_UP_SWEEP_BATCH]
    )
    if lost:
        hosting.mark_queued(lost)
        for item_id in lost:
            look_up_hosting.delay(item_id)
    return len(lost)
