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

The figures of dispatches, hosting facts and removal checks follow the same rules (their
section below says what counts in which period); a dispatch whose reports retention deleted
keeps its row without any text (``_erase_dispatches``), and the deleted reports' content
items leave ``DeletedItemFacts``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from sigurnet.hotline.models import (
    URGENT_CATEGORIES,
    Assessment,
    Category,
    ContentItem,
    DeletedItemFacts,
    DeletedReportFacts,
    Dispatch,
    DispatchItem,
    DispatchKind,
    HostingFacts,
    Report,
    ReportedURL,
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
    compilation costs more than it saves on these queries), with enough memory for the
    percentiles' sort of a million delays to stay in memory, and without parallel workers:
    the page already runs two queries at once (``run_on_two_connections``) on a machine of
    two cores, and workers on top of them only fought for the cores (one year 1.19 s -> 0.83 s
    without them, docs/performance.md)."""
    sql = sql.format(
        report=Report._meta.db_table,
        deleted=DeletedReportFacts._meta.db_table,
        assessment=Assessment._meta.db_table,
        deleted_item=DeletedItemFacts._meta.db_table,
        dispatch=Dispatch._meta.db_table,
        dispatch_item=DispatchItem._meta.db_table,
        dispatch_report=Dispatch.reports.through._meta.db_table,
        reported_url=ReportedURL._meta.db_table,
        content_item=ContentItem._meta.db_table,
        hosting=HostingFacts._meta.db_table,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
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
    transaction, its ``DeletedReportFacts`` (and a ``DeletedItemFacts`` per content item of an
    actionable or harmful one): past figures stay exactly as they were. A dispatch left
    without any report loses its text (``_erase_dispatches``).

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
            dispatched = _report_dispatch_times(batch)
            dispatches = set(
                Dispatch.reports.through.objects.filter(report_id__in=ids).values_list(
                    "dispatch_id", flat=True
                )
            )
            facts = batch.values_list(
                "pk", "received_at", "channel", "category", "outcome", "first_assessed_at"
            )
            report_facts = []
            for pk, received_at, channel, category, outcome, first_assessed_at in facts:
                first_sent, police_sent = dispatched.get(pk, (None, None))
                report_facts.append(
                    DeletedReportFacts(
                        received_on=timezone.localtime(received_at).date(),
                        channel=channel,
                        category=category,
                        outcome=outcome,
                        assessment_delay=(
                            first_assessed_at - received_at if first_assessed_at else None
                        ),
                        confirmation_delay=waits.get(pk),
                        first_dispatch_delay=(
                            first_sent - first_assessed_at
                            if first_sent and first_assessed_at
                            else None
                        ),
                        police_delay=police_sent - received_at if police_sent else None,
                        deleted_on=deleted_on,
                    )
                )
            DeletedReportFacts.objects.bulk_create(report_facts)
            DeletedItemFacts.objects.bulk_create(
                DeletedItemFacts(
                    received_on=timezone.localtime(received_at).date(),
                    category=category,
                    outcome=outcome,
                    country=country,
                    removal_delay=removed_at - received_at if removed_at else None,
                    noticed=notice is not None,
                    notice_removal_delay=removed_at - notice if removed_at and notice else None,
                    deleted_on=deleted_on,
                )
                for _pk, received_at, category, outcome, country, removed_at, notice in (
                    _item_rows(batch)
                )
            )
            deleted += batch.delete()[1].get("hotline.Report", 0)
            _erase_dispatches(dispatches)


def _erase_dispatches(ids: Iterable[int]) -> int:
    """Of the dispatches ``ids``, those left without any report (retention deleted them all)
    keep only what the figures read - kind, institution, status, outcome and its times,
    deadline - and lose their text: subject, body, outcome note, the address it went to,
    their e-mail in the outbox once sent, their links to content items that no report names
    any more; their signed link stops working. Returns how many it erased."""
    from sigurnet.core.models import OutgoingMessage

    orphaned = Dispatch.objects.filter(pk__in=list(ids), reports__isnull=True)
    erased = list(orphaned.values_list("pk", flat=True))
    if not erased:
        return 0
    DispatchItem.objects.filter(dispatch_id__in=erased).exclude(
        content_item__reported_urls__isnull=False
    ).delete()
    messages = list(
        Dispatch.objects.filter(pk__in=erased, outgoing__sent_at__isnull=False).values_list(
            "outgoing_id", flat=True
        )
    )
    now = timezone.now()
    for dispatch in Dispatch.objects.filter(pk__in=erased):
        # Saved one by one: the encrypted fields encrypt in ``save``, never in an UPDATE.
        dispatch.subject = dispatch.body = dispatch.outcome_note = dispatch.recipient = ""
        dispatch.link_version += 1
        dispatch.link_revoked_at = dispatch.link_revoked_at or now
        dispatch.save(
            update_fields=[
                "subject",
                "body",
                "outcome_note",
                "recipient",
                "link_version",
                "link_revoked_at",
            ]
        )
    OutgoingMessage.objects.filter(pk__in=messages).delete()
    return len(erased)


# --- Dispatches: hosting countries, delays, INHOPE's measures, overdue ------------------------
#
# What counts where (docs/figures.md):
# - a report's figures (assessment -> first dispatch; reached the police within 3 days) and
#   its content items' figures (hosting country, removal) count in the period in which the
#   report was *received*, like every figure above;
# - a dispatch's own figure (dispatch -> acknowledgement) counts in the period in which the
#   dispatch was *sent*; overdue dispatches are counted now, whatever the period.
# A content item counts once per actionable or harmful report that names it.

# The outcomes whose content items the hosting and removal figures count.
ABUSE_OUTCOMES = (Assessment.Outcome.ACTIONABLE.value, Assessment.Outcome.HARMFUL.value)
# "Reached law enforcement": a dispatch of these kinds sent.
POLICE_KINDS = (DispatchKind.POLICE.value, DispatchKind.PROSECUTOR.value)
# The dispatches that ask for the content's removal: dispatch -> removal counts from the
# item's first of these (a partner hotline asks the host in its own country).
REMOVAL_KINDS = (
    DispatchKind.TAKEDOWN.value,
    DispatchKind.PLATFORM.value,
    DispatchKind.PARTNER_HOTLINE.value,
)
# INHOPE's measures: within 3 days.
WITHIN = timedelta(days=3)


@dataclass(frozen=True)
class ItemFigures:
    """The content items of a period's actionable and harmful reports."""

    countries: Mapping[str, int]  # ISO 3166 alpha-2 (upper case), "" when not looked up
    items: int
    removed_within_3_days_of_report: int
    noticed: int  # items with a notice asking for removal sent
    removed_within_3_days_of_notice: int
    notice_to_removal: Delay  # first removal notice -> removal, items removed after it


