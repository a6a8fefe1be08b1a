"""The hotline's figures at /staff/stats/hotline/: computed from the reports, every number by
hand below; every CSV equals its table; charts without script; supervisors and administrators
only; the figures survive retention."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from sigurnet.hotline import figures
from sigurnet.hotline.models import Assessment, DeletedReportFacts, Report, Status
from sigurnet.hotline.tasks import apply_retention
from sigurnet.hotline.triage import selectors as triage_selectors
from sigurnet.hotline.triage import services as triage
from sigurnet.stats import charts
from sigurnet.stats import hotline as hotline_figures
from sigurnet.stats import urls as stats_urls

pytestmark = pytest.mark.django_db

PAGE = "/staff/stats/hotline/"
# The first quarter of 2025: the known reports below, in the centre's time zone.
QUARTER = "?from=2025-01-01&to=2025-03-31"
CSAM_CLASSIFICATION = {
    "legal_class": "baseline",
    "victim_age": "prepubescent",
    "victim_gender": "unknown",
    "content_kind": "image",
    "commercial": False,
}


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.get_default_timezone())  # type: ignore[misc]


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """Everything that asks django.utils.timezone for the time gets ``moment``."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class Hotline:
    """Files and assesses reports at chosen times, through the services the analysts use."""

    def __init__(self, make_report: Any, analyst: Any, second: Any) -> None:
        self.make_report = make_report
        self.analyst = analyst
        self.second = second

    def file(self, category: str, channel: str, received: datetime) -> Report:
        with clock(received):
            return self.make_report(channel=channel, category=category)

    def assess(
        self,
        report: Report,
        outcome: str,
        at: datetime,
        *,
        duplicate_of: Report | None = None,
        confirmed_at: datetime | None = None,
    ) -> Report:
        csam = report.category == "csam" and outcome == "actionable"
        with clock(at):
            if report.assignee_id is None:
                triage.claim(report, actor=self.analyst)
            elif report.status == Status.ASSESSED:  # a second look
                triage.transition(report, Status.IN_ASSESSMENT, actor=self.analyst)
            triage.assess(
                report,
                outcome=outcome,
                priority="normal",
                category=report.category,
                duplicate_of=duplicate_of,
                classification=CSAM_CLASSIFICATION if csam else None,
                legal_basis=(
                    triage_selectors.legal_bases().first()
                    if outcome in ("actionable", "harmful") and not csam
                    else None
                ),
                actor=self.analyst,
            )
        if confirmed_at is not None:
            with clock(confirmed_at):
                triage.confirm(report, actor=self.second)
        return report


@pytest.fixture
def hotline(make_report, make_staff) -> Hotline:
    return Hotline(
        make_report,
        make_staff("Hotline analyst", username="ana"),
        make_staff("Hotline analyst", username="boris"),
    )


@pytest.fixture
def known(hotline: Hotline) -> dict[str, Report]:
    """Seven reports received in the first quarter of 2025 and two just outside it.

    | report | received (local)  | category        | channel | first assessment     | newest     |
    | r1     | 10 Jan 10:00      | csam            | web     | +2 h (confirmed +5 h)| actionable |
    | r2     | 20 Jan 09:00      | phishing_fraud  | web     | +10 h                | not_act.   |
    | r3     | 3 Feb 08:00       | hate_speech     | email   | +4 h harmful         | actionable |
    | r4     | 14 Feb 12:00      | cyberbullying   | api     | +20 h                | incomplete |
    | r5     | 1 Mar 00:30 (UTC: 28 Feb) | other   | web     | +1 h                 | duplicate  |
    | r6     | 5 Mar 10:00       | grooming        | phone   | +6 h                 | outside    |
    | r7     | 31 Mar 23:59      | sextortion      | web     | -                    | (none)     |
    | r8     | 1 Apr 00:30 (UTC: 31 Mar) | ncii    | web     | +1 h                 | actionable |
    | r9     | 31 Dec 2024 23:30 | phishing_fraud  | web     | -                    | (none)     |
    """
    h = hotline
    hour = timedelta(hours=1)
    r1 = h.file("csam", "web", local(2025, 1, 10, 10))
    h.assess(r1, "actionable", r1.received_at + 2 * hour, confirmed_at=r1.received_at + 7 * hour)
    r2 = h.file("phishing_fraud", "web", local(2025, 1, 20, 9))
    h.assess(r2, "not_actionable", r2.received_at + 10 * hour)
    r3 = h.file("hate_speech", "email", local(2025, 2, 3, 8))
    h.assess(r3, "harmful", r3.received_at + 4 * hour)
    h.assess(r3, "actionable", r3.received_at + 30 * hour)
    r4 = h.file("cyberbullying", "api", local(2025, 2, 14, 12))
    h.assess(r4, "incomplete", r4.received_at + 20 * hour)
    r5 = h.file("other", "web", local(2025, 3, 1, 0, 30))
    h.assess(r5, "duplicate", r5.received_at + hour, duplicate_of=r2)
    r6 = h.file("grooming", "phone", local(2025, 3, 5, 10))
    h.assess(r6, "outside_remit", r6.received_at + 6 * hour)
    r7 = h.file("sextortion", "web", local(2025, 3, 31, 23, 59))
    r8 = h.file("ncii", "web", local(2025, 4, 1, 0, 30))
    h.assess(r8, "actionable", r8.received_at + hour)
    r9 = h.file("phishing_fraud", "web", local(2024, 12, 31, 23, 30))
    return {f"r{n}": r for n, r in enumerate([r1, r2, r3, r4, r5, r6, r7, r8, r9], start=1)}


