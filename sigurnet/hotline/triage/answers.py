"""Triage reads about reporters who wrote and wait for the hotline: which reports the queue
flags as answered, and the answers on reports that are no longer open.

A report counts as answered while the reporter's newest message is at least as new as the
hotline's newest one (or the hotline has not written yet): writing back to the reporter (a
question or feedback) clears it. No encrypted column is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Max, Q, QuerySet

from sigurnet.hotline.models import Message, Report
from sigurnet.hotline.triage.selectors import OPEN_STATUSES, REPORT_SUMMARY_FIELDS

# How many answers on reports that are no longer open the queue lists (the newest first).
LATE_ANSWERS_LIMIT = 50

_FROM_REPORTER = Message.Direction.FROM_REPORTER
_FROM_HOTLINE = Message.Direction.FROM_HOTLINE


def _waiting_for_us(reports: QuerySet[Report]) -> QuerySet[Any]:
    """``reports`` whose reporter wrote last, annotated with ``answered_at`` (their newest)."""
    return (
        reports.annotate(
            answered_at=Max("messages__created_at", filter=Q(messages__direction=_FROM_REPORTER)),
            hotline_wrote_at=Max(
                "messages__created_at", filter=Q(messages__direction=_FROM_HOTLINE)
            ),
        )
        .filter(answered_at__isnull=False)
        .filter(Q(hotline_wrote_at__isnull=True) | Q(answered_at__gte=F("hotline_wrote_at")))
    )


def answered(report_ids: list[int]) -> set[int]:
    """Which of these reports (a queue page's) the reporter wrote to last: one query."""
    if not report_ids:
        return set()
    found = _waiting_for_us(Report.objects.filter(pk__in=report_ids)).values_list("pk", flat=True)
    return set(found)


@dataclass(frozen=True)
class LateAnswer:
    report: Report
    answered_at: datetime


def late_answers(limit: int = LATE_ANSWERS_LIMIT) -> list[LateAnswer]:
    """Reports outside the open queue (sent on, closed, already reported, closed as
    incomplete) whose reporter wrote last, the newest answer first. A closed or incomplete
    report goes back to assessment when its reporter writes (``services.reporter_wrote``):
    it is listed here only when it was closed again without writing back, or its status
    changed while the reporter wrote. One query."""
    rows = (
        _waiting_for_us(Report.objects.exclude(status__in=OPEN_STATUSES))
        .only(*REPORT_SUMMARY_FIELDS)
        .order_by("-answered_at", "-id")[:limit]
    )
    return [LateAnswer(report=row, answered_at=row.answered_at) for row in rows]