@dataclass(frozen=True)
class DispatchFigures:
    assessment_to_first_dispatch: Delay  # per report received in the period
    dispatch_to_acknowledgement: Delay  # per dispatch sent in the period
    dispatches_sent: int
    actionable_csam: int  # actionable CSAM reports received in the period
    csam_to_police_within_3_days: int


@dataclass(frozen=True)
class Overdue:
    institution: str
    waiting: int  # dispatches waiting for an acknowledgement
    overdue: int  # of them, past their deadline


def _item_rows(reports: QuerySet[Report]) -> list[tuple[Any, ...]]:
    """Per (report, content item) of ``reports`` that are actionable or harmful: (report id,
    received_at, category, outcome, country, removed_at, first removal notice sent_at)."""
    pairs = {
        row[:2]: row
        for row in ReportedURL.objects.filter(
            report__in=reports.values("pk"), report__outcome__in=ABUSE_OUTCOMES
        )
        .order_by()
        .values_list(
            "report_id",
            "content_item_id",
            "report__received_at",
            "report__category",
            "report__outcome",
            "content_item__hosting__country",
            "content_item__removed_at",
        )
    }
    notices: dict[int, datetime] = {}
    for item_id, sent_at in DispatchItem.objects.filter(
        content_item_id__in={item for _report, item in pairs},
        dispatch__sent_at__isnull=False,
        dispatch__kind__in=REMOVAL_KINDS,
    ).values_list("content_item_id", "dispatch__sent_at"):
        if sent_at is not None and (item_id not in notices or sent_at < notices[item_id]):
            notices[item_id] = sent_at
    return [
        (
            report_id,
            received,
            category,
            outcome,
            (country or "").upper(),
            removed,
            notices.get(item),
        )
        for (report_id, item), (_r, _i, received, category, outcome, country, removed) in sorted(
            pairs.items()
        )
    ]


