"""Reads of removal tracking for the reporter's receipt page."""

from __future__ import annotations

from sigurnet.hotline.models import ContentItem, Report


def removal_on_receipt(report: Report) -> str:
    """What the receipt page says about removal: "all" when every item of the report is
    removed, "some" when some are, "" otherwise (also for a report without items)."""
    states = list(report.content_items.values_list("state", flat=True))
    removed = sum(1 for state in states if state == ContentItem.State.REMOVED)
    if not removed:
        return ""
    return "all" if removed == len(states) else "some"