QUARTER_PERIOD = figures.Period(date(2025, 1, 1), date(2025, 3, 31))


def csv_rows(client: Client, table: str, query: str = QUARTER) -> list[list[str]]:
    response = client.get(f"{PAGE}{query}&format=csv&table={table}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def by_label(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows[1:]}


# --- The selectors give each figure exactly ---------------------------------------------------


def test_report_counts_per_month_category_channel_and_outcome(known):
    counts = figures.report_counts(QUARTER_PERIOD)
    assert counts.total == 7
    # In the centre's time zone: r5 (28 Feb UTC) is March's, r8 (31 Mar UTC) is April's.
    assert counts.per_month() == [
        (date(2025, 1, 1), 2),
        (date(2025, 2, 1), 2),
        (date(2025, 3, 1), 3),
    ]
    assert counts.per_channel() == {"web": 4, "email": 1, "api": 1, "phone": 1}
    assert counts.per_category() == {
        "csam": 1,
        "phishing_fraud": 1,
        "hate_speech": 1,
        "cyberbullying": 1,
        "other": 1,
        "grooming": 1,
        "sextortion": 1,
    }
    # r3 was harmful first: its newest assessment counts.
    assert counts.per_outcome() == {
        "actionable": 2,
        "not_actionable": 1,
        "incomplete": 1,
        "duplicate": 1,
        "outside_remit": 1,
        "": 1,
    }
    assert counts.per_month_and_channel()[(date(2025, 3, 1), "web")] == 2


def test_delays_are_medians_and_90th_percentiles_of_the_first_assessment(known):
    delays = figures.assessment_delays(QUARTER_PERIOD)
    # First assessments after 2, 10, 4 (not 30: r3's second look), 20, 1 and 6 hours.
    # Sorted 1 2 4 6 10 20: median at position 2.5 -> 5 h; 90th at 4.5 -> 10 + 0.5 * 10 = 15 h.
    assert delays.all_reports == figures.Delay(6, 5 * 3600, 15 * 3600)
    # Urgent categories: r1 (2 h) and r6 (6 h); r7 not assessed. 90th: 2 + 0.9 * 4 = 5.6 h.
    assert delays.urgent.count == 2
    assert delays.urgent.median == 4 * 3600
    assert delays.urgent.p90 == pytest.approx(5.6 * 3600)
    # Four eyes: r1 confirmed 5 hours after its assessment.
    assert delays.confirmation == figures.Delay(1, 5 * 3600, 5 * 3600)


def test_delays_without_any_assessment_are_empty(db):
    delays = figures.assessment_delays(QUARTER_PERIOD)
    assert delays.all_reports == figures.Delay(0, None, None)
    assert delays.confirmation == figures.Delay(0, None, None)


def test_the_page_shows_each_figure_for_the_chosen_period(known, signed_in):
    client = signed_in("Hotline supervisor")
    summary = by_label(csv_rows(client, "summary"))
    assert summary == {
        "Reports received": ["7", "100.0"],
        "Reports assessed": ["6", "85.7"],
        "Related to abuse (actionable or harmful)": ["2", "28.6"],
        "Actionable child sexual abuse material": ["1", "14.3"],
        "Incomplete reports": ["1", "14.3"],
    }
    months = csv_rows(client, "months")
    assert months[0] == ["Month", "Reports", "Web form", "E-mail", "API", "Phone", "Partner"]
    assert months[1:] == [
        ["2025-01", "2", "2", "0", "0", "0", "0"],
        ["2025-02", "2", "0", "1", "1", "0", "0"],
        ["2025-03", "3", "2", "0", "0", "1", "0"],
    ]
    outcomes = by_label(csv_rows(client, "outcomes"))
    assert outcomes == {
        "Actionable (illegal)": ["2", "28.6"],
        "Harmful but not illegal": ["0", "0.0"],
        "Not actionable": ["1", "14.3"],
        "Incomplete": ["1", "14.3"],
        "Duplicate": ["1", "14.3"],
        "Outside our remit": ["1", "14.3"],
        "Not assessed yet": ["1", "14.3"],
    }
    channels = by_label(csv_rows(client, "channels"))
    assert channels["Web form"] == ["4", "57.1"] and channels["Partner"] == ["0", "0.0"]
    categories = by_label(csv_rows(client, "categories"))
    assert categories["Sexual abuse of a child (pictures or videos)"] == ["1", "14.3"]
    assert categories["Intimate pictures shared without permission"] == ["0", "0.0"]
    delays = by_label(csv_rows(client, "assessment_delays"))
    assert delays == {
        "Report to first assessment": ["6", "5.0", "15.0"],
        "Report to first assessment, urgent categories": ["2", "4.0", "5.6"],
        "Actionable CSAM: assessment to second analyst's confirmation": ["1", "5.0", "5.0"],
    }


def test_a_later_period_counts_only_its_own_reports(known, signed_in):
    client = signed_in("Hotline supervisor")
    april = by_label(csv_rows(client, "summary", "?from=2025-04-01&to=2025-04-30"))
    assert april["Reports received"] == ["1", "100.0"]
    assert april["Related to abuse (actionable or harmful)"] == ["1", "100.0"]
    delays = by_label(csv_rows(client, "assessment_delays", "?from=2025-04-01&to=2025-04-30"))
    assert delays["Report to first assessment"] == ["1", "1.0", "1.0"]
    assert delays["Actionable CSAM: assessment to second analyst's confirmation"] == ["0", "", ""]


def test_all_years_starts_with_the_first_report(known, signed_in):
    client = signed_in("Hotline supervisor")
    summary = by_label(csv_rows(client, "summary", "?all=1"))
    assert summary["Reports received"] == ["9", "100.0"]
    months = csv_rows(client, "months", "?all=1")
    assert months[1][:2] == ["2024-12", "1"]
    page = client.get(f"{PAGE}?all=1").content.decode()
    assert "All years." in page


def test_the_default_period_is_the_last_12_months(hotline, signed_in):
    now = timezone.now()
    hotline.file("other", "web", now - timedelta(hours=1))
    hotline.file("other", "web", now - timedelta(days=400))
    client = signed_in("Hotline supervisor")
    summary = by_label(csv_rows(client, "summary", "?"))
    assert summary["Reports received"] == ["1", "100.0"]
    period = figures.last_12_months()
    assert len(period.months()) == 12 and period.end == timezone.localdate()


def test_a_period_that_ends_before_it_starts_is_refused_beside_the_field(signed_in):
    client = signed_in("Hotline supervisor")
    page = client.get(f"{PAGE}?from=2025-03-01&to=2025-01-01").content.decode()
    assert "The end of the period comes before its start." in page
    assert 'class="error-summary"' in page
    response = client.get(f"{PAGE}?from=2025-03-01&to=2025-01-01&format=csv&table=summary")
    assert response.status_code == 400
    page = client.get(f"{PAGE}?from=9999-12-31").content.decode()
    assert "Choose a date between" in page
    assert client.get(f"{PAGE}?format=csv&table=nothing").status_code == 404


# --- Every CSV equals its table -------------------------------------------------------------


class Tables(HTMLParser):
    """The figure tables of a page: {name: rows of cell texts}, and the CSV links."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self._name: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-table"):
            self._name = found["data-table"]
            self.tables[self._name] = []
        elif tag == "tr" and self._name:
            self.tables[self._name].append([])
        elif tag in ("th", "td") and self._name:
            self._cell = []
        elif tag == "a" and "format=csv" in (found.get("href") or ""):
            self.links.append(found["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._name and self._cell is not None:
            self.tables[self._name][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._name = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def number(text: str, language: str) -> float | None:
    """A number as the page writes it in ``language`` (digit groups, decimal mark), or None."""
    if text in ("", "—"):
        return None
    if language == "en":
        return float(text.replace(",", ""))
    return float(text.replace(".", "").replace(",", "."))


@pytest.mark.parametrize("language", ["en", "sr-latn"])
def test_every_csv_equals_its_table(known, signed_in, language):
    client = signed_in("Hotline supervisor")
    client.cookies["django_language"] = language
    page = client.get(f"{PAGE}{QUARTER}")
    parser = Tables()
    parser.feed(page.content.decode())
    names = [name for builder in hotline_figures.BUILDERS for name in builder.tables]
    assert list(parser.tables) == names  # every table of every builder is on the page
    assert len(parser.links) == len(names)
    for link in parser.links:
        link = link.replace("&amp;", "&")
        name = re.search(r"table=([a-z_]+)", link).group(1)  # type: ignore[union-attr]
        assert "from=2025-01-01" in link and "to=2025-03-31" in link  # the same period
        exported = list(
            csv.reader(io.StringIO(client.get(PAGE + link).content.decode("utf-8-sig")))
        )
        shown = parser.tables[name]
        assert len(exported) == len(shown), name
        assert exported[0] == shown[0], name  # the header
        for csv_row, html_row in zip(exported[1:], shown[1:], strict=True):
            assert len(csv_row) == len(html_row), name
            for csv_cell, html_cell in zip(csv_row[1:], html_row[1:], strict=True):
                assert number(html_cell, language) == (float(csv_cell) if csv_cell else None)
            if name != "months":
                assert csv_row[0] == html_row[0], name


def test_numbers_and_months_are_written_in_the_readers_language(known, signed_in):
    client = signed_in("Hotline supervisor")
    client.cookies["django_language"] = "sr-latn"
    page = client.get(f"{PAGE}{QUARTER}").content.decode()
    assert "januar 2025." in page  # the month, in Serbian
    assert "28,6" in page  # decimal comma in the table
    assert csv_rows(client, "summary")[1][1:] == ["7", "100.0"]  # plain in the CSV
    client.cookies["django_language"] = "sr"
    page = client.get(f"{PAGE}{QUARTER}").content.decode()
    assert "јануар 2025." in page


def test_big_counts_are_grouped_on_the_page_and_plain_in_the_csv():
    from django.utils import translation

    from sigurnet.stats.tables import Column, Kind, Table

    table = Table("t", "T", (Column("x"), Column("n", Kind.COUNT)), (("a", 1234567),))
    with translation.override("sr-latn"):
        assert table.display_rows() == [["a", "1.234.567"]]
    with translation.override("en"):
        assert table.display_rows() == [["a", "1,234,567"]]
    assert table.csv_text() == "x,n\r\na,1234567\r\n"


# --- Charts ------------------------------------------------------------------------------------


def test_a_chart_has_no_script_no_external_reference_and_a_title():
    svg = charts.bar_chart(
        chart_id="chart-test",
        title="Reports <per> month",
        description="Bars & more",
        labels=["Jan 2025", "Feb 2025"],
        series=[("Web", [3, 5]), ("E-mail", [1, None])],
        stacked=True,
    )
    assert "<script" not in svg.lower()
    assert "<style" not in svg.lower()
    assert not re.search(r"https?:", svg)
    assert " style=" not in svg and "href" not in svg and "<!--" not in svg
    assert svg.startswith('<svg id="chart-test"')
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-test-title chart-test-desc"' in svg
    assert '<title id="chart-test-title">Reports &lt;per&gt; month</title>' in svg
    assert '<desc id="chart-test-desc">Bars &amp; more</desc>' in svg
    assert svg.count("<title") == 1  # pygal's own tooltips are gone


def test_the_page_has_no_script_and_its_charts_no_external_reference(known, signed_in):
    page = signed_in("Administrator").get(f"{PAGE}{QUARTER}").content.decode()
    assert "<script" not in page.lower()
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    # every figure but the summary, and the overdue dispatches when none is overdue
    assert len(svgs) == 8
    for svg in svgs:
        assert not re.search(r"https?:", svg)
        assert 'role="img"' in svg and "<title " in svg and "<desc " in svg


# --- Retention: the figures survive it ------------------------------------------------------


def every_table(client: Client, query: str) -> dict[str, list[list[str]]]:
    names = [name for builder in hotline_figures.BUILDERS for name in builder.tables]
    return {name: csv_rows(client, name, query) for name in names}


def test_reports_deleted_by_retention_still_count_in_past_figures(known, signed_in, settings):
    client = signed_in("Hotline supervisor")
    before = {query: every_table(client, query) for query in (QUARTER, "?all=1")}
    long_ago = timezone.now() - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS + 1)
    gone = [known["r1"], known["r2"], known["r4"], known["r5"], known["r9"]]
    Report.objects.filter(pk__in=[known["r1"].pk, known["r2"].pk, known["r9"].pk]).update(
        status=Status.CLOSED
    )
    Report.objects.filter(pk__in=[r.pk for r in gone]).update(updated_at=long_ago)

    assert apply_retention()["reports"] == 5
    assert not Report.objects.filter(pk__in=[r.pk for r in gone]).exists()
    assert not Assessment.objects.filter(report_id__in=[r.pk for r in gone]).exists()
    assert DeletedReportFacts.objects.count() == 5
    after = {query: every_table(client, query) for query in (QUARTER, "?all=1")}
    assert after == before
    # What is kept names nobody: the date, category, channel, outcome and delays only.
    kept = DeletedReportFacts.objects.get(category="csam")
    assert (kept.received_on, kept.channel, kept.outcome) == (
        date(2025, 1, 10),
        "web",
        "actionable",
    )
    assert kept.assessment_delay == timedelta(hours=2)
    assert kept.confirmation_delay == timedelta(hours=5)
    assert apply_retention()["reports"] == 0
    assert DeletedReportFacts.objects.count() == 5  # a second run keeps nothing twice


# --- Who may see the figures ---------------------------------------------------------------


def pages() -> list[tuple[str, str]]:
    """(url name, path) of every stats page; the test below checks that this list names every
    pattern, so a new page cannot be added without its permission test."""
    return [("hotline", PAGE)]


def test_the_permission_table_covers_every_stats_url():
    assert {name for name, _path in pages()} == {p.name for p in stats_urls.urlpatterns}


@pytest.mark.parametrize("role", ["Hotline supervisor", "Administrator"])
def test_supervisors_and_administrators_see_the_figures_and_their_link(role, signed_in):
    client = signed_in(role)
    for _name, path in pages():
        assert client.get(path).status_code == 200, path
        assert client.get(f"{path}?format=csv&table=summary").status_code == 200
    assert f'href="{PAGE}"' in client.get("/staff/").content.decode()


@pytest.mark.parametrize(
    "role",
    [
        "Hotline analyst",
        "Helpline counsellor",
        "Helpline supervisor",
        "Editor",
        "Educator",
        "Partner contact",
    ],
)
def test_other_roles_are_refused_the_figures_and_see_no_link(role, signed_in):
    client = signed_in(role)
    for _name, path in pages():
        assert client.get(path).status_code == 403, path
        assert client.get(f"{path}?format=csv&table=summary").status_code == 403
    assert PAGE not in client.get("/staff/").content.decode()


def test_a_signed_out_visitor_is_sent_to_sign_in():
    for _name, path in pages():
        response = Client().get(f"{path}?format=csv&table=summary")
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")


def test_the_page_works_with_no_report_at_all(signed_in):
    page = signed_in("Hotline supervisor").get(PAGE).content.decode()
    assert "No reports in this period" in page
    assert "<table" in page