def _report_dispatch_times(
    reports: QuerySet[Report],
) -> dict[int, tuple[datetime, datetime | None]]:
    """Per report of ``reports`` with a dispatch sent: (its first dispatch's sent_at, its
    first dispatch to the police or a prosecutor's sent_at or None)."""
    times: dict[int, tuple[datetime, datetime | None]] = {}
    rows = Dispatch.reports.through.objects.filter(
        report_id__in=reports.values("pk"), dispatch__sent_at__isnull=False
    ).values_list("report_id", "dispatch__sent_at", "dispatch__kind")
    for report_id, sent_at, kind in rows:
        if sent_at is None:  # never: the filter says so (and mypy cannot know)
            continue
        first, police = times.get(report_id, (sent_at, None))
        if kind in POLICE_KINDS and (police is None or sent_at < police):
            police = sent_at
        times[report_id] = (min(first, sent_at), police)
    return times


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _within(seconds: float | None) -> bool:
    return seconds is not None and seconds <= WITHIN.total_seconds()


_ITEMS_SQL = """
WITH pair AS (
    SELECT country, date_part('epoch', removed_at - received_at) AS from_report,
           sent IS NOT NULL AS noticed, date_part('epoch', removed_at - sent) AS from_notice
    FROM (
        -- One row per (report, item); the item's first notice asking for removal joined
        -- in, so that only the period's items are looked up (narrow indexes throughout:
        -- report_abuse, reported_url_figures, content_item_removal, hosting_country,
        -- dispatch_item_figures, dispatch_sent_by_id).
        SELECT coalesce(upper(h.country), '') AS country, r.received_at, i.removed_at,
               min(d.sent_at) AS sent
        FROM {report} r
        JOIN {reported_url} u ON u.report_id = r.id
        JOIN {content_item} i ON i.id = u.content_item_id
        LEFT JOIN {hosting} h ON h.item_id = i.id
        LEFT JOIN ({dispatch_item} di JOIN {dispatch} d
                   ON d.id = di.dispatch_id AND d.sent_at IS NOT NULL
                      AND d.kind = ANY(%(removal_kinds)s))
          ON di.content_item_id = i.id
        WHERE r.received_at >= %(start)s AND r.received_at < %(end)s
          AND r.outcome IN ('actionable', 'harmful')
        GROUP BY r.id, i.id, h.country
    ) kept
  UNION ALL
    SELECT country, date_part('epoch', removal_delay), noticed,
           date_part('epoch', notice_removal_delay)
    FROM {deleted_item}
    WHERE received_on BETWEEN %(first_day)s AND %(last_day)s AND outcome = ANY(%(abuse)s)
)
SELECT GROUPING(country), country, count(*),
       count(*) FILTER (WHERE from_report <= %(within)s),
       count(*) FILTER (WHERE noticed),
       count(*) FILTER (WHERE noticed AND from_notice <= %(within)s),
       count(*) FILTER (WHERE from_notice >= 0),
       percentile_cont(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY from_notice)
           FILTER (WHERE from_notice >= 0)
FROM pair
GROUP BY GROUPING SETS ((country), ())
"""


def _params(period: Period) -> dict[str, Any]:
    start, end = period.bounds()
    return {
        "start": start,
        "end": end,
        "first_day": period.start,
        "last_day": period.end,
        "fractions": list(FRACTIONS),
        "abuse": list(ABUSE_OUTCOMES),
        "removal_kinds": list(REMOVAL_KINDS),
        "police_kinds": list(POLICE_KINDS),
        "within": WITHIN.total_seconds(),
    }


