"""The hotline's figures page: each builder turns selectors of ``hotline.figures`` into
figures (a table, a chart drawn from the same numbers, a note on what they mean).

``BUILDERS`` is the page, in order. A builder names the tables it makes, so that a CSV
export runs only the builder of its table. To add a figure: a selector in
``sigurnet/hotline/figures.py``, a builder here, a line in ``BUILDERS`` (the extension points
below), a section in docs/figures.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from sigurnet.core import countries
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


class Selection:
    """The selectors' results for one period, each asked for once and kept (a builder may
    share one with another: ``forwarding_figures``)."""

    def __init__(self, period: figures.Period) -> None:
        self.period = period

    @cached_property
    def counts(self) -> figures.ReportCounts:
        return figures.report_counts(self.period)

    @cached_property
    def delays(self) -> figures.AssessmentDelays:
        return figures.assessment_delays(self.period)

    @cached_property
    def items(self) -> figures.ItemFigures:
        return figures.item_figures(self.period)

    @cached_property
    def dispatches(self) -> figures.DispatchFigures:
        return figures.dispatch_figures(self.period)

    def select_all(self) -> None:
        """Ask every selector of the page, the four big ones two at a time on two
        connections (``figures.run_on_two_connections``), balanced by their cost at a
        million reports: the items and the counts here, the dispatches and the delays there."""
        figures.run_on_two_connections(
            [lambda: self.items, lambda: self.counts],
            [lambda: self.dispatches, lambda: self.delays],
        )


@dataclass(frozen=True)
class Builder:
    tables: tuple[str, ...]  # the names of the tables it makes, in order
    make: Callable[[Selection], list[Figure]]

    def build(self, period: figures.Period | Selection) -> list[Figure]:
        selection = period if isinstance(period, Selection) else Selection(period)
        return self.make(selection)


# The outcomes in the order the page lists them; "" is a report not assessed yet.
OUTCOMES: tuple[str, ...] = (*Assessment.Outcome.values, figures.NOT_ASSESSED)


def outcome_label(outcome: str) -> str:
    if outcome == figures.NOT_ASSESSED:
        return _("Not assessed yet")
    return str(Assessment.Outcome(outcome).label)


def hours_format(value: float) -> str:
    return charts.count_format(value)


def report_figures(selection: Selection) -> list[Figure]:
    """Summary, reports per month, per category, per channel and outcomes: one query."""
    counts = selection.counts
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


def delay_figures(selection: Selection) -> list[Figure]:
    """Report -> first assessment (all, urgent categories) and the four-eyes wait."""
    delays = selection.delays
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


def country_label(code: str) -> str:
    """A country by name in the staff's language (``core.countries``), else its code."""
    if not code:
        return _("Not looked up")
    return countries.country_name(code)


def forwarding_figures(selection: Selection) -> list[Figure]:
    """Hosting countries, dispatch delays and INHOPE's measures: two selectors, one query each
    on PostgreSQL (``item_figures`` and ``dispatch_figures``), shared by the three figures."""
    items = selection.items
    dispatches = selection.dispatches
    return [
        *hosting_figures(items),
        *dispatch_delay_figures(dispatches, items),
        *inhope_figures(dispatches, items),
    ]


def hosting_figures(items: figures.ItemFigures) -> list[Figure]:
    """Content items of actionable and harmful reports per hosting country."""
    ordered = sorted(items.countries.items(), key=lambda pair: (-pair[1], pair[0] or "~"))
    table = Table(
        "hosting_countries",
        _("Hosting countries"),
        columns(
            (_("Country"), Kind.LABEL),
            (_("Content items"), Kind.COUNT),
            (_("Share (%)"), Kind.SHARE),
        ),
        rows([(country_label(c), n, share(n, items.items)) for c, n in ordered]),
    )
    chart = charts.bar_chart(
        chart_id="chart-hosting-countries",
        title=_("Hosting countries"),
        description=_("Horizontal bars of content items per country where they were hosted."),
        labels=[country_label(c) for c, _n in ordered],
        series=[(_("Content items"), [n for _c, n in ordered])],
        horizontal=True,
    )
    return [
        Figure(
            table,
            chart,
            note=_(
                "Content items of the period's actionable and harmful reports, by the country "
                "of the first address their host resolved to. An item counts once for each "
                "report that names it."
            ),
        )
    ]


