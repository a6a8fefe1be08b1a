"""The hotline's figures: selectors over its own data, for the page /staff/stats/hotline/
(``sigurnet.stats``, which draws them). They return plain data; nothing here formats.

Every figure is computed from the reports when it is asked for, never from stored totals:

- a report counts in the period in which it was *received* (the centre's time zone);
- its category is the report's category as the analyst left it (an assessment may correct it);
- its outcome is that of its *newest* assessment (``Report.outcome``, written with every
  assessment); a report never assessed counts as "not yet assessed", one reopened keeps its
  last outcome until it is assessed again;
- report -> assessment runs from receipt to the *first* assessment, whatever it decided
  (``Report.first_assessed_at``). An actionable CSAM assessment counts when the analyst made
  it, not when a second analyst confirmed it: the wait for the confirmation is a figure of
  its own (from the report's first confirmed assessment to its confirmation).

Reports that retention deleted still count: ``delete_reports_keeping_figures`` writes each
one's anonymous facts (``DeletedReportFacts``) in the transaction that deletes it, and every
selector here adds them (docs/figures.md).

On PostgreSQL each figure is one query, one pass over an index (``report_figures``: received
time, category, channel, outcome, first assessment), and the medians and 90th percentiles
are ``percentile_cont`` in the database. SQLite (the quick start) gets the same numbers, with
the percentiles computed in Python.

Figures of the next parts (dispatches, hosting facts, removal checks) are selectors added
here, next to these, and drawn by builders listed in ``sigurnet.stats.hotline.BUILDERS``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from sigurnet.hotline.models import (
    URGENT_CATEGORIES,
    Assessment,
    Category,
    DeletedReportFacts,
    Report,
)

# The outcome of a report that has no assessment yet.
NOT_ASSESSED = ""
# The fractions of the delays shown: the median and the 90th percentile.
FRACTIONS = (0.5, 0.9)


# --- The period -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The days whose reports count: ``start`` to ``end``, both included, in the centre's time
    zone. ``all_years`` marks the period that starts with the first report ever received."""

    start: date
    end: date
    all_years: bool = False

    def months(self) -> list[date]:
        """The first day of every month that the period touches, in order."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as times: from the start's midnight to the midnight after the end."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_default_timezone())


def today() -> date:
    return timezone.localdate()


def last_12_months(on: date | None = None) -> Period:
    """The default period: this month and the eleven before it, up to today."""
    end = on or today()
    start = end.replace(day=1)
    for _month in range(11):
        start = (start - timedelta(days=1)).replace(day=1)
    return Period(start, end)


def all_years(on: date | None = None) -> Period:
    """From the month of the first report ever received (kept or deleted) up to today."""
    end = on or today()
    first_kept = Report.objects.aggregate(first=Min("received_at"))["first"]
    first_deleted = DeletedReportFacts.objects.aggregate(first=Min("received_on"))["first"]
    days = [d for d in (first_deleted, first_kept and timezone.localdate(first_kept)) if d]
    start = min([*days, end]).replace(day=1)
    return Period(start, end, all_years=True)


def _deleted_in(period: Period) -> QuerySet[DeletedReportFacts]:
    return DeletedReportFacts.objects.filter(received_on__range=(period.start, period.end))


def _received_in(period: Period) -> QuerySet[Report]:
    start, end = period.bounds()
    return Report.objects.filter(received_at__gte=start, received_at__lt=end).order_by()


# --- Reports: per month, category, channel and outcome -------------------------------------------


@dataclass(frozen=True)
class ReportCounts:
    """How many reports came in during a period, counted by month, category, channel and
    outcome together (``cells``); every figure of reports is a sum over these cells."""

    months: tuple[date, ...]
    cells: Mapping[tuple[date, str, str, str], int]  # (month, category, channel, outcome)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def _by(self, position: int) -> Counter[str]:
        counts: Counter[str] = Counter()
        for key, n in self.cells.items():
            counts[str(key[position])] += n
        return counts

    def per_category(self) -> Counter[str]:
        return self._by(1)

    def per_channel(self) -> Counter[str]:
        return self._by(2)

    def per_outcome(self) -> Counter[str]:
        return self._by(3)

    def per_month(self) -> list[tuple[date, int]]:
        counts: Counter[date] = Counter()
        for (month, _category, _channel, _outcome), n in self.cells.items():
            counts[month] += n
        return [(month, counts[month]) for month in self.months]

    def per_month_and_channel(self) -> dict[tuple[date, str], int]:
        counts: Counter[tuple[date, str]] = Counter()
        for (month, _category, channel, _outcome), n in self.cells.items():
            counts[(month, channel)] += n
        return dict(counts)

    def count(
        self, *, categories: Iterable[str] | None = None, outcomes: Iterable[str] | None = None
    ) -> int:
        """Reports of these categories (all when None) with these outcomes (all when None)."""
        wanted_categories = None if categories is None else set(categories)
        wanted_outcomes = None if outcomes is None else set(outcomes)
        return sum(
            n
            for (_month, category, _channel, outcome), n in self.cells.items()
            if (wanted_categories is None or category in wanted_categories)
            and (wanted_outcomes is None or outcome in wanted_outcomes)
        )


_COUNTS_SQL = """
SELECT width_bucket(received_at, %s::timestamptz[]), category, channel, outcome, count(*)
FROM {report}
WHERE received_at >= %s AND received_at < %s
GROUP BY 1, 2, 3, 4
"""


def report_counts(period: Period) -> ReportCounts:
    """The reports received in ``period`` (kept and deleted), counted by month, category,
    channel and outcome. PostgreSQL: one index-only scan of ``report_figures``, the month
    found by ``width_bucket`` against the months' first instants (cheaper than converting
    every row's time to the centre's zone)."""
    months = period.months()
    cells: Counter[tuple[date, str, str, str]] = Counter()
    if connection.vendor == "postgresql":
        start, end = period.bounds()
        rows = _query(_COUNTS_SQL, [[local_midnight(month) for month in months], start, end])
        for bucket, category, channel, outcome, n in rows:
            cells[(months[bucket - 1], category, channel, outcome)] += n
    else:
        kept = (
            _received_in(period)
            .annotate(month=TruncMonth("received_at", tzinfo=timezone.get_default_timezone()))
            .values("month", "category", "channel", "outcome")
            .annotate(n=Count("id"))
        )
        for row in kept:
            month = timezone.localtime(row["month"], timezone.get_default_timezone()).date()
            cells[(month, row["category"], row["channel"], row["outcome"])] += row["n"]
    deleted = (
        _deleted_in(period)
        .annotate(month=TruncMonth("received_on"))
        .values("month", "category", "channel", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in deleted:
        cells[(row["month"], row["category"], row["channel"], row["outcome"])] += row["n"]
    return ReportCounts(months=tuple(months), cells=dict(cells))


# --- Delays: report -> first assessment, and the four-eyes wait ------------------------------


@dataclass(frozen=True)
class Delay:
    """How long something took, over ``count`` reports: median and 90th percentile in seconds
    (``percentile_cont``: interpolated between the two nearest values), None without any."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class AssessmentDelays:
    all_reports: Delay  # receipt -> first assessment, every assessed report
    urgent: Delay  # the same for the urgent categories (CSAM, grooming, sextortion, NCII)
    # Reports whose newest outcome is actionable CSAM: their first confirmed assessment -> its
    # confirmation by the second analyst.
    confirmation: Delay


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont`` of sorted ``values``, for the quick start (SQLite)."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _delay(seconds: list[float]) -> Delay:
    seconds.sort()
    median, p90 = (percentile_cont(seconds, f) for f in FRACTIONS)
    return Delay(len(seconds), median, p90)


