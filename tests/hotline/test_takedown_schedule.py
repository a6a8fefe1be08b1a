"""Notice and takedown on a schedule: notices to one host are grouped, wait an hour, are
checked just before they go, repeat every day while the content is online, escalate after
a week, stop when it is removed, and wait while the police hold an item.

The content is served by an HTTP server on loopback that a test can make answer 404; the
clock is moved by passing ``now`` to the schedule. No test touches the internet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from sigurnet.core.models import AuditEvent, OutgoingMessage
from sigurnet.hotline.forwarding import checks, dispatch_tasks, holds, takedown
from sigurnet.hotline.forwarding import services as forwarding
from sigurnet.hotline.models import (
    ContentItem,
    Dispatch,
    DispatchItem,
    HostingFacts,
    ItemHold,
    Report,
)
from tests.core.test_outbox import Sink, smtp  # noqa: F401 - the SMTP sink fixture
from tests.dispatch_factories import assess, home_police, institution, link_in
from tests.hotline.test_takedown_checks import Site, site  # noqa: F401 - the loopback server

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _schedule_settings(settings: Any) -> None:
    settings.SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES = True  # the content is on loopback
    settings.SIGURNET_CHECK_PROXY = ""
    settings.SIGURNET_CHECK_CONNECT_TIMEOUT = 3
    settings.SIGURNET_CHECK_READ_TIMEOUT = 3
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = 3
    settings.SIGURNET_CHECK_INTERVAL_MINUTES = 120
    settings.SIGURNET_TAKEDOWN_DELAY_MINUTES = 60
    settings.SIGURNET_TAKEDOWN_REMINDER_HOURS = 24
    settings.SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS = 7


@pytest.fixture
def ana(signed_in):
    return signed_in("Hotline analyst", username="ana")


@pytest.fixture
def host():
    """A hosting provider abroad (its notices are in English) with a contact person."""
    return institution("hosting_provider", "NL", name="Example Hosting B.V.")


def forward_url(report: Report) -> str:
    return f"/staff/hotline/{report.reference}/forward/"


def forward(ana: Client, report: Report, to: Any, capture: Any) -> str:
    """Forward ``report`` through the page, as the analyst does; the page's text after it."""
    with capture(execute=True):
        response = ana.post(forward_url(report), {"extra_institution": to.pk}, follow=True)
    return response.content.decode()


def run(at: datetime, capture: Any, **kwargs: Any) -> takedown.ScheduleRun:
    """The schedule at ``at``, with the e-mails it writes sent after its commits."""
    with capture(execute=True):
        return takedown.run_schedule(now=at, **kwargs)


def notices_to(institution: Any) -> list[Any]:
    return [m for m in mail.outbox if m.to == [institution.contacts.get().email]]


def item_at(report: Report) -> ContentItem:
    return ContentItem.objects.get(reports=report)


def item_for(url: str) -> ContentItem:
    """The content item of an address (the address is encrypted: no query finds it)."""
    (found,) = [item for item in ContentItem.objects.all() if item.canonical == url]
    return found


def remove(item: ContentItem) -> None:
    """The removal checks confirm that ``item`` is gone (three offline checks in a row)."""
    for _check in range(3):
        checks.check_item(ContentItem.objects.get(pk=item.pk))
    assert ContentItem.objects.get(pk=item.pk).state == ContentItem.State.REMOVED


# --- Grouping and the delay -------------------------------------------------------------------