def dispatch_delay_figures(
    dispatches: figures.DispatchFigures, items: figures.ItemFigures
) -> list[Figure]:
    """Assessment -> first dispatch, dispatch -> acknowledgement, dispatch -> removal."""
    measures = [
        (
            _("Assessment to first dispatch"),
            _("To first dispatch"),
            _("Reports"),
            dispatches.assessment_to_first_dispatch,
        ),
        (
            _("Dispatch to acknowledgement"),
            _("To acknowledgement"),
            _("Dispatches"),
            dispatches.dispatch_to_acknowledgement,
        ),
        (
            _("Notice to removal"),
            _("To removal"),
            _("Content items"),
            items.notice_to_removal,
        ),
    ]
    table = Table(
        "dispatch_delays",
        _("Time to dispatch, acknowledgement and removal"),
        columns(
            (_("Measure"), Kind.LABEL),
            (_("Counted"), Kind.COUNT),
            (_("Median (hours)"), Kind.HOURS),
            (_("90th percentile (hours)"), Kind.HOURS),
        ),
        rows([(label, d.count, hours(d.median), hours(d.p90)) for label, _s, _u, d in measures]),
    )
    chart = charts.bar_chart(
        chart_id="chart-dispatch-delays",
        title=_("Time to dispatch, acknowledgement and removal"),
        description=_("Horizontal bars of the median and the 90th percentile, in hours."),
        labels=[str(short) for _label, short, _u, _d in measures],
        series=[
            (_("Median (hours)"), [hours(d.median) for *_rest, d in measures]),
            (_("90th percentile (hours)"), [hours(d.p90) for *_rest, d in measures]),
        ],
        horizontal=True,
        value_format=hours_format,
    )
    return [
        Figure(
            table,
            chart,
            note=_(
                "Assessment to first dispatch: reports received in the period, from their "
                "first assessment to the first dispatch sent. Dispatch to acknowledgement: "
                "dispatches sent in the period. Notice to removal: content items of the "
                "period's actionable and harmful reports, from the first notice asking for "
                "removal (to a host, a platform or a partner hotline) to the removal, for "
                "items removed after it."
            ),
        )
    ]


def inhope_figures(dispatches: figures.DispatchFigures, items: figures.ItemFigures) -> list[Figure]:
    """INHOPE's measures: CSAM to the police within 3 days; removal within 3 days."""
    measures = [
        (
            _("Actionable CSAM reports that reached the police within 3 days of the report"),
            _("CSAM to the police"),
            dispatches.csam_to_police_within_3_days,
            dispatches.actionable_csam,
        ),
        (
            _("Content items removed within 3 days of the report"),
            _("Removed, from the report"),
            items.removed_within_3_days_of_report,
            items.items,
        ),
        (
            _("Content items removed within 3 days of the first notice asking for removal"),
            _("Removed, from the notice"),
            items.removed_within_3_days_of_notice,
            items.noticed,
        ),
    ]
    table = Table(
        "inhope",
        _("INHOPE's measures"),
        columns(
            (_("Measure"), Kind.LABEL),
            (_("Within 3 days"), Kind.COUNT),
            (_("Of"), Kind.COUNT),
            (_("Share (%)"), Kind.SHARE),
        ),
        rows([(label, n, of, share(n, of)) for label, _s, n, of in measures]),
    )
    chart = charts.bar_chart(
        chart_id="chart-inhope",
        title=_("INHOPE's measures"),
        description=_("Horizontal bars of the shares within 3 days, in per cent."),
        labels=[str(short) for _label, short, _n, _of in measures],
        series=[(_("Share (%)"), [share(n, of) for _l, _s, n, of in measures])],
        horizontal=True,
        value_format=hours_format,
    )
    return [
        Figure(
            table,
            chart,
            note=_(
                "As INHOPE counts them, from the report to the hotline: reached the police "
                "means a dispatch to the police or a prosecutor's office was sent. The last "
                "line counts from the first notice to a host, a platform or a partner "
                "hotline instead, of the items that had one; an item already gone when the "
                "notice went out counts as removed within 3 days."
            ),
        )
    ]


def overdue_figures(selection: Selection) -> list[Figure]:
    """Dispatches overdue right now, per institution (whatever the period)."""
    overdue = figures.overdue_dispatches()
    table = Table(
        "overdue_dispatches",
        _("Overdue dispatches"),
        columns(
            (_("Institution"), Kind.LABEL),
            (_("Overdue dispatches"), Kind.COUNT),
            (_("Waiting for acknowledgement"), Kind.COUNT),
        ),
        rows([(o.institution, o.overdue, o.waiting) for o in overdue]),
    )
    chart = (
        charts.bar_chart(
            chart_id="chart-overdue-dispatches",
            title=_("Overdue dispatches"),
            description=_("Horizontal bars of overdue dispatches per institution."),
            labels=[o.institution for o in overdue],
            series=[(_("Overdue dispatches"), [o.overdue for o in overdue])],
            horizontal=True,
        )
        if overdue
        else None
    )
    return [
        Figure(
            table,
            chart,
            note=_(
                "Now, whatever the period: dispatches not acknowledged by their deadline. "
                "None is good news."
            ),
        )
    ]


BUILDERS: list[Builder] = [
    Builder(("summary", "months", "categories", "channels", "outcomes"), report_figures),
    Builder(("assessment_delays",), delay_figures),
    Builder(("hosting_countries", "dispatch_delays", "inhope"), forwarding_figures),
    Builder(("overdue_dispatches",), overdue_figures),
]


def builder_of(table: str) -> Builder | None:
    """The builder that makes ``table``, None for a name no builder makes."""
    return next((b for b in BUILDERS if table in b.tables), None)


def build_all(period: figures.Period) -> list[Figure]:
    selection = Selection(period)
    selection.select_all()
    return [figure for builder in BUILDERS for figure in builder.build(selection)]
