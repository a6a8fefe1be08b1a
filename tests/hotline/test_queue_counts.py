"""The counts beside the queue's filters are exact: each value shows how many reports the queue
would list with it, the other filters as they are, for a known set of reports of every age."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from sigurnet.hotline.models import Report, Status
from sigurnet.hotline.triage import selectors
from sigurnet.hotline.triage.selectors import QueueFilter
from tests.conftest import requires_postgresql

pytestmark = pytest.mark.django_db

# (status, category, channel, language, priority, held by, received this long ago)
REPORTS: list[tuple[str, str, str, str, str, str, timedelta]] = [
    ("received", "csam", "web", "sr-latn", "", "", timedelta(hours=1)),
    ("received", "hate_speech", "web", "bs", "", "", timedelta(hours=3, minutes=59)),
    ("received", "hate_speech", "email", "bs", "", "", timedelta(hours=4)),  # on a band's edge
    ("in_assessment", "phishing_fraud", "api", "sr-latn", "", "me", timedelta(hours=20)),
    ("in_assessment", "hate_speech", "email", "en", "", "ana", timedelta(days=1, hours=2)),
    ("needs_info", "cyberbullying", "web", "bs", "", "ana", timedelta(days=3)),
    ("assessed", "hate_speech", "email", "bs", "high", "me", timedelta(days=6, hours=23)),
    ("assessed", "phishing_fraud", "web", "sr", "low", "", timedelta(days=7, hours=1)),
    ("received", "phishing_fraud", "phone", "sr-latn", "", "", timedelta(days=40)),
    ("closed", "hate_speech", "email", "bs", "normal", "", timedelta(hours=2)),
    ("closed", "phishing_fraud", "web", "sr-latn", "high", "", timedelta(days=5)),
    ("closed", "hate_speech", "email", "bs", "normal", "", timedelta(days=30)),
    ("closed", "csam", "api", "en", "high", "", timedelta(days=400)),
    ("forwarded", "csam", "web", "sr-latn", "high", "", timedelta(days=12)),
    ("duplicate", "hate_speech", "email", "bs", "normal", "", timedelta(days=9)),
    ("incomplete", "other", "phone", "sr", "", "", timedelta(days=700)),
    ("incomplete", "hate_speech", "web", "bs", "", "", timedelta(days=2, minutes=1)),
]


@pytest.fixture
def known_reports(make_report, make_staff) -> dict[str, Any]:
    """The reports above, received the given time before ``now`` (the moment they were made)."""
    now = timezone.now()
    me = make_staff("Hotline analyst", username="me-analyst")
    ana = make_staff("Hotline analyst", username="ana")
    holders = {"": None, "me": me, "ana": ana}
    made = []
    for n, (status, category, channel, language, priority, held, ago) in enumerate(REPORTS):
        # Three sites; the first two reports of each share one address.
        site = f"https://site{n % 3}.example.com"
        report = make_report(
            category=category,
            channel=channel,
            language=language,
            urls=[f"{site}/shared" if n < 6 else f"{site}/page{n}"],
        )
        Report.objects.filter(pk=report.pk).update(
            status=status,
            priority=priority,
            assignee=holders[held],
            received_at=now - ago,
        )
        made.append(Report.objects.get(pk=report.pk))
    return {"reports": made, "me": me, "ana": ana, "now": now}


def band(report: Report, now: datetime) -> str:
    for value, _label, _newer, older in selectors.AGE_BANDS:
        if older is not None and report.received_at > now - older:
            return value
    return "older"


def shown(criteria: QueueFilter, report: Report, me: Any, now: datetime) -> bool:
    """Whether the queue lists ``report`` under ``criteria``: the rules as an analyst reads
    them, written out one by one."""
    if criteria.status == selectors.STATUS_OPEN:
        if report.status not in selectors.OPEN_STATUSES:
            return False
    elif criteria.status != selectors.STATUS_ANY and report.status != criteria.status:
        return False
    for name in ("category", "channel", "language"):
        if getattr(criteria, name) and getattr(report, name) != getattr(criteria, name):
            return False
    if criteria.priority:
        wanted = "" if criteria.priority == selectors.PRIORITY_NONE else criteria.priority
        if report.priority != wanted:
            return False
    if criteria.age and band(report, now) != criteria.age:
        return False
    if criteria.assignee:
        holder = {"none": None, "me": me.pk}.get(criteria.assignee, criteria.assignee)
        if report.assignee_id != (int(holder) if isinstance(holder, str) else holder):
            return False
    day = timezone.localtime(report.received_at).date()
    if criteria.received_from and day < criteria.received_from:
        return False
    if criteria.received_to and day > criteria.received_to:
        return False
    links = report.reported_urls
    if criteria.item and not links.filter(content_item_id=criteria.item).exists():
        return False
    return not criteria.domain or links.filter(content_item__domain_index=criteria.domain).exists()


def expected_counts(
    criteria: QueueFilter, reports: list[Report], me: Any, now: datetime
) -> dict[str, dict]:
    """For each filter, value -> how many reports the queue would list with that value."""
    values = {
        "status": [v for v, _l in Status.choices] + [selectors.STATUS_OPEN, selectors.STATUS_ANY],
        "category": sorted({r.category for r in reports}),
        "channel": sorted({r.channel for r in reports}),
        "language": sorted({r.language for r in reports}),
        "priority": ["high", "normal", "low", selectors.PRIORITY_NONE],
        "age": [value for value, *_rest in selectors.AGE_BANDS],
        # The analyst's own reports are under "Me", not under their id.
        "assignee": ["none", "me", *sorted({str(r.assignee_id) for r in reports} - {str(me.pk)})],
    }
    return {
        name: {
            value: sum(shown(replace(criteria, **{name: value}), r, me, now) for r in reports)
            for value in choices
            if value != "None"
        }
        for name, choices in values.items()
    }


def counted(page: selectors.QueuePage) -> dict[str, dict]:
    return {name: {v: n for v, _label, n in values} for name, values in page.counts.items()}


def criteria_to_check(reports: list[Report], ana: Any, now: datetime) -> list[QueueFilter]:
    today = timezone.localtime(now).date()
    item = reports[0].reported_urls.get().content_item
    return [
        QueueFilter(),
        QueueFilter(status="all"),
        QueueFilter(status="closed"),
        QueueFilter(status="all", category="hate_speech"),
        QueueFilter(status="all", category="hate_speech", channel="email", language="bs"),
        QueueFilter(channel="email", language="bs"),
        QueueFilter(status="all", age="older"),
        QueueFilter(status="all", age="4h", category="hate_speech"),
        QueueFilter(age="1d"),
        QueueFilter(age="7d", priority="none"),
        QueueFilter(status="all", priority="high"),
        QueueFilter(status="all", assignee="me"),
        QueueFilter(status="all", assignee="none", age="2d"),
        QueueFilter(assignee=str(ana.pk)),
        QueueFilter(status="all", received_from=today - timedelta(days=6)),
        QueueFilter(status="all", received_to=today - timedelta(days=7), category="csam"),
        QueueFilter(status="all", item=item.pk),
        QueueFilter(status="all", domain=item.domain_index, age="older"),
        QueueFilter(status="needs_info", q="SIG"),
    ]


def test_every_count_beside_the_filters_is_what_the_queue_would_list(known_reports):
    reports, me, now = known_reports["reports"], known_reports["me"], known_reports["now"]
    for criteria in criteria_to_check(reports, known_reports["ana"], now):
        page = selectors.queue_page(criteria, user=me, now=now)
        got = counted(page)
        for name, per_value in expected_counts(criteria, reports, me, now).items():
            for value, n in per_value.items():
                assert got[name].get(value, 0) == n, (criteria, name, value)
        assert page.total == sum(shown(criteria, r, me, now) for r in reports), criteria
        # What the count promises is what the queue lists.
        listed = selectors.queue_page(criteria, user=me, now=now, page_size=100, with_counts=False)
        assert len(listed.rows) == page.total, criteria


def options(page: str, name: str) -> dict[str, str]:
    """The choices of the filter ``name`` as the analyst sees them: value -> text."""
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert found, name
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1)))


def test_counts_over_every_report_tell_apart_each_age_and_status(signed_in, known_reports):
    client = signed_in("Hotline analyst")
    page = client.get("/staff/hotline/", {"status": "all"}).content.decode()
    assert options(page, "status") == {
        "open": "Open (9)",
        "received": "Received (4)",
        "in_assessment": "Being checked (2)",
        "needs_info": "We need more details (1)",
        "assessed": "Checked (2)",
        "forwarded": "Sent on to the people who can act (1)",
        "closed": "Closed (4)",
        "duplicate": "Already reported (1)",
        "incomplete": "Closed: not enough details (2)",
        "all": "All (17)",
    }
    # The report received exactly 4 hours before is "4 to 24 hours"; the others are at least
    # a minute from an edge.
    assert options(page, "age") == {
        "": "Any",
        "4h": "Under 4 hours (3)",
        "1d": "4 to 24 hours (2)",
        "2d": "1 to 2 days (1)",
        "7d": "2 to 7 days (4)",
        "older": "Over 7 days (7)",
    }
    assert options(page, "category")["hate_speech"] == "Hate speech (8)"
    assert options(page, "channel")["email"] == "E-mail (6)"
    # Narrowed to the oldest: every other filter counts only those.
    page = client.get("/staff/hotline/", {"status": "all", "age": "older"}).content.decode()
    assert options(page, "status")["all"] == "All (7)"
    assert options(page, "status")["closed"] == "Closed (2)"
    assert options(page, "age")["4h"] == "Under 4 hours (3)"  # its own counts stay
    assert options(page, "category")["csam"] == "Sexual abuse of a child (pictures or videos) (2)"


def test_a_day_filter_follows_the_centres_clock_at_midnight(signed_in, make_report):
    late = make_report()
    early = make_report()
    day = timezone.localdate() - timedelta(days=3)
    before_midnight = timezone.make_aware(datetime.combine(day, datetime.max.time()))
    Report.objects.filter(pk=late.pk).update(received_at=before_midnight)
    Report.objects.filter(pk=early.pk).update(
        received_at=before_midnight + timedelta(microseconds=1)
    )
    client = signed_in("Hotline analyst")

    def listed(**params: str) -> list[str]:
        page = client.get("/staff/hotline/", params).content.decode()
        return re.findall(r'<a href="/staff/hotline/(SIG-\d{4}-\d{6})/">', page)

    assert listed(received_to=day.isoformat()) == [late.reference]
    assert listed(received_from=(day + timedelta(days=1)).isoformat()) == [early.reference]
    assert listed(received_from=day.isoformat(), received_to=day.isoformat()) == [late.reference]


@requires_postgresql
def test_autovacuum_keeps_the_counts_an_index_only_scan():
    # The counts read report_queue_facets without the table only on pages VACUUM marked
    # all-visible: autovacuum comes after 1 % of the reports changed, not PostgreSQL's 20 %.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'hotline_report'")
        (options,) = cursor.fetchone()
    assert "autovacuum_vacuum_scale_factor=0.01" in options
    assert "autovacuum_vacuum_insert_scale_factor=0.01" in options
