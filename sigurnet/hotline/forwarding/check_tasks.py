"""Celery tasks of removal tracking (docs/takedown-checks.md).

Registered by ``CELERY_IMPORTS`` in settings (Celery's autodiscovery finds only each app's
``tasks`` module, not the ones inside ``hotline/forwarding/``). Beat starts
``recheck_due_items`` every ``CHECK_SWEEP_SECONDS``; each item is due one
``SIGURNET_CHECK_INTERVAL_MINUTES`` after its last check.
"""

from __future__ import annotations

from celery import shared_task

from sigurnet.hotline.forwarding import checks


@shared_task(name="hotline.forwarding.recheck_due_items")
def recheck_due_items() -> dict[str, int]:
    """Check every due content item of a forwarded report and record the result (the claim
    makes it safe to run twice at once: each item is checked by one run). Then delete checks
    older than ``SIGURNET_CHECK_STOP_AFTER_DAYS``. Returns the counts of results."""
    counts = dict(checks.run_due_checks())
    counts["old_checks_deleted"] = checks.delete_old_checks()
    return counts