def _first_confirmations(reports: QuerySet[Report]) -> dict[int, timedelta]:
    """Per report of ``reports`` that has one: its first confirmed assessment's wait for the
    confirmation (few rows: actionable CSAM only; index ``assessment_confirmed``)."""
    waits: dict[int, timedelta] = {}
    rows = (
        Assessment.objects.filter(
            report__in=reports.values("pk"), needs_confirmation=True, confirmed_at__isnull=False
        )
        .order_by("-report_id", "-created_at", "-id")  # the first of each report comes last
        .values_list("report_id", "created_at", "confirmed_at")
    )
    for report_id, created_at, confirmed_at in rows:
        if confirmed_at is not None:  # always: the filter says so (and mypy cannot know)
            waits[report_id] = confirmed_at - created_at
    return waits


# Receipt -> first assessment: one pass over the period's range of ``report_figures``.
_ASSESSMENT_DELAYS_SQL = """
SELECT
    count(*),
    percentile_cont(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY s),
    count(*) FILTER (WHERE urgent),
    percentile_cont(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY s) FILTER (WHERE urgent)
FROM (
    SELECT date_part('epoch', first_assessed_at - received_at) AS s,
           category = ANY(%(urgent)s) AS urgent
    FROM {report}
    WHERE received_at >= %(start)s AND received_at < %(end)s AND first_assessed_at IS NOT NULL
  UNION ALL
    SELECT date_part('epoch', assessment_delay), category = ANY(%(urgent)s)
    FROM {deleted}
    WHERE received_on BETWEEN %(first_day)s AND %(last_day)s AND assessment_delay IS NOT NULL
) delay
"""

