"""Open reports grouped by registrable domain, and a group assessed together."""

from __future__ import annotations

import re

import pytest

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.models import Assessment, ContentItem, Report, Status
from sigurnet.hotline.triage import services

pytestmark = pytest.mark.django_db

SHOWN = r'<a href="/staff/hotline/(SIG-\d{4}-\d{6})/">'


def domain_index(report: Report) -> str:
    return report.reported_urls.get().content_item.domain_index


def test_three_reports_of_one_domain_are_one_row_linking_to_exactly_them(signed_in, make_report):
    reports = [
        make_report(urls=["https://shop.example.net/a"]),
        make_report(urls=["https://example.net/b"]),
        make_report(urls=["https://www.example.net/c?x=1"]),
    ]
    make_report(urls=["https://lonely.example.org/only"])
    closed = make_report(urls=["https://example.net/old"])
    Report.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    client = signed_in("Hotline analyst")
    page = client.get("/staff/hotline/domains/").content.decode()
    index = domain_index(reports[0])
    assert {domain_index(r) for r in reports} == {index}
    assert page.count('<code class="untrusted">example.net</code>') == 1
    assert f'href="/staff/hotline/?domain={index}">3</a>' in page
    assert "lonely.example.org" not in page  # one report: it is in the queue anyway
    # The count links to the queue showing exactly those reports (the open ones).
    queue = client.get(f"/staff/hotline/?domain={index}").content.decode()
    assert sorted(re.findall(SHOWN, queue)) == sorted(r.reference for r in reports)


def test_showing_the_domains_is_audited_as_a_decrypted_display(signed_in, make_report):
    first = make_report(urls=["https://a.example.net/"])
    make_report(urls=["https://b.example.net/"])
    client = signed_in("Hotline analyst")
    client.get("/staff/hotline/domains/")
    event = AuditEvent.objects.get(action="hotline.domains_viewed")
    assert event.actor_id == client.user.pk
    assert event.detail == {"items": [first.reported_urls.get().content_item_id]}


def test_a_domain_filter_that_is_no_blind_index_is_ignored(signed_in, make_report):
    make_report(urls=["https://a.example.net/"])
    queue = signed_in("Hotline analyst").get("/staff/hotline/?domain=example.net").content
    assert len(re.findall(SHOWN, queue.decode())) == 1


def assess_form(**fields):
    data = {"outcome": "not_actionable", "priority": "low", "category": "", "notes": ""}
    data.update(fields)
    return data


def test_assessing_a_domain_together_assesses_each_waiting_report_and_skips_a_colleagues(
    signed_in, make_report, make_staff
):
    free = make_report(urls=["https://a.example.net/1"])
    mine = make_report(urls=["https://b.example.net/2"])
    held = make_report(urls=["https://c.example.net/3"])
    done = make_report(urls=["https://d.example.net/4"])
    colleague = make_staff("Hotline analyst", username="boris")
    services.claim(held, actor=colleague)
    client = signed_in("Hotline analyst", username="ana")
    services.claim(mine, actor=client.user)
    services.claim(done, actor=client.user)
    services.assess(
        done,
        outcome="harmful",
        priority="normal",
        category=done.category,
        actor=client.user,
    )
    index = domain_index(free)
    form_page = client.get(f"/staff/hotline/domains/{index}/assess/").content.decode()
    assert '<code class="untrusted">example.net</code>' in form_page
    assert "held by boris" in form_page
    response = client.post(
        f"/staff/hotline/domains/{index}/assess/",
        assess_form(notes="Sve isto: stara reklama."),
        follow=True,
    )
    page = response.content.decode()
    assert "2 reports assessed." in page
    assert f"left alone: {held.reference}." in page
    for report in (free, mine):
        report.refresh_from_db()
        assert report.status == Status.ASSESSED and report.priority == "low"
        assert report.assignee == client.user
        assessment = Assessment.objects.get(report=report)
        assert assessment.outcome == "not_actionable"
        assert assessment.notes == "Sve isto: stara reklama."
        assert AuditEvent.objects.filter(
            action="hotline.assessed", object_id=str(report.pk), actor_id=client.user.pk
        ).exists()
    held.refresh_from_db()
    assert held.status == Status.IN_ASSESSMENT and held.assignee == colleague
    assert not Assessment.objects.filter(report=held).exists()
    assert Assessment.objects.filter(report=done).count() == 1  # not waiting: left as it is
    assert AuditEvent.objects.filter(
        action="hotline.domains_viewed", actor_id=client.user.pk
    ).exists()


