"""The hotline's figures page: each builder turns selectors of ``hotline.figures`` into
figures (a table, a chart drawn from the same numbers, a note on what they mean).

``BUILDERS`` is the page, in order. A builder names the tables it makes, so that a CSV
export runs only the builder of its table. To add a figure: a selector in
``sigurnet/hotline/figures.py``, a builder here, a line in ``BUILDERS`` (the extension points
below say which ones issue 14 still needs), a section in docs/figures.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from sigurnet.hotline import figures
from sigurnet.hotline.models import Assessment, Category, Channel
from sigurnet.stats import charts
from sigurnet.stats.tables import Kind, Table, columns, hours, month_label, rows, share


@dataclass(frozen=True)
class Figure:
    table: Table
    chart: SafeString | None = None
    note: str = ""
    wide: bool = False  # the chart above its table (a table too wide to sit beside it)


@dataclass(frozen=True)
class Builder:
    tables: tuple[str, ...]  # the names of the tables it makes, in order
    build: Callable[[figures.Period], list[Figure]]


# The outcomes in the order the page lists them; "" is a report not assessed yet.
OUTCOMES: tuple[str, ...] = (*Assessment.Outcome.values, figures.NOT_ASSESSED)


def outcome_label(outcome: str) -> str:
    if outcome == figures.NOT_ASSESSED:
        return _("Not assessed yet")
    return str(Assessment.Outcome(outcome).label)


def hours_format(value: float) -> str:
    return charts.count_format(value)


def report_figures(period: figures.Period) -> list[Figure]:
    """Summary, reports per month, per category, per channel and outcomes: one query."""
    counts = figures.report_counts(period)
    total = counts.total
    per_outcome = counts.per_outcome()
    assessed = total - per_outcome[figures.NOT_ASSESSED]
    abuse = per_outcome[Assessment.Outcome.ACTIONABLE] + per_outcome[Assessment.Outcome.HARMFUL]
    csam = counts.count(categories=[Category.CSAM], outcomes=[Assessment.Outcome.ACTIONABLE])
    summary = Table(
        "summary",
        _("In short"),
        columns(
            (_("Figure"), Kind.LABEL), (_("Reports"), Kind.COUNT), (_("Share (%)"), Kind.SHARE)
        ),
        rows(
            [
                (_("Reports received"), total, share(total, total)),
                (_("Reports assessed"), assessed, share(assessed, total)),
                (
                    _("Related to abuse (actionable or harmful)"),
                    abuse,
                    share(abuse, total),
                ),
                (
                    _("Actionable child sexual abuse material"),
                    csam,
                    share(csam, total),
                ),
                (
                    _("Incomplete reports"),
                    per_outcome[Assessment.Outcome.INCOMPLETE],
                    share(per_outcome[Assessment.Outcome.INCOMPLETE], total),
                ),
            ]
        ),
    )

    per_month = counts.per_month()
    by_channel = counts.per_month_and_channel()
    month_table = Table(
        "months",
        _("Reports per month"),
        columns(
            (_("Month"), Kind.MONTH),
            (_("Reports"), Kind.COUNT),
            *((channel.label, Kind.COUNT) for channel in Channel),
        ),
        rows(
            [
                (month, n, *(by_channel.get((month, channel), 0) for channel in Channel.values))
                for month, n in per_month
            ]
        ),
    )
    month_chart = charts.bar_chart(
        chart_id="chart-months",
        title=_("Reports per month"),
        description=_("Bars of reports received each month, stacked by channel."),
        labels=[month_label(month) for month, _n in per_month],
        series=[
            (
                str(channel.label),
                [by_channel.get((month, channel.value), 0) for month, _n in per_month],
            )
            for channel in Channel
        ],
        stacked=True,
        width=880,
    )

    per_category = counts.per_category()
    category_table = Table(
        "categories",
        _("Reports per category"),
        columns(
            (_("Category"), Kind.LABEL),
            (_("Reports"), Kind.COUNT),
            (_("Share (%)"), Kind.SHARE),
        ),
        rows(
            [
                (category.label, per_category[category.value], share(per_category[category], total))
                for category in Category
            ]
        ),
    )
    category_chart = charts.bar_chart(
        chart_id="chart-categories",
        title=_("Reports per category"),
        description=_("Horizontal bars of reports received per category."),
        labels=[str(category.label) for category in Category],
        series=[(_("Reports"), [per_category[category.value] for category in Category])],
        horizontal=True,
    )

    per_channel = counts.per_channel()
    channel_table = Table(
        "channels",
        _("Reports per channel"),
        columns(
            (_("Channel"), Kind.LABEL),
            (_("Reports"), Kind.COUNT),
            (_("Share (%)"), Kind.SHARE),
        ),
        rows(
            [
                (channel.label, per_channel[channel.value], share(per_channel[channel], total))
                for channel in Channel
            ]
        ),
    )
    channel_chart = charts.bar_chart(
        chart_id="chart-channels",
        title=_("Reports per channel"),
        description=_("Horizontal bars of reports received per channel."),
        labels=[str(channel.label) for channel in Channel],
        series=[(_("Reports"), [per_channel[channel.value] for channel in Channel])],
        horizontal=True,
    )

    outcome_table = Table(
        "outcomes",
        _("Outcomes"),
        columns(
            (_("Outcome"), Kind.LABEL),
            (_("Reports"), Kind.COUNT),
            (_("Share of received (%)"), Kind.SHARE),
        ),
        rows(
            [
                (outcome_label(outcome), per_outcome[outcome], share(per_outcome[outcome], total))
                for outcome in OUTCOMES
            ]
        ),
    )
    outcome_chart = charts.bar_chart(
        chart_id="chart-outcomes",
        title=_("Outcomes"),
        description=_("Horizontal bars of reports per outcome of their newest assessment."),
        labels=[outcome_label(outcome) for outcome in OUTCOMES],
        series=[(_("Reports"), [per_outcome[outcome] for outcome in OUTCOMES])],
        horizontal=True,
    )
    return [
        Figure(
            summary,
            note=_(
                "Shares are of the reports received in the period. A report counts with the "
                "outcome of its newest assessment."
            ),
        ),
        Figure(month_table, month_chart, wide=True),
        Figure(
            category_table,
            category_chart,
            note=_("The category as the analyst left it: an assessment may correct it."),
        ),
        Figure(channel_table, channel_chart),
        Figure(
            outcome_table,
            outcome_chart,
            note=_(
                "The outcome of each report's newest assessment. A reopened report keeps its "
                "last outcome until it is assessed again."
            ),
        ),
    ]


def delay_figures(period: figures.Period) -> list[Figure]:
    """Report -> first assessment (all, urgent categories) and the four-eyes wait."""
    delays = figures.assessment_delays(period)
    # (the table's label, the chart's short label, the delay)
    measures = [
        (_("Report to first assessment"), _("All reports"), delays.all_reports),
        (
            _("Report to first assessment, urgent categories"),
            _("Urgent categories"),
            delays.urgent,
        ),
        (
            _("Actionable CSAM: assessment to second analyst's confirmation"),
            _("Second analyst (CSAM)"),
            delays.confirmation,
        ),
    ]
    table = Table(
        "assessment_delays",
        _("Time to assessment"),
        columns(
            (_("Measure"), Kind.LABEL),
            (_("Reports"), Kind.COUNT),
            (_("Median (hours)"), Kind.HOURS),
            (_("90th percentile (hours)"), Kind.HOURS),
        ),
        rows([(label, d.count, hours(d.median), hours(d.p90)) for label, _short, d in measures]),
    )
    chart = charts.bar_chart(
        chart_id="chart-assessment-delays",
        title=_("Time to assessment"),
        description=_("Horizontal bars of the median and the 90th percentile, in hours."),
        labels=[str(short) for _label, short, _d in measures],
        series=[
            (_("Median (hours)"), [hours(d.median) for _label, _short, d in measures]),
            (_("90th percentile (hours)"), [hours(d.p90) for _label, _short, d in measures]),
        ],
        horizontal=True,
        value_format=hours_format,
    )
    return [
        Figure(
            table,
            chart,
            note=_(
                "From receipt to the first assessment, whatever it decided. An actionable CSAM "
                "assessment counts when the analyst made it; the wait for the second "
                "analyst's confirmation is the last line. Half of the reports waited less "
                "than the median, nine in ten less than the 90th percentile."
            ),
        )
    ]


BUILDERS: list[Builder] = [
    Builder(("summary", "months", "categories", "channels", "outcomes"), report_figures),
    Builder(("assessment_delays",), delay_figures),
    # --- Extension points (issue 14, next parts): one Builder each, selectors in
    # hotline/figures.py (see the comment at its end), a section in docs/figures.md.
    # Builder(("hosting_countries",), hosting_figures),
    #     content items of actionable/harmful reports per hosting country (HostingFacts).
    # Builder(("dispatch_delays",), dispatch_figures),
    #     median and 90th percentile of assessment -> first dispatch, dispatch ->
    #     acknowledgement, dispatch -> removal (Dispatch, ContentItem.removed_at).
    # Builder(("inhope",), inhope_figures),
    #     share of actionable CSAM reports that reached the police within 3 days; share of
    #     items removed within 3 days.
    # Builder(("overdue_dispatches",), overdue_figures),
    #     overdue dispatches per institution (now, whatever the period).
]


def builder_of(table: str) -> Builder | None:
    """The builder that makes ``table``, None for a name no builder makes."""
    return next((b for b in BUILDERS if table in b.tables), None)


def build_all(period: figures.Period) -> list[Figure]:
    return [figure for builder in BUILDERS for figure in builder.build(period)]