# The four-eyes wait, for the period's actionable CSAM reports (partial index
# ``report_actionable_csam``) and their confirmed assessments (``assessment_confirmed``).
_CONFIRMATION_DELAYS_SQL = """
SELECT count(*), percentile_cont(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY s)
FROM (
    SELECT date_part('epoch', wait) AS s FROM (
        SELECT DISTINCT ON (a.report_id) a.confirmed_at - a.created_at AS wait
        FROM {assessment} a JOIN {report} r ON r.id = a.report_id
        WHERE a.needs_confirmation AND a.confirmed_at IS NOT NULL
          AND r.category = 'csam' AND r.outcome = 'actionable'
          AND r.received_at >= %(start)s AND r.received_at < %(end)s
        ORDER BY a.report_id, a.created_at, a.id
    ) confirmed
  UNION ALL
    SELECT date_part('epoch', confirmation_delay)
    FROM {deleted}
    WHERE received_on BETWEEN %(first_day)s AND %(last_day)s AND confirmation_delay IS NOT NULL
      AND category = 'csam' AND outcome = 'actionable'
) delay
"""


def _query(sql: str, params: Any) -> list[tuple[Any, ...]]:
    """Run one figures query on PostgreSQL, its tables' names filled in. Without JIT (its
    compilation costs more than it saves on these queries) and with enough memory for the
    percentiles' sort of a million delays to stay in memory."""
    sql = sql.format(
        report=Report._meta.db_table,
        deleted=DeletedReportFacts._meta.db_table,
        assessment=Assessment._meta.db_table,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return cursor.fetchall()


def assessment_delays(period: Period) -> AssessmentDelays:
    """How long reports received in ``period`` (kept and deleted) waited for their first
    assessment, overall and for the urgent categories, and how long an actionable CSAM
    assessment waited for the second analyst's confirmation. PostgreSQL: two queries (the
    first one pass over ``report_figures``), the percentiles by ``percentile_cont``."""
    urgent = sorted(URGENT_CATEGORIES)
    if connection.vendor == "postgresql":
        start, end = period.bounds()
        params = {
            "start": start,
            "end": end,
            "first_day": period.start,
            "last_day": period.end,
            "fractions": list(FRACTIONS),
            "urgent": urgent,
        }
        ((assessed, pct, urgent_count, urgent_pct),) = _query(_ASSESSMENT_DELAYS_SQL, params)
        ((confirmed, confirmed_pct),) = _query(_CONFIRMATION_DELAYS_SQL, params)
        return AssessmentDelays(
            Delay(assessed, *(pct or (None, None))),
            Delay(urgent_count, *(urgent_pct or (None, None))),
            Delay(confirmed, *(confirmed_pct or (None, None))),
        )
    every: list[float] = []
    of_urgent: list[float] = []
    kept = _received_in(period).filter(first_assessed_at__isnull=False)
    waits: list[tuple[str, timedelta | None]] = [
        (category, first_assessed_at - received_at if first_assessed_at else None)
        for category, received_at, first_assessed_at in kept.values_list(
            "category", "received_at", "first_assessed_at"
        )
    ]
    deleted = _deleted_in(period)
    waits += list(deleted.values_list("category", "assessment_delay"))
    for category, wait in waits:
        if wait is not None:
            every.append(wait.total_seconds())
            if category in URGENT_CATEGORIES:
                of_urgent.append(wait.total_seconds())
    csam = {"category": Category.CSAM, "outcome": Assessment.Outcome.ACTIONABLE}
    confirmations = [
        w.total_seconds()
        for w in _first_confirmations(_received_in(period).filter(**csam)).values()
    ]
    confirmations += [
        wait.total_seconds()
        for wait in deleted.filter(**csam).values_list("confirmation_delay", flat=True)
        if wait is not None
    ]
    return AssessmentDelays(_delay(every), _delay(of_urgent), _delay(confirmations))


# --- Retention: what the figures keep of a deleted report ---------------------------------------


def delete_reports_keeping_figures(reports: QuerySet[Report], batch_size: int = 500) -> int:
    """Delete ``reports`` (with everything that cascades), writing for each one, in the same
    transaction, its ``DeletedReportFacts``: past figures stay exactly as they were.

    Batches of ``batch_size``; each batch's reports are locked (PostgreSQL) from the moment
    they are chosen until they are deleted, so a report that changes meanwhile is either
    kept whole or counted once as deleted, never twice. Returns how many reports it deleted.
    """
    deleted = 0
    deleted_on = today()
    while True:
        with transaction.atomic():
            ids = list(
                reports.order_by("pk").select_for_update().values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            batch = Report.objects.filter(pk__in=ids).order_by()
            waits = _first_confirmations(batch)
            facts = batch.values_list(
                "pk", "received_at", "channel", "category", "outcome", "first_assessed_at"
            )
            DeletedReportFacts.objects.bulk_create(
                DeletedReportFacts(
                    received_on=timezone.localtime(received_at).date(),
                    channel=channel,
                    category=category,
                    outcome=outcome,
                    assessment_delay=(
                        first_assessed_at - received_at if first_assessed_at else None
                    ),
                    confirmation_delay=waits.get(pk),
                    deleted_on=deleted_on,
                )
                for pk, received_at, channel, category, outcome, first_assessed_at in facts
            )
            deleted += batch.delete()[1].get("hotline.Report", 0)


# --- Extension points for the next parts of issue 14 ------------------------------------------
# Each is a selector here, taking a ``Period`` and returning plain data, and a builder in
# ``sigurnet.stats.hotline.BUILDERS`` that turns it into a table and a chart:
#
# - hosting_countries(period) -> Counter[str]: content items of the period's actionable and
#   harmful reports by ``HostingFacts.country`` ("" when not looked up).
# - dispatch_delays(period) -> Delay per measure: assessment -> first dispatch (first
#   ``Dispatch.sent_at`` minus ``Report.first_assessed_at``), dispatch -> acknowledgement
#   (``acknowledged_at - sent_at``), dispatch -> removal (``ContentItem.removed_at`` minus the
#   item's first dispatch ``sent_at``).
# - inhope_measures(period): share of actionable CSAM reports (``Report.outcome``
#   "actionable", category "csam") whose first dispatch of kind "police" was sent within 3 days
#   of receipt; share of removed items removed within 3 days of their first dispatch.
# - overdue_dispatches() -> per institution, dispatches past ``due_at`` without an outcome
#   (now, not per period).
# Keep each one query over an index, and add the columns they need to ``DeletedReportFacts``
# (e.g. ``first_dispatch_delay``, ``police_within_3_days``) if retention deletes what they read.
