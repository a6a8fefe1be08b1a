"""Open reports grouped by the address they point to, with one action for all of them."""

from __future__ import annotations

import re

import pytest

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.models import Assessment, Report, Status
from sigurnet.hotline.triage import services

pytestmark = pytest.mark.django_db

ADDRESS = "https://gallery.example.net/album/9"


def test_reports_of_one_address_are_one_row_with_their_count(signed_in, make_report):
    reports = [make_report(urls=[ADDRESS]) for _n in range(3)]
    make_report(urls=["https://alone.example.org/"])
    client = signed_in("Hotline analyst")
    page = client.get("/staff/hotline/items/").content.decode()
    assert page.count(f'<code class="untrusted">{ADDRESS}</code>') == 1
    assert "alone.example.org" not in page  # one report: it is in the queue anyway
    item = reports[0].reported_urls.get().content_item_id
    assert f'href="/staff/hotline/?item={item}">3</a>' in page
    event = AuditEvent.objects.get(action="hotline.items_viewed")
    assert event.detail == {"items": [item]}
    # The count links to the queue showing exactly those reports.
    queue = client.get(f"/staff/hotline/?item={item}").content.decode()
    shown = re.findall(r'<a href="/staff/hotline/(SIG-\d{4}-\d{6})/">', queue)
    assert sorted(shown) == sorted(r.reference for r in reports)


def test_marking_duplicates_of_the_first_closes_the_others_through_the_table(
    signed_in, make_report, make_staff
):
    first, second, third, held = (make_report(urls=[ADDRESS]) for _n in range(4))
    colleague = make_staff("Hotline analyst", username="boris")
    services.claim(held, actor=colleague)
    client = signed_in("Hotline analyst", username="ana")
    item = first.reported_urls.get().content_item_id
    response = client.post(f"/staff/hotline/items/{item}/duplicates/", follow=True)
    page = response.content.decode()
    assert f"2 reports marked as duplicates of {first.reference}." in page
    assert "1 report is held by a colleague and was left alone." in page
    assert Report.objects.get(pk=first.pk).status == Status.RECEIVED
    for report in (second, third):
        report.refresh_from_db()
        assert report.status == Status.DUPLICATE
        assert report.assignee == client.user
        assessment = Assessment.objects.get(report=report)
        assert assessment.duplicate_of == first and assessment.outcome == "duplicate"
    assert Report.objects.get(pk=held.pk).status == Status.IN_ASSESSMENT
    moves = AuditEvent.objects.filter(
        action="hotline.status_changed", object_id=str(second.pk)
    ).count()
    assert moves == 2  # received -> in_assessment -> duplicate