def item_figures(period: Period) -> ItemFigures:
    """The content items of the actionable and harmful reports received in ``period`` (kept
    and deleted): per hosting country, removed within 3 days of the report, removed within 3
    days of the first notice asking for removal, and that notice -> removal. PostgreSQL: one
    query (the countries and the totals as grouping sets)."""
    if connection.vendor == "postgresql":
        countries: dict[str, int] = {}
        total = (0, 0, 0, 0, 0, None)
        for grouping, country, *numbers in _query(_ITEMS_SQL, _params(period)):
            if grouping:
                total = tuple(numbers)  # type: ignore[assignment]
            else:
                countries[country] = numbers[0]
        items, by_report, noticed, by_notice, removed_after, pct = total
        return ItemFigures(
            countries,
            items,
            by_report,
            noticed,
            by_notice,
            Delay(removed_after, *(pct or (None, None))),
        )
    rows: list[tuple[str, float | None, bool, float | None]] = [
        (
            country,
            _seconds(removed and removed - received),
            notice is not None,
            _seconds(removed and notice and removed - notice),
        )
        for _id, received, _category, _outcome, country, removed, notice in _item_rows(
            _received_in(period)
        )
    ]
    rows += [
        (country, _seconds(from_report), noticed, _seconds(from_notice))
        for country, from_report, noticed, from_notice in _deleted_items_in(period).values_list(
            "country", "removal_delay", "noticed", "notice_removal_delay"
        )
    ]
    return ItemFigures(
        dict(Counter(country for country, *_rest in rows)),
        len(rows),
        sum(1 for _c, from_report, _n, _f in rows if _within(from_report)),
        sum(1 for _c, _r, noticed, _f in rows if noticed),
        sum(1 for _c, _r, noticed, from_notice in rows if noticed and _within(from_notice)),
        _delay([f for _c, _r, _n, f in rows if f is not None and f >= 0]),
    )


def _deleted_items_in(period: Period) -> QuerySet[DeletedItemFacts]:
    return DeletedItemFacts.objects.filter(
        received_on__range=(period.start, period.end), outcome__in=ABUSE_OUTCOMES
    )


_REPORT_DISPATCH_SQL = """
SELECT count(s), percentile_cont(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY s),
       count(*) FILTER (WHERE csam AND police <= %(within)s),
       (SELECT count(*) FROM {report}
        WHERE category = 'csam' AND outcome = 'actionable'
          AND received_at >= %(start)s AND received_at < %(end)s)
     + (SELECT count(*) FROM {deleted}
        WHERE category = 'csam' AND outcome = 'actionable'
          AND received_on BETWEEN %(first_day)s AND %(last_day)s)
FROM (
    SELECT date_part('epoch', min(d.sent_at) - r.first_assessed_at) AS s,
           r.category = 'csam' AND r.outcome = 'actionable' AS csam,
           date_part('epoch', min(d.sent_at) FILTER (WHERE d.kind = ANY(%(police_kinds)s))
                              - r.received_at) AS police
    FROM {report} r
    JOIN {dispatch_report} dr ON dr.report_id = r.id
    JOIN {dispatch} d ON d.id = dr.dispatch_id
    WHERE r.received_at >= %(start)s AND r.received_at < %(end)s AND d.sent_at IS NOT NULL
    GROUP BY r.id
  UNION ALL
    SELECT date_part('epoch', first_dispatch_delay),
           category = 'csam' AND outcome = 'actionable', date_part('epoch', police_delay)
    FROM {deleted}
    WHERE received_on BETWEEN %(first_day)s AND %(last_day)s
      AND (first_dispatch_delay IS NOT NULL OR police_delay IS NOT NULL)
) report
"""

_ACKNOWLEDGEMENT_SQL = """
SELECT count(*), count(acknowledged_at),
       percentile_cont(%(fractions)s::float8[]) WITHIN GROUP (ORDER BY s)
FROM (
    SELECT acknowledged_at, date_part('epoch', acknowledged_at - sent_at) AS s
    FROM {dispatch}
    WHERE sent_at IS NOT NULL AND sent_at >= %(start)s AND sent_at < %(end)s
) dispatch
"""