CSAM = {
    "outcome": "actionable",
    "priority": "high",
    "category": "csam",
    "legal_class": "baseline",
    "victim_age": "prepubescent",
    "victim_gender": "female",
    "content_kind": "image",
    "commercial": "false",
}


def test_actionable_csam_assessed_together_still_waits_for_a_second_analyst(signed_in, make_report):
    reports = [make_report(category="csam", urls=["https://img.example.net/x"]) for _n in "ab"]
    item = reports[0].reported_urls.get().content_item_id
    client = signed_in("Hotline analyst")
    response = client.post(f"/staff/hotline/items/{item}/assess/", CSAM, follow=True)
    page = response.content.decode()
    assert "2 reports assessed." in page
    assert "2 wait for a second analyst to confirm them." in page
    for report in reports:
        report.refresh_from_db()
        assessment = Assessment.objects.get(report=report)
        assert assessment.needs_confirmation and assessment.confirmed_by is None
        with pytest.raises(services.TriageRefused):
            services.transition(report, Status.FORWARDED, actor=client.user)


def test_actionable_csam_together_without_its_classification_changes_nothing(
    signed_in, make_report
):
    reports = [make_report(category="csam", urls=["https://img.example.net/y"]) for _n in "ab"]
    item = reports[0].reported_urls.get().content_item_id
    client = signed_in("Hotline analyst")
    response = client.post(
        f"/staff/hotline/items/{item}/assess/", assess_form(outcome="actionable")
    )
    assert response.status_code == 200
    assert "Needed for actionable child sexual abuse material." in response.content.decode()
    assert not Assessment.objects.filter(report__in=reports).exists()
    assert set(
        Report.objects.filter(pk__in=[r.pk for r in reports]).values_list("status", flat=True)
    ) == {Status.RECEIVED}


def test_duplicate_is_no_outcome_of_assessing_together(signed_in, make_report):
    reports = [make_report(urls=["https://same.example.net/"]) for _n in "ab"]
    item = reports[0].reported_urls.get().content_item_id
    client = signed_in("Hotline analyst")
    response = client.post(f"/staff/hotline/items/{item}/assess/", assess_form(outcome="duplicate"))
    assert response.status_code == 200
    assert not Assessment.objects.exists()


def test_an_unknown_domain_group_is_not_found(signed_in):
    client = signed_in("Hotline analyst")
    assert client.get(f"/staff/hotline/domains/{'0' * 64}/assess/").status_code == 404
    assert not ContentItem.objects.exists()


def test_a_supervisor_assessing_together_leaves_a_colleagues_report_alone(
    signed_in, make_report, make_staff
):
    free, held = (make_report(urls=["https://same.example.net/p"]) for _n in "ab")
    colleague = make_staff("Hotline analyst", username="boris")
    services.claim(held, actor=colleague)
    client = signed_in("Hotline supervisor")
    item = free.reported_urls.get().content_item_id
    page = client.post(f"/staff/hotline/items/{item}/assess/", assess_form(), follow=True)
    text = page.content.decode()
    assert "1 report assessed." in text
    assert f"Held by a colleague or changed meanwhile, left alone: {held.reference}." in text
    assert Report.objects.get(pk=free.pk).status == Status.ASSESSED
    assert not Assessment.objects.filter(report=held).exists()


def test_the_grouping_by_domain_costs_the_same_queries_for_many_rows(
    make_report, django_assert_num_queries
):
    from sigurnet.hotline.triage import selectors

    for host in ("one.example.net", "two.example.org", "three.example.com"):
        make_report(urls=[f"https://a.{host}/"])
        make_report(urls=[f"https://b.{host}/"])
    with django_assert_num_queries(2):
        groups = selectors.domain_groups()
    assert sorted(g.domain for g in groups) == ["example.com", "example.net", "example.org"]
    assert {g.open_reports for g in groups} == {2}
