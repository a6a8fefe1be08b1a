"""The analysts' queue: order, filters with their counts, search, keyset pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from sigurnet.hotline.models import LegalBasis, Report, Status
from sigurnet.hotline.triage import selectors

pytestmark = pytest.mark.django_db


def references(page: str) -> list[str]:
    return re.findall(r'<a href="/staff/hotline/(SIG-\d{4}-\d{6})/">', page)


def received(report: Report, ago: timedelta) -> Report:
    Report.objects.filter(pk=report.pk).update(received_at=timezone.now() - ago)
    return report


def test_queue_shows_urgent_categories_first_then_the_oldest(signed_in, make_report):
    old_fraud = received(make_report(category="phishing_fraud"), timedelta(days=5))
    new_csam = received(
        make_report(category="csam", urls=["https://a.example/x"]), timedelta(hours=1)
    )
    old_csam = received(
        make_report(category="csam", urls=["https://a.example/y"]), timedelta(hours=3)
    )
    new_hate = received(make_report(category="hate_speech"), timedelta(hours=2))
    page = signed_in("Hotline analyst").get("/staff/hotline/").content.decode()
    assert references(page) == [
        old_csam.reference,
        new_csam.reference,
        old_fraud.reference,
        new_hate.reference,
    ]


def test_each_row_shows_its_age_against_the_target_and_status_in_words(signed_in, make_report):
    received(make_report(category="csam", urls=["https://a.example/x"]), timedelta(hours=5))
    received(make_report(category="hate_speech"), timedelta(hours=5))
    page = signed_in("Hotline analyst").get("/staff/hotline/").content.decode()
    assert "5 hours / 4 hours <strong>overdue</strong>" in page  # CSAM: 4 hours
    assert "5 hours / 2 days</td>" in page  # others: 2 days
    assert '<span class="status status-received">Received</span>' in page


def test_filters_narrow_the_queue_and_count_each_value(signed_in, make_report):
    make_report(category="hate_speech", language="bs")
    make_report(category="hate_speech", language="sr-latn")
    make_report(category="phishing_fraud", language="bs", channel="api")
    client = signed_in("Hotline analyst")
    page = client.get("/staff/hotline/", {"category": "hate_speech"}).content.decode()
    assert "2 reports" in page
    assert len(references(page)) == 2
    # Counts of the other filters follow the chosen category; its own counts do not.
    assert '<option value="bs">bs (1)</option>' in page
    assert '<option value="sr-latn">sr-latn (1)</option>' in page
    assert ">Phishing or fraud (1)</option>" in page
    assert ">Hate speech (2)</option>" in page
    assert ">Web form (2)</option>" in page and ">API (0)</option>" in page


def test_filters_by_status_channel_language_assignee_age_and_dates(
    signed_in, make_report, make_staff
):
    client = signed_in("Hotline analyst")
    mine = make_report(language="bs")
    Report.objects.filter(pk=mine.pk).update(assignee=client.user, status=Status.IN_ASSESSMENT)
    api = received(make_report(channel="api"), timedelta(days=10))
    closed = make_report()
    Report.objects.filter(pk=closed.pk).update(status=Status.CLOSED)

    def shown(**params: str) -> set[str]:
        return set(references(client.get("/staff/hotline/", params).content.decode()))

    assert shown() == {mine.reference, api.reference}  # open reports by default
    assert shown(status="all") == {mine.reference, api.reference, closed.reference}
    assert shown(status="closed") == {closed.reference}
    assert shown(channel="api") == {api.reference}
    assert shown(language="bs") == {mine.reference}
    assert shown(assignee="me") == {mine.reference}
    assert shown(assignee="none") == {api.reference}
    assert shown(age="older") == {api.reference}
    assert shown(age="4h") == {mine.reference}
    today = timezone.localdate().isoformat()
    assert shown(received_from=today) == {mine.reference}
    old_day = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert shown(received_to=old_day) == {api.reference}


def test_search_finds_a_report_by_part_of_its_reference(signed_in, make_report):
    wanted = make_report()
    make_report()
    client = signed_in("Hotline analyst")
    page = client.get("/staff/hotline/", {"q": wanted.reference[-6:]}).content.decode()
    assert references(page) == [wanted.reference]


def test_keyset_pages_skip_and_repeat_no_row_when_timestamps_are_equal(
    signed_in, make_report, monkeypatch
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    same_time = timezone.now() - timedelta(hours=6)
    made = []
    for n in range(11):
        report = make_report(category="csam" if n % 4 == 0 else "hate_speech", urls=[])
        made.append(report)
    # Eight of them at the very same microsecond: only the id orders them.
    Report.objects.filter(pk__in=[r.pk for r in made[:8]]).update(received_at=same_time)
    client = signed_in("Hotline analyst")
    seen: list[str] = []
    pages: list[list[str]] = []
    url = "/staff/hotline/"
    while url:
        page = client.get(url).content.decode()
        pages.append(references(page))
        seen += pages[-1]
        found = re.search(r'href="\?(after=[0-9.]+)" rel="next"', page)
        url = f"/staff/hotline/?{found.group(1)}" if found else ""
    assert len(seen) == 11 and len(set(seen)) == 11
    assert seen == [r.reference for r in Report.objects.order_by("-urgent", "received_at", "id")]
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    # Going back from the last page gives the page before it.
    last = client.get(url or "/staff/hotline/")  # first page again
    assert references(last.content.decode()) == pages[0]
    third_cursor = selectors.Cursor.of(Report.objects.get(reference=pages[3][0])).token()
    back = client.get("/staff/hotline/", {"before": third_cursor}).content.decode()
    assert references(back) == pages[2]


def test_queue_pages_do_not_use_offset(signed_in, make_report, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _n in range(4):
        make_report()
    client = signed_in("Hotline analyst")
    first = client.get("/staff/hotline/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get("/staff/hotline/?after=0.0.0")
    assert first
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)


def test_hostile_text_in_reports_is_inert_in_the_queue(signed_in, make_report):
    make_report(
        platform="<script>alert(1)</script>",
        account='"><img src=x onerror=alert(1)>',
        description="javascript:alert(1)",
        urls=['https://x.example/"><img src=x onerror=alert(1)>'],
    )
    page = signed_in("Hotline analyst").get("/staff/hotline/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page


def test_the_queue_speaks_serbian_and_bosnian(signed_in, make_report):
    received(make_report(category="hate_speech"), timedelta(hours=5))
    client = signed_in("Hotline analyst")
    serbian = client.get("/staff/hotline/", HTTP_ACCEPT_LANGUAGE="sr-latn").content.decode()
    assert "Red prijava" in serbian and "5 sati / 2 dana" in serbian and "Preuzimam" in serbian
    bosnian = client.get("/staff/hotline/", HTTP_ACCEPT_LANGUAGE="bs").content.decode()
    assert "Red prijava" in bosnian and "Zadužena osoba" in bosnian


def test_the_queue_filters_by_the_priority_of_the_assessment(signed_in, make_report, make_staff):
    from sigurnet.hotline.triage import services

    analyst = make_staff("Hotline analyst", username="ana")
    high = make_report()
    services.claim(high, actor=analyst)
    services.assess(
        high,
        outcome="actionable",
        priority="high",
        category=high.category,
        legal_basis=LegalBasis.objects.get(code="čl. 208 KZ"),
        actor=analyst,
    )
    waiting = make_report()
    client = signed_in("Hotline analyst")
    page = client.get("/staff/hotline/", {"priority": "high"}).content.decode()
    assert references(page) == [high.reference]
    assert ">High (1)</option>" in page and ">Not assessed yet (1)</option>" in page
    page = client.get("/staff/hotline/", {"priority": "none"}).content.decode()
    assert references(page) == [waiting.reference]