def dispatch_figures(period: Period) -> DispatchFigures:
    """Assessment -> first dispatch and "reached the police within 3 days" of the reports
    received in ``period`` (kept and deleted); dispatch -> acknowledgement of the dispatches
    sent in it. PostgreSQL: two queries."""
    start, end = period.bounds()
    if connection.vendor == "postgresql":
        params = _params(period)
        ((dispatched, pct, police, csam),) = _query(_REPORT_DISPATCH_SQL, params)
        ((sent, acknowledged, ack_pct),) = _query(_ACKNOWLEDGEMENT_SQL, params)
        return DispatchFigures(
            Delay(dispatched, *(pct or (None, None))),
            Delay(acknowledged, *(ack_pct or (None, None))),
            sent,
            csam,
            police,
        )
    reports = _received_in(period)
    facts = {
        pk: (received, assessed, category == "csam" and outcome == "actionable")
        for pk, received, assessed, category, outcome in reports.values_list(
            "pk", "received_at", "first_assessed_at", "category", "outcome"
        )
    }
    first_dispatch: list[float] = []
    police = 0
    for pk, (first, to_police) in _report_dispatch_times(reports).items():
        received, assessed, is_csam = facts[pk]
        if assessed is not None:
            first_dispatch.append((first - assessed).total_seconds())
        police += is_csam and to_police is not None and to_police - received <= WITHIN
    deleted = _deleted_in(period)
    for delay, police_delay, category, outcome in deleted.values_list(
        "first_dispatch_delay", "police_delay", "category", "outcome"
    ):
        if delay is not None:
            first_dispatch.append(delay.total_seconds())
        police += category == "csam" and outcome == "actionable" and _within(_seconds(police_delay))
    csam = sum(1 for *_rest, is_csam in facts.values() if is_csam)
    csam += deleted.filter(category="csam", outcome="actionable").count()
    sent = Dispatch.objects.filter(sent_at__gte=start, sent_at__lt=end)
    acknowledgements = [
        (acknowledged - sent_at).total_seconds()
        for sent_at, acknowledged in sent.values_list("sent_at", "acknowledged_at")
        if acknowledged is not None and sent_at is not None
    ]
    return DispatchFigures(
        _delay(first_dispatch), _delay(acknowledgements), sent.count(), csam, police
    )


def overdue_dispatches(now: datetime | None = None) -> list[Overdue]:
    """Per institution with any, its dispatches waiting for an acknowledgement past their
    deadline right now (``Handover.overdue_q``), most first, and how many wait in all. One
    query over the open dispatches (index ``..._due``)."""
    rows = (
        Dispatch.objects.filter(status__in=Dispatch.OPEN_STATUSES)
        .order_by()
        .values("institution__name")
        .annotate(waiting=Count("id"), overdue=Count("id", filter=Dispatch.overdue_q(now)))
        .filter(overdue__gt=0)
        .order_by("-overdue", "institution__name")
    )
    return [Overdue(row["institution__name"], row["waiting"], row["overdue"]) for row in rows]


# --- Two connections at once ------------------------------------------------------------------


def run_on_two_connections(
    here: Sequence[Callable[[], object]], there: Sequence[Callable[[], object]]
) -> None:
    """Run the calls ``here`` on this thread's connection and, at the same time, the calls
    ``there`` on a second connection of a thread of their own (closed when they are done):
    the figures' big queries use both cores of a small server instead of one.

    Each connection reads its own snapshot, taken when its query starts, so two figures of
    one page may differ by what was written in the milliseconds between two queries (as
    they already could between two queries of one connection: each runs in its own
    transaction). One after the other on this connection instead when it is in a
    transaction (a second connection would not see its uncommitted rows: tests, a caller's
    ``atomic``) or not on PostgreSQL (the quick start's SQLite)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or not there:
        for call in (*here, *there):
            call()
        return

    def lane() -> None:
        try:
            for call in there:
                call()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(lane)
        for call in here:
            call()
        future.result()
