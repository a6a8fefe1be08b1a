"""The hotline's figures of forwarding: hosting countries, time to dispatch, acknowledgement
and removal, INHOPE's measures and overdue dispatches - every number by hand below; every
CSV equals its table; the figures survive retention, and no dispatch text remains."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest

from sigurnet.core.models import Institution, OutgoingMessage
from sigurnet.hotline import figures
from sigurnet.hotline.models import (
    ContentItem,
    DeletedItemFacts,
    Dispatch,
    DispatchItem,
    HostingFacts,
    Report,
    Status,
)
from sigurnet.hotline.tasks import apply_retention
from sigurnet.stats import hotline as hotline_figures
from tests.stats.test_hotline_figures import (  # noqa: F401 (the fixture)
    PAGE,
    QUARTER,
    QUARTER_PERIOD,
    Hotline,
    Tables,
    by_label,
    csv_rows,
    every_table,
    hotline,
    local,
    number,
)

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def item_of(report: Report) -> ContentItem:
    return report.content_items.get()


def dispatch(
    institution: Institution,
    kind: str,
    reports: list[Report],
    items: list[ContentItem],
    sent_at: Any,
    *,
    acknowledged_after: timedelta | None = None,
) -> Dispatch:
    d = Dispatch.objects.create(
        institution=institution,
        kind=kind,
        language="en",
        recipient="intake@police.example.org",
        subject="Report of illegal content",
        body="Please look at https://secret.example.com/listed",
        outgoing=OutgoingMessage.objects.create(
            kind="hotline.dispatch",
            message_id=f"<{kind}-{sent_at:%s}@example.org>",
            recipients="intake@police.example.org",
            subject="Report of illegal content",
            body="Please look at https://secret.example.com/listed",
            sent_at=sent_at,
        ),
        status=Dispatch.Status.ACKNOWLEDGED if acknowledged_after else Dispatch.Status.SENT,
        sent_at=sent_at,
        due_at=sent_at + 72 * HOUR,
        acknowledged_at=sent_at + acknowledged_after if acknowledged_after else None,
        outcome_note="Case opened by inspector Example" if acknowledged_after else "",
    )
    d.reports.add(*reports)
    for position, item in enumerate(items):
        DispatchItem.objects.create(dispatch=d, content_item=item, position=position)
    return d


@pytest.fixture
def forwarded(hotline: Hotline) -> dict[str, Any]:  # noqa: F811 (the fixture above)
    """Five reports of the first quarter of 2025 (times after receipt):

    | report | category | outcome        | items (hosted in) | dispatches                          |
    | rA     | csam     | actionable +2h | iA (NL)           | police +24h (ack +30h); partner +26h|
    | rB     | hate     | harmful +4h    | iB1 (RS), iB2 (-) | takedown +10h (both items; ack +2h) |
    | rC     | csam     | actionable +1h | iC (-)            | -                                   |
    | rD     | phishing | not_actionable | iD (DE)           | -                                   |
    | rE     | csam     | actionable +1h | iE (-)            | police +96h (not acknowledged)      |

    iA removed +50h after rA, iB1 +100h after rB; the partner hotline's and rE's police
    dispatches are overdue (72 hours passed long ago).
    """
    h = hotline
    police = Institution.objects.create(name="Policija (primer)", kind="police", country="RS")
    partner = Institution.objects.create(
        name="Meldpunt (example)", kind="partner_hotline", country="NL"
    )
    host = Institution.objects.create(
        name="Hosting d.o.o. (primer)", kind="hosting_provider", country="RS"
    )

    def file(category: str, received: Any, urls: list[str]) -> Report:
        report = h.make_report
        h.make_report = lambda **kw: report(urls=urls, **kw)
        try:
            return h.file(category, "web", received)
        finally:
            h.make_report = report

    rA = file("csam", local(2025, 1, 10, 10), ["https://a.example.net/1"])
    h.assess(rA, "actionable", rA.received_at + 2 * HOUR, confirmed_at=rA.received_at + 3 * HOUR)
    rB = file(
        "hate_speech", local(2025, 2, 3, 8), ["https://b.example.rs/1", "https://b2.example.com/"]
    )
    h.assess(rB, "harmful", rB.received_at + 4 * HOUR)
    rC = file("csam", local(2025, 2, 20, 9), ["https://c.example.org/1"])
    h.assess(rC, "actionable", rC.received_at + HOUR, confirmed_at=rC.received_at + 2 * HOUR)
    rD = file("phishing_fraud", local(2025, 2, 21, 9), ["https://d.example.de/1"])
    h.assess(rD, "not_actionable", rD.received_at + HOUR)
    rE = file("csam", local(2025, 3, 1, 9), ["https://e.example.org/1"])
    h.assess(rE, "actionable", rE.received_at + HOUR, confirmed_at=rE.received_at + 2 * HOUR)

    iA = item_of(rA)
    iB1, iB2 = rB.content_items.order_by("reported_urls__position")
    HostingFacts.objects.update_or_create(item=iA, defaults={"country": "NL"})
    HostingFacts.objects.update_or_create(item=iB1, defaults={"country": "RS"})
    HostingFacts.objects.update_or_create(item=item_of(rD), defaults={"country": "DE"})
    dispatch(police, "police", [rA], [iA], rA.received_at + 24 * HOUR, acknowledged_after=30 * HOUR)
    dispatch(partner, "partner_hotline", [rA], [iA], rA.received_at + 26 * HOUR)
    dispatch(
        host, "takedown", [rB], [iB1, iB2], rB.received_at + 10 * HOUR, acknowledged_after=2 * HOUR
    )
    dispatch(police, "police", [rE], [item_of(rE)], rE.received_at + 96 * HOUR)
    ContentItem.objects.filter(pk=iA.pk).update(removed_at=rA.received_at + 50 * HOUR)
    ContentItem.objects.filter(pk=iB1.pk).update(removed_at=rB.received_at + 100 * HOUR)
    return {"rA": rA, "rB": rB, "rC": rC, "rD": rD, "rE": rE}


# --- The selectors and the tables give each figure exactly -------------------------------------


def test_hosting_countries_count_the_items_of_actionable_and_harmful_reports(forwarded):
    items = figures.item_figures(QUARTER_PERIOD)
    assert items.countries == {"NL": 1, "RS": 1, "": 3}  # DE is of a not actionable report
    assert items.items == 5


def test_the_hosting_table_names_known_countries_and_shares(forwarded, signed_in):
    client = signed_in("Hotline supervisor")
    client.cookies["django_language"] = "en"
    table = by_label(csv_rows(client, "hosting_countries"))
    assert table == {
        "Not looked up": ["3", "60.0"],
        "Netherlands": ["1", "20.0"],
        "Serbia": ["1", "20.0"],
    }


def test_dispatch_delays_are_medians_and_90th_percentiles(forwarded, signed_in):
    client = signed_in("Hotline supervisor")
    client.cookies["django_language"] = "en"
    table = by_label(csv_rows(client, "dispatch_delays"))
    # First assessment -> first dispatch: rA 22 h, rB 6 h, rE 95 h.
    assert table["Assessment to first dispatch"] == ["3", "22.0", "80.4"]
    # Sent in the quarter: four dispatches, two acknowledged after 30 h and 2 h.
    assert table["Dispatch to acknowledgement"] == ["2", "16.0", "27.2"]
    # First notice asking for removal -> removal: iA 24 h (partner), iB1 90 h (takedown).
    assert table["Notice to removal"] == ["2", "57.0", "83.4"]
    assert figures.dispatch_figures(QUARTER_PERIOD).dispatches_sent == 4


def test_inhope_measures_count_from_the_report_and_from_the_notice(forwarded, signed_in):
    client = signed_in("Hotline supervisor")
    client.cookies["django_language"] = "en"
    rows = csv_rows(client, "inhope")
    assert rows[1:] == [
        # rA reached the police after 24 h; rE after 96 h; rC never.
        [
            "Actionable CSAM reports that reached the police within 3 days of the report",
            "1",
            "3",
            "33.3",
        ],
        # iA removed 50 h after its report; iB1 after 100 h; three others not removed.
        ["Content items removed within 3 days of the report", "1", "5", "20.0"],
        # Noticed: iA (removed 24 h after), iB1 (90 h), iB2 (not removed).
        [
            "Content items removed within 3 days of the first notice asking for removal",
            "1",
            "3",
            "33.3",
        ],
    ]


def test_overdue_dispatches_are_counted_per_institution_now(forwarded, signed_in):
    client = signed_in("Hotline supervisor")
    later = "?from=2026-01-01&to=2026-01-31"  # whatever the period
    assert csv_rows(client, "overdue_dispatches", later)[1:] == [
        ["Meldpunt (example)", "1", "1"],
        ["Policija (primer)", "1", "1"],
    ]
    Dispatch.objects.filter(kind="partner_hotline").update(
        status=Dispatch.Status.ACKNOWLEDGED, acknowledged_at=local(2025, 1, 12)
    )
    assert csv_rows(client, "overdue_dispatches", later)[1:] == [["Policija (primer)", "1", "1"]]


def test_a_later_period_counts_none_of_these(forwarded):
    later = figures.Period(
        QUARTER_PERIOD.end + timedelta(days=1), QUARTER_PERIOD.end + timedelta(days=90)
    )
    items, dispatches = figures.item_figures(later), figures.dispatch_figures(later)
    assert (items.items, items.countries, items.notice_to_removal.count) == (0, {}, 0)
    assert (dispatches.dispatches_sent, dispatches.actionable_csam) == (0, 0)
    assert dispatches.assessment_to_first_dispatch == figures.Delay(0, None, None)


@pytest.mark.parametrize("language", ["en", "sr-latn"])
def test_every_csv_equals_its_table(forwarded, signed_in, language):
    client = signed_in("Hotline supervisor")
    client.cookies["django_language"] = language
    parser = Tables()
    parser.feed(client.get(f"{PAGE}{QUARTER}").content.decode())
    names = [name for builder in hotline_figures.BUILDERS for name in builder.tables]
    assert list(parser.tables) == names
    for name in ("hosting_countries", "dispatch_delays", "inhope", "overdue_dispatches"):
        link = next(link for link in parser.links if f"table={name}" in link)
        exported = list(
            csv.reader(
                io.StringIO(
                    client.get(PAGE + link.replace("&amp;", "&")).content.decode("utf-8-sig")
                )
            )
        )
        shown = parser.tables[name]
        assert len(shown) > 1, name  # the known set gives every table rows
        assert exported[0] == shown[0], name
        assert len(exported) == len(shown), name
        for csv_row, html_row in zip(exported[1:], shown[1:], strict=True):
            assert csv_row[0] == html_row[0], name
            for csv_cell, html_cell in zip(csv_row[1:], html_row[1:], strict=True):
                assert number(html_cell, language) == (float(csv_cell) if csv_cell else None)
    assert re.search(r'id="chart-inhope"', client.get(f"{PAGE}{QUARTER}").content.decode())


# --- Retention ---------------------------------------------------------------------------------


def test_retention_keeps_every_figure_and_no_dispatch_text(forwarded, signed_in, settings):
    client = signed_in("Hotline supervisor")
    before = {query: every_table(client, query) for query in (QUARTER, "?all=1")}
    gone = [forwarded[name].pk for name in ("rA", "rB", "rC", "rE")]
    long_ago = local(2025, 4, 1) - timedelta(days=1)
    Report.objects.filter(pk__in=gone).update(status=Status.CLOSED, updated_at=long_ago)
    settings.SIGURNET_REPORT_RETENTION_DAYS = 30

    assert apply_retention()["reports"] == 4
    after = {query: every_table(client, query) for query in (QUARTER, "?all=1")}
    assert after == before
    # Every dispatch is still there for the figures, without a word of what it said.
    assert Dispatch.objects.count() == 4
    for kept in Dispatch.objects.all():
        assert (kept.subject, kept.body, kept.outcome_note, kept.recipient) == ("", "", "", "")
        assert kept.link_revoked_at is not None
        assert not kept.reports.exists()
    assert not DispatchItem.objects.exists()  # no link to a content item of a deleted report
    assert not OutgoingMessage.objects.filter(kind="hotline.dispatch").exists()
    # The items' facts name no address: the country and delays only.
    assert sorted(DeletedItemFacts.objects.values_list("country", flat=True)) == [
        "",
        "",
        "",
        "NL",
        "RS",
    ]
    assert apply_retention()["reports"] == 0
    assert DeletedItemFacts.objects.count() == 5  # a second run keeps nothing twice
    assert after == {query: every_table(client, query) for query in (QUARTER, "?all=1")}


def test_a_dispatch_keeps_its_text_while_one_of_its_reports_is_kept(forwarded, settings):
    rA = forwarded["rA"]
    other = Report.objects.get(pk=forwarded["rC"].pk)
    Dispatch.objects.get(kind="partner_hotline").reports.add(other)
    Report.objects.filter(pk=rA.pk).update(status=Status.CLOSED, updated_at=local(2025, 2, 1))
    settings.SIGURNET_REPORT_RETENTION_DAYS = 30

    assert apply_retention()["reports"] == 1
    partner = Dispatch.objects.get(kind="partner_hotline")
    assert partner.body == "Please look at https://secret.example.com/listed"
    assert partner.link_revoked_at is None
    assert Dispatch.objects.get(kind="police", reports__isnull=True).body == ""