def test_two_items_at_one_host_forwarded_within_the_hour_go_in_one_notice(
    ana,
    host,
    site,  # noqa: F811 - the fixture
    make_report,
    smtp,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks,
):
    sink = smtp(Sink())
    site.answer("/first", 200)
    site.answer("/second", 200)
    first = assess(make_report(urls=[site.url("/first")]), ana.user)
    second = assess(make_report(urls=[site.url("/second")]), ana.user)

    page = forward(ana, first, host, django_capture_on_commit_callbacks)
    assert "The notice to Example Hosting B.V. goes at" in page
    forward(ana, second, host, django_capture_on_commit_callbacks)

    notice = Dispatch.objects.get()  # one notice, both reports, both items
    assert set(notice.reports.all()) == {first, second}
    assert notice.dispatch_items.count() == 2
    assert sink.messages == [] and site.requests == []  # it waits, unchecked
    assert takedown.run_schedule(now=notice.send_after - timedelta(minutes=1)).notices == []

    run(notice.send_after, django_capture_on_commit_callbacks)

    assert len(sink.messages) == 1
    received = message_from_bytes(sink.messages[0])
    body = received.get_payload(decode=True).decode()
    assert site.url("/first") in body and site.url("/second") in body
    assert first.reference in body and second.reference in body
    assert {r["path"] for r in site.requests} == {"/first", "/second"}  # checked just before
    notice.refresh_from_db()
    assert notice.status == Dispatch.Status.SENT
    assert received["Message-ID"].strip() == notice.message_id

    # Once its e-mail went, a third report to that host starts a notice of its own.
    site.answer("/third", 200)
    third = assess(make_report(urls=[site.url("/third")]), ana.user)
    forward(ana, third, host, django_capture_on_commit_callbacks)
    later = Dispatch.objects.exclude(pk=notice.pk).get()
    assert list(later.reports.all()) == [third] and later.prepared_at is None
    assert notice.dispatch_items.count() == 2


