"""The grouped views count open reports exactly: each report once per group, closed ones not at
all, the most reported group first and then the one waiting longest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sigurnet.hotline.models import Report, Status
from sigurnet.hotline.triage import selectors

pytestmark = pytest.mark.django_db


def received(report: Report, days_ago: int) -> Report:
    Report.objects.filter(pk=report.pk).update(
        received_at=timezone.now() - timedelta(days=days_ago)
    )
    return Report.objects.get(pk=report.pk)


def item_of(report: Report, position: int = 0) -> int:
    return report.reported_urls.get(position=position).content_item_id


def test_items_count_each_open_report_once_the_most_reported_first(
    make_report, django_assert_max_num_queries
):
    gallery = "https://gallery.example.net/album/9"
    shop = "https://shop.example.org/offer"
    # The gallery: three open reports (one also names the shop), one closed.
    first = received(make_report(urls=[gallery, shop]), 5)
    received(make_report(urls=[gallery]), 3)
    received(make_report(urls=[gallery]), 1)
    closed = received(make_report(urls=[gallery]), 9)
    Report.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    # The shop: two open reports, the oldest of them older than the gallery's.
    oldest_shop = received(make_report(urls=[shop]), 8)
    # One report alone is no group.
    make_report(urls=["https://alone.example.com/"])
    with django_assert_max_num_queries(2):  # whatever the number of groups
        groups = selectors.item_groups()
    assert [(g.pk, g.open_reports) for g in groups] == [
        (item_of(first), 3),
        (item_of(first, 1), 2),
    ]
    assert groups[0].canonical == gallery
    assert groups[0].first_received == first.received_at
    assert groups[1].first_received == oldest_shop.received_at
    # Equal counts: the group waiting longest first.
    received(make_report(urls=[shop]), 2)
    assert [g.pk for g in selectors.item_groups()] == [item_of(first, 1), item_of(first)]


def test_a_report_with_two_addresses_on_one_domain_counts_once_for_it(make_report, make_staff):
    both = received(make_report(urls=["https://a.example.net/1", "https://b.example.net/2"]), 4)
    received(make_report(urls=["https://example.net/3"]), 2)
    received(make_report(urls=["https://other.example.org/1"]), 6)
    received(make_report(urls=["https://other.example.org/2"]), 5)
    received(make_report(urls=["https://other.example.org/3"]), 1)
    closed = make_report(urls=["https://example.net/old"])
    Report.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    groups = selectors.domain_groups()
    assert [(g.domain, g.open_reports) for g in groups] == [
        ("example.org", 3),
        ("example.net", 2),
    ]
    net = groups[1]
    assert net.first_received == both.received_at
    assert net.item_id == min(item_of(both), item_of(both, 1))
    # The same reports as the queue's domain filter shows.
    analyst = make_staff("Hotline analyst")
    for group in groups:
        shown = selectors.queue_page(selectors.QueueFilter(domain=group.index), user=analyst)
        assert shown.total == group.open_reports