def test_a_report_of_content_already_in_a_sent_notice_joins_it_and_lists_nothing_twice(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    site.answer("/same", 200)
    first = assess(make_report(urls=[site.url("/same")]), ana.user)
    forward(ana, first, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)

    again = assess(make_report(urls=[site.url("/same")]), ana.user)  # another reporter
    forward(ana, again, host, django_capture_on_commit_callbacks)

    assert Dispatch.objects.count() == 1
    assert set(notice.reports.all()) == {first, again}
    assert len(notices_to(host)) == 1


def test_a_delay_of_zero_sends_the_notice_at_once_after_the_check(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SIGURNET_TAKEDOWN_DELAY_MINUTES = 0
    site.answer("/now", 200)
    report = assess(make_report(urls=[site.url("/now")]), ana.user)

    page = forward(ana, report, host, django_capture_on_commit_callbacks)

    assert "They go out by e-mail now" in page or "It goes out by e-mail now" in page
    (sent,) = notices_to(host)
    assert site.url("/now") in sent.body
    assert [r["method"] for r in site.requests] == ["HEAD"]  # the check just before
    assert Dispatch.objects.get().status == Dispatch.Status.SENT


def test_the_schedule_run_twice_sends_each_notice_and_reminder_once(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SIGURNET_TAKEDOWN_DELAY_MINUTES = 0
    site.answer("/twice", 200)
    report = assess(make_report(urls=[site.url("/twice")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_tasks.send_dispatch(notice.pk) is False  # a redelivered task
        dispatch_tasks.run_takedown_schedule()
        dispatch_tasks.run_takedown_schedule()
    assert len(notices_to(host)) == 1

    Dispatch.objects.filter(pk=notice.pk).update(next_reminder_at=timezone.now() - HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_tasks.run_takedown_schedule()
        dispatch_tasks.run_takedown_schedule()
        assert dispatch_tasks.send_takedown_reminder(notice.pk) is False
    assert len(notices_to(host)) == 2
    assert OutgoingMessage.objects.filter(kind=takedown.REMINDER_MAIL_KIND).count() == 1
    assert len(site.requests) == 2  # one check before the notice, one before the reminder


# --- The check just before each notice ----------------------------------------------------------


def test_an_item_already_offline_is_left_out_of_the_notice_and_named_when_it_is_back(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    site.answer("/up", 200)  # /gone: 404
    report = assess(make_report(urls=[site.url("/up"), site.url("/gone")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()

    run(notice.send_after, django_capture_on_commit_callbacks)

    (sent,) = notices_to(host)
    assert site.url("/up") in sent.body and site.url("/gone") not in sent.body
    gone = DispatchItem.objects.get(dispatch=notice, content_item=item_for(site.url("/gone")))
    assert gone.left_out == "offline" and gone.notified_at is None
    # The contact person's page shows what was sent, and only that.
    link_page = Client().get(link_in(sent.body)).content.decode()
    assert site.url("/up") in link_page and site.url("/gone") not in link_page
    staff_page = ana.get(f"/staff/hotline/dispatches/{notice.pk}/").content.decode()
    assert "Offline at the check" in staff_page

    site.answer("/gone", 200)  # it is back by the time of the reminder
    run(notice.send_after + DAY, django_capture_on_commit_callbacks)

    reminder = notices_to(host)[-1]
    assert reminder.subject.startswith("Reminder: ")
    still, _sep, new = reminder.body.partition("Also online, and not in our earlier message:")
    assert site.url("/up") in still and site.url("/gone") in new


def test_a_notice_whose_content_is_all_offline_is_not_sent_and_is_tried_again_later(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    report = assess(make_report(urls=[site.url("/missing")]), ana.user)  # 404
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    due = notice.send_after

    assert run(due, django_capture_on_commit_callbacks).notices == []

    notice.refresh_from_db()
    assert notices_to(host) == [] and notice.prepared_at is None
    assert notice.send_after == due + timedelta(minutes=120)  # one check interval
    site.answer("/missing", 200)
    run(notice.send_after, django_capture_on_commit_callbacks)
    assert len(notices_to(host)) == 1


# --- Reminders, escalation and removal ----------------------------------------------------------


def test_reminders_follow_daily_while_online_escalation_after_a_week_and_nothing_after_removal(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    police = home_police()
    site.answer("/stays", 200)
    report = assess(make_report(urls=[site.url("/stays")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    t0 = notice.send_after
    run(t0, django_capture_on_commit_callbacks)
    (first,) = notices_to(host)
    notice.refresh_from_db()

    run(t0 + 23 * HOUR, django_capture_on_commit_callbacks)
    assert len(notices_to(host)) == 1  # not yet

    run(t0 + DAY, django_capture_on_commit_callbacks)
    run(t0 + DAY, django_capture_on_commit_callbacks)  # the same minute again: nothing more
    reminder = notices_to(host)[-1]
    assert len(notices_to(host)) == 2
    assert reminder.subject == f"Reminder: {notice.subject}"
    assert reminder.extra_headers["In-Reply-To"] == notice.message_id
    assert reminder.extra_headers["Message-ID"] != notice.message_id
    assert site.url("/stays") in reminder.body and "/handover/" in reminder.body
    assert Client().get(link_in(first.body)).status_code == 200  # the first link still works

    assert notices_to(police) == []
    run(t0 + 7 * DAY, django_capture_on_commit_callbacks)

    escalation = Dispatch.objects.get(escalation_of=notice)
    assert (escalation.institution, escalation.kind) == (police, "police")
    (to_police,) = notices_to(police)
    assert site.url("/stays") in to_police.body and report.reference in to_police.body
    assert host.name in to_police.body
    assert escalation.status == Dispatch.Status.SENT
    assert AuditEvent.objects.filter(
        action=takedown.TakedownAction.ESCALATED, object_id=str(notice.pk)
    ).exists()
    run(t0 + 8 * DAY, django_capture_on_commit_callbacks)
    assert Dispatch.objects.filter(escalation_of=notice).count() == 1  # once
    assert len(notices_to(host)) == 4  # the reminders go on
    reminders_before = len(notices_to(host))

    site.answer("/stays", 404)
    remove(item_at(report))
    result = run(t0 + 9 * DAY, django_capture_on_commit_callbacks)
    run(t0 + 30 * DAY, django_capture_on_commit_callbacks)

    assert result.closed == 1
    assert len(notices_to(host)) == reminders_before and len(notices_to(police)) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.outcome) == (Dispatch.Status.CLOSED, "removed")
    assert notice.acknowledged_at is None  # the host said nothing
    assert Dispatch.objects.count() == 2


def test_a_removal_found_by_the_check_before_a_reminder_closes_the_notice_at_once(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    settings,
    django_capture_on_commit_callbacks,
):
    site.answer("/soon-gone", 200)
    report = assess(make_report(urls=[site.url("/soon-gone")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = 1
    site.answer("/soon-gone", 410)

    result = run(notice.send_after + DAY, django_capture_on_commit_callbacks)

    assert result.closed == 1 and result.reminders == []
    assert Dispatch.objects.get(pk=notice.pk).outcome == "removed"
    assert len(notices_to(host)) == 1


def test_content_hosted_abroad_escalates_to_that_countrys_partner_hotline(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    partner = institution("partner_hotline", "NO", name="Example Hotline Norway")
    site.answer("/abroad", 200)
    report = assess(make_report(urls=[site.url("/abroad")]), ana.user)
    HostingFacts.objects.update_or_create(
        item=item_at(report),
        defaults={"outcome": HostingFacts.Outcome.FOUND, "country": "NO", "host": "127.0.0.1"},
    )
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)

    run(notice.send_after + 7 * DAY, django_capture_on_commit_callbacks)

    escalation = Dispatch.objects.get(escalation_of=notice)
    assert (escalation.institution, escalation.kind) == (partner, "partner_hotline")
    (sent,) = notices_to(partner)
    assert escalation.language == "en"
    assert "7 days after our notice" in sent.body and "Still online" in sent.subject


def test_an_outcome_from_the_host_stops_the_reminders(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    site.answer("/answered", 200)
    report = assess(make_report(urls=[site.url("/answered")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)
    link = link_in(notices_to(host)[0].body)

    Client().post(link, {"action": "acknowledge"})  # acknowledged: reminders go on
    run(notice.send_after + DAY, django_capture_on_commit_callbacks)
    assert len(notices_to(host)) == 2
    Client().post(link, {"action": "outcome", "outcome": "not_ours"})
    run(notice.send_after + 2 * DAY, django_capture_on_commit_callbacks)
    run(notice.send_after + 8 * DAY, django_capture_on_commit_callbacks)

    assert Dispatch.objects.get(pk=notice.pk).outcome == "not_ours"
    assert len(notices_to(host)) == 2 and Dispatch.objects.count() == 1


# --- Police hold --------------------------------------------------------------------------------


def test_a_held_item_gets_no_notice_until_the_hold_is_released(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    police = home_police()
    site.answer("/evidence", 200)
    report = assess(make_report(urls=[site.url("/evidence")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    item = item_at(report)
    page = f"/staff/hotline/dispatches/{notice.pk}/"

    response = ana.post(
        f"{page}hold/",
        {"item": item.pk, "requested_by": police.pk, "note": "Istraga u toku, sačekajte."},
        follow=True,
    )
    assert "Notices about this address are held" in response.content.decode()
    hold = ItemHold.objects.get()
    assert (hold.item, hold.requested_by, hold.held_by) == (item, police, ana.user)
    assert f"asked by {police.name}" in ana.get(page).content.decode()

    for at in (notice.send_after, notice.send_after + DAY):
        run(at, django_capture_on_commit_callbacks)
    assert notices_to(host) == [] and site.requests == []  # not sent, not even checked

    response = ana.post(f"{page}release-hold/", {"item": item.pk}, follow=True)
    assert "The hold is released" in response.content.decode()
    run(notice.send_after + DAY, django_capture_on_commit_callbacks)

    (sent,) = notices_to(host)
    assert site.url("/evidence") in sent.body
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == ana.user
    actions = set(
        AuditEvent.objects.filter(object_id=str(notice.pk)).values_list("action", flat=True)
    )
    assert {takedown.TakedownAction.HELD, takedown.TakedownAction.RELEASED} <= actions


def test_a_hold_on_one_item_of_a_sent_notice_leaves_it_out_of_the_reminders(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    site.answer("/one", 200)
    site.answer("/two", 200)
    report = assess(make_report(urls=[site.url("/one"), site.url("/two")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)
    held = item_for(site.url("/two"))
    ana.post(f"/staff/hotline/dispatches/{notice.pk}/hold/", {"item": held.pk})
    ana.post(f"/staff/hotline/dispatches/{notice.pk}/hold/", {"item": held.pk})  # twice

    run(notice.send_after + DAY, django_capture_on_commit_callbacks)

    reminder = notices_to(host)[-1]
    assert site.url("/one") in reminder.body and site.url("/two") not in reminder.body
    assert DispatchItem.objects.get(content_item=held).left_out == "held"
    assert [r["path"] for r in site.requests].count("/two") == 1  # held: not checked again
    assert ItemHold.objects.count() == 1


def test_an_address_released_after_the_first_notice_goes_to_the_host_with_the_next_run(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    django_capture_on_commit_callbacks,
):
    site.answer("/free", 200)
    site.answer("/kept", 200)
    report = assess(make_report(urls=[site.url("/free"), site.url("/kept")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    kept = item_for(site.url("/kept"))
    ana.post(f"/staff/hotline/dispatches/{notice.pk}/hold/", {"item": kept.pk})
    run(notice.send_after, django_capture_on_commit_callbacks)
    (first,) = notices_to(host)
    assert site.url("/kept") not in first.body

    ana.post(f"/staff/hotline/dispatches/{notice.pk}/release-hold/", {"item": kept.pk})
    run(notice.send_after + HOUR, django_capture_on_commit_callbacks)  # not a day later

    told = notices_to(host)[-1]
    assert len(notices_to(host)) == 2
    assert "not in our earlier message" in told.body and site.url("/kept") in told.body


def test_a_hold_cannot_be_placed_on_an_address_of_another_dispatch(
    ana, host, make_report, make_dispatch
):
    notice = make_dispatch(to=host, kind="takedown", urls=["https://one.example.com/x"])
    other = make_dispatch(urls=["https://other.example.com/y"])
    foreign = other.dispatch_items.get().content_item
    response = ana.post(
        f"/staff/hotline/dispatches/{notice.pk}/hold/", {"item": foreign.pk}, follow=True
    )
    assert "Choose an address of this dispatch." in response.content.decode()
    assert not ItemHold.objects.exists()


# --- Settings -----------------------------------------------------------------------------------


def settings_in_a_process(tmp_path: Any, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SIGURNET_", "DJANGO_"))}
    clean.update(SIGURNET_DEBUG="1", SIGURNET_VAR_DIR=str(tmp_path), **env)
    code = "import sigurnet.settings as s; print(s.SIGURNET_TAKEDOWN_DELAY_MINUTES)"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SIGURNET_TAKEDOWN_DELAY_MINUTES", "-5", "between 0 and 1440"),
        ("SIGURNET_TAKEDOWN_REMINDER_HOURS", "0", "between 1 and 720"),
        ("SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS", "365", "between 0 (never) and 90"),
    ],
)
def test_a_schedule_setting_out_of_range_stops_start_up(tmp_path, name, value, says):
    refused = settings_in_a_process(tmp_path, **{name: value})
    assert refused.returncode != 0 and f"{name} must be {says}" in refused.stderr
    assert settings_in_a_process(tmp_path, SIGURNET_TAKEDOWN_DELAY_MINUTES="0").stdout == "0\n"


def test_escalation_after_zero_days_never_escalates(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS = 0
    site.answer("/forever", 200)
    report = assess(make_report(urls=[site.url("/forever")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)
    run(notice.send_after + 30 * DAY, django_capture_on_commit_callbacks)
    assert Dispatch.objects.count() == 1 and len(notices_to(host)) == 2


def test_a_police_dispatch_is_not_held_back_by_the_schedule(ana, make_report, make_dispatch):
    """Only notices to hosts and platforms wait: the police get theirs at once."""
    dispatch = make_dispatch(kind="police")
    assert dispatch.status == Dispatch.Status.SENT and not takedown.is_notice(dispatch.kind)
    assert forwarding.prepare_due() == []


def test_a_hold_placed_while_the_items_are_being_checked_still_wins(
    ana, host, make_report, django_capture_on_commit_callbacks
):
    urls = ["https://hold.example.com/a", "https://hold.example.com/b"]
    report = assess(make_report(urls=urls), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    first = item_for(urls[0])

    def online(item: ContentItem) -> bool:  # the police call while the check runs
        if item == first and not ItemHold.objects.exists():
            holds.place_hold(item, actor=ana.user, dispatch=notice)
        return True

    run(notice.send_after, django_capture_on_commit_callbacks, online=online)

    (sent,) = notices_to(host)
    assert urls[1] in sent.body and urls[0] not in sent.body


def test_reminders_end_when_the_removal_checks_do(
    ana,
    host,
    site,  # noqa: F811
    make_report,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SIGURNET_CHECK_STOP_AFTER_DAYS = 10
    settings.SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS = 0
    site.answer("/stubborn", 200)
    report = assess(make_report(urls=[site.url("/stubborn")]), ana.user)
    forward(ana, report, host, django_capture_on_commit_callbacks)
    notice = Dispatch.objects.get()
    run(notice.send_after, django_capture_on_commit_callbacks)
    notice.refresh_from_db()
    start = notice.sent_at

    run(start + 9 * DAY, django_capture_on_commit_callbacks)
    assert len(notices_to(host)) == 2
    run(start + 10 * DAY + HOUR, django_capture_on_commit_callbacks)
    run(start + 20 * DAY, django_capture_on_commit_callbacks)

    assert len(notices_to(host)) == 2
    assert Dispatch.objects.get(pk=notice.pk).next_reminder_at is None
    assert AuditEvent.objects.filter(action=takedown.TakedownAction.REMINDERS_ENDED).count() == 1
