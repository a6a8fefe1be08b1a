"""Removal tracking: content items of forwarded reports are re-checked until they are gone.

Every server here is a thread on 127.0.0.1; the DNS failure is a name under ``.invalid``,
which never exists. No test touches the internet.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sigurnet.core.models import AuditEvent, OutgoingMessage
from sigurnet.hotline import services
from sigurnet.hotline.forwarding import check_tasks, checks
from sigurnet.hotline.models import ContentCheck, ContentItem, Message, Report, Status
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

REMOVED_EN = "What you reported has been removed."


class Site:
    """An HTTP server on loopback whose answers a test sets per path, and that can stop
    serving and come back on the same port. It records every request it gets."""

    def __init__(self) -> None:
        self.port = free_port()
        self.answers: dict[str, tuple[int, dict[str, str]]] = {}
        self.head_allowed = True
        self.requests: list[dict[str, Any]] = []
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, path: str, status: int, **headers: str) -> None:
        self.answers[path] = (status, headers)

    def start(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bool) -> None:
                site.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                if self.command == "HEAD" and not site.head_allowed:
                    status, headers = 405, {}
                else:
                    status, headers = site.answers.get(self.path, (404, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                if body:
                    # The checker closes the connection unread, as it should.
                    with contextlib.suppress(OSError):
                        self.wfile.write(b"x" * 100000)

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.stop()


@pytest.fixture
def other_site() -> Iterator[Site]:
    server = Site()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _check_settings(settings: Any) -> None:
    settings.SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES = True  # the servers are on loopback
    settings.SIGURNET_CHECK_PROXY = ""
    settings.SIGURNET_CHECK_CONNECT_TIMEOUT = 3
    settings.SIGURNET_CHECK_READ_TIMEOUT = 3
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = 3
    settings.SIGURNET_CHECK_INTERVAL_MINUTES = 120
    settings.SIGURNET_CHECK_STOP_AFTER_DAYS = 90


def file(urls: list[str], *, status: str = Status.FORWARDED, **fields: Any) -> Any:
    fields.setdefault("category", "phishing_fraud")
    fields.setdefault("language", "en")
    filed = services.file_report(services.ReportSubmission(urls=urls, **fields), channel="web")
    Report.objects.filter(pk=filed.report.pk).update(status=status)
    return filed


def item_of(report: Report) -> ContentItem:
    return ContentItem.objects.get(reports=report, kind=ContentItem.Kind.URL)


def check(item: ContentItem, at: Any = None) -> ContentCheck:
    """One check, recorded at ``at`` (default now)."""
    found = checks.probe(ContentItem.objects.get(pk=item.pk).canonical)
    return checks.record_check(item.pk, found, checked_at=at)


def closed_port_url(path: str = "/gone") -> str:
    return f"http://127.0.0.1:{free_port()}{path}"


# --- What one check asks and what it finds ---------------------------------------------------


def test_a_served_page_is_online_and_only_its_head_is_asked(site, settings):
    settings.SIGURNET_CHECK_USER_AGENT = "Sigurnet-test-agent/1"
    site.answer("/offer?id=7", 200)
    item = item_of(file([site.url("/offer?id=7#top")]).report)

    result = checks.check_item(item)

    assert result is not None
    assert (result.result, result.status_code, result.method) == ("online", 200, "HEAD")
    item.refresh_from_db()
    assert item.state == ContentItem.State.ONLINE
    assert item.next_check_at == result.checked_at + timedelta(minutes=120)
    assert item.checks_until == result.checked_at + timedelta(days=90)
    (request,) = site.requests
    assert request["method"] == "HEAD"
    assert request["path"] == "/offer?id=7"  # never the fragment
    assert request["headers"]["User-Agent"] == "Sigurnet-test-agent/1"


def test_a_server_that_refuses_head_is_asked_for_one_byte(site):
    site.head_allowed = False
    site.answer("/clip", 206)
    item = item_of(file([site.url("/clip")]).report)

    result = checks.check_item(item)

    assert (result.result, result.status_code, result.method) == ("online", 206, "GET")
    assert [r["method"] for r in site.requests] == ["HEAD", "GET"]
    assert site.requests[1]["headers"]["Range"] == "bytes=0-0"


def test_a_name_that_does_not_exist_counts_as_offline():
    found = checks.probe("http://gone.invalid/picture")
    assert (found.result, found.reason) == ("offline", "dns: name not known")


def test_a_refused_connection_counts_as_offline():
    found = checks.probe(closed_port_url())
    assert (found.result, found.reason) == ("offline", "connection refused")


@pytest.mark.parametrize("status", [404, 410])
def test_not_found_and_gone_count_as_offline(site, status):
    site.answer("/x", status)
    assert checks.probe(site.url("/x")).result == "offline"


@pytest.mark.parametrize("status", [500, 503, 403, 429])
def test_server_errors_and_refusals_say_nothing_either_way(site, status):
    site.answer("/x", status)
    found = checks.probe(site.url("/x"))
    assert (found.result, found.status_code) == ("error", status)


def test_a_redirect_to_another_host_is_recorded_and_not_followed(site, other_site):
    other_site.answer("/landing", 200)
    site.answer("/x", 302, Location=other_site.url("/landing", host="localhost"))
    item = item_of(file([site.url("/x")]).report)

    result = checks.check_item(item)

    assert result.result == "online"
    assert result.status_code == 302
    assert result.redirect_host == "localhost"
    assert other_site.requests == []


def test_a_redirect_within_the_host_is_followed(site):
    site.answer("/old", 301, Location="/new")
    site.answer("/new", 410)
    found = checks.probe(site.url("/old"))
    assert (found.result, found.status_code) == ("offline", 410)
    assert [r["path"] for r in site.requests] == ["/old", "/new"]


def test_endless_redirects_within_the_host_are_an_error(site):
    site.answer("/loop", 302, Location="/loop")
    found = checks.probe(site.url("/loop"))
    assert (found.result, found.reason) == ("error", "too many redirects")
    assert len(site.requests) == checks.MAX_SAME_HOST_REDIRECTS + 1


def test_a_tls_failure_is_an_error(site):
    site.answer("/x", 200)
    found = checks.probe(f"https://127.0.0.1:{site.port}/x")  # a plain HTTP server
    assert found.result == "error"
    assert found.reason.startswith("tls:")


def test_a_server_that_never_answers_is_an_error(settings):
    settings.SIGURNET_CHECK_READ_TIMEOUT = 1
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        found = checks.probe(f"http://127.0.0.1:{port}/slow")
    assert (found.result, found.reason) == ("error", "timeout")


def test_an_address_on_the_platforms_own_network_is_not_checked(site, settings):
    settings.SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES = False
    site.answer("/admin", 200)
    found = checks.probe(site.url("/admin"))
    assert found.result == "error"
    assert found.reason == "not a public address: not checked"
    assert site.requests == []


def test_checks_go_through_the_configured_proxy(site, settings):
    # The "proxy" answers for any address: the name need not resolve here, the proxy does it.
    settings.SIGURNET_CHECK_PROXY = f"http://127.0.0.1:{site.port}"
    site.answer("http://hidden.invalid/page?a=1", 200)
    found = checks.probe("http://hidden.invalid/page?a=1")
    assert found.result == "online"
    (request,) = site.requests
    assert request["path"] == "http://hidden.invalid/page?a=1"
    assert request["headers"]["Host"] == "hidden.invalid"


def test_a_proxy_that_cannot_be_reached_is_an_error_not_a_removal(settings):
    settings.SIGURNET_CHECK_PROXY = f"http://127.0.0.1:{free_port()}"
    found = checks.probe("http://hidden.invalid/page")
    assert (found.result, found.reason) == ("error", "proxy: connection refused")


def test_an_account_on_a_platform_is_not_checked():
    filed = file([], platform="Instagram", account="@example_account")
    account = ContentItem.objects.get(reports=filed.report)
    assert checks.check_item(account) is None
    assert checks.still_online(account) is True
    assert not ContentCheck.objects.exists()
    assert list(checks.due_items()) == []


# --- Removal: N offline checks in a row, and back again --------------------------------------


def test_not_found_gone_and_a_stopped_server_confirm_the_removal_with_its_time(site):
    site.answer("/item", 200)
    item = item_of(file([site.url("/item")]).report)
    start = timezone.now()
    assert check(item, start).result == "online"

    site.answer("/item", 404)
    first_offline = check(item, start + timedelta(hours=2))
    site.answer("/item", 410)
    check(item, start + timedelta(hours=4))
    item.refresh_from_db()
    assert item.state == ContentItem.State.ONLINE  # two offline checks are not enough
    assert item.removed_at is None

    site.stop()
    confirming = check(item, start + timedelta(hours=6))

    item.refresh_from_db()
    assert confirming.result == "offline"
    assert confirming.event == ContentCheck.Event.REMOVED
    assert item.state == ContentItem.State.REMOVED
    assert item.removed_at == first_offline.checked_at
    assert item.removal_confirmed_at == confirming.checked_at


def test_an_online_answer_between_offline_ones_starts_the_count_again(site):
    item = item_of(file([site.url("/item")]).report)
    for status in (404, 404, 200, 404, 404):
        site.answer("/item", status)
        check(item)
    item.refresh_from_db()
    assert item.state == ContentItem.State.ONLINE
    assert item.consecutive_offline == 2


def test_an_error_neither_confirms_nor_resets_the_offline_count(site):
    item = item_of(file([site.url("/item")]).report)
    for status in (404, 503, 404):
        site.answer("/item", status)
        check(item)
    item.refresh_from_db()
    assert item.state != ContentItem.State.REMOVED
    assert item.consecutive_offline == 2
    site.answer("/item", 404)
    check(item)
    item.refresh_from_db()
    assert item.state == ContentItem.State.REMOVED


def test_the_number_of_offline_checks_is_configurable(site, settings):
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = 1
    item = item_of(file([site.url("/item")]).report)
    check(item)  # 404: nothing is served
    item.refresh_from_db()
    assert item.state == ContentItem.State.REMOVED


def remove(item: ContentItem) -> None:
    for _ in range(3):
        check(item)
    item.refresh_from_db()
    assert item.state == ContentItem.State.REMOVED


def test_an_item_that_comes_back_is_reopened_and_checked_again(site):
    item = item_of(file([site.url("/item")]).report)
    site.stop()
    remove(item)
    assert checks.due_items().count() == 0

    site.start()
    site.answer("/item", 200)
    comeback = checks.check_item(item)

    assert comeback.event == ContentCheck.Event.REOPENED
    item.refresh_from_db()
    assert item.state == ContentItem.State.ONLINE
    assert item.removed_at is None
    assert item.removal_confirmed_at is None
    assert item.consecutive_offline == 0
    assert item.next_check_at == comeback.checked_at + timedelta(minutes=120)
    assert item.pk in {i.pk for i in checks.due_items(item.next_check_at)}


def test_still_online_before_a_notice(site):
    site.answer("/item", 200)
    item = item_of(file([site.url("/item")]).report)
    assert checks.still_online(item) is True
    site.answer("/item", 404)
    assert checks.still_online(item) is False  # one offline answer leaves it out
    site.answer("/item", 503)
    assert checks.still_online(item) is True  # cannot tell: the notice goes
    assert ContentCheck.objects.filter(item=item).count() == 3


# --- Telling the reporters, and the receipt page ---------------------------------------------


def test_reporters_are_told_once_through_the_outbox_even_if_the_item_flaps(site):
    url = site.url("/item")
    consenting = file([url], contact_email="reporter@example.org", contact_consent=True)
    anonymous = file([url])
    item = item_of(consenting.report)

    remove(item)

    mail = OutgoingMessage.objects.get()
    assert mail.recipients == "reporter@example.org"
    assert REMOVED_EN in mail.body
    assert consenting.reference in mail.subject
    for filed in (consenting, anonymous):
        (message,) = Message.objects.filter(report=filed.report)
        assert REMOVED_EN in message.body
    assert AuditEvent.objects.filter(
        action="hotline.feedback_sent", object_id=str(consenting.report.pk), actor_id=None
    ).exists()

    # Back online, and removed again: nobody is told a second time.
    site.answer("/item", 200)
    checks.check_item(item)
    site.answer("/item", 404)
    remove(item)
    assert OutgoingMessage.objects.count() == 1
    assert Message.objects.count() == 2


def test_a_reporter_who_gave_no_consent_gets_no_email():
    filed = file([closed_port_url()], contact_email="reporter@example.org", contact_consent=False)
    remove(item_of(filed.report))
    assert not OutgoingMessage.objects.exists()
    assert Message.objects.filter(report=filed.report).count() == 1


def test_a_report_is_told_when_its_last_item_is_removed(site):
    site.answer("/b", 200)
    filed = file(
        [site.url("/a"), site.url("/b")],
        contact_email="reporter@example.org",
        contact_consent=True,
    )
    first, second = ContentItem.objects.filter(reports=filed.report).order_by("pk")
    first_url = ContentItem.objects.get(pk=first.pk).canonical
    if first_url.endswith("/b"):
        first, second = second, first

    remove(first)
    assert not OutgoingMessage.objects.exists()  # /b is still online

    site.answer("/b", 410)
    remove(second)
    assert OutgoingMessage.objects.count() == 1


def test_the_email_is_in_the_reports_language():
    filed = file(
        [closed_port_url()],
        language="sr-latn",
        contact_email="reporter@example.org",
        contact_consent=True,
    )
    remove(item_of(filed.report))
    assert "uklonjeno" in OutgoingMessage.objects.get().body


def open_receipt(receipt: str, language: str) -> str:
    client = Client()
    response = client.post(f"/{language}/report/status/", {"receipt": receipt}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Good news: what you reported has been removed."),
        ("sr-latn", "Dobre vesti: ono što je bilo u prijavi je uklonjeno."),
        ("sr", "Добре вести: оно што је било у пријави је уклоњено."),  # noqa: RUF001
        ("bs", "Dobre vijesti: ono što je bilo u prijavi je uklonjeno."),
    ],
)
def test_the_receipt_page_says_the_content_was_removed(language, words):
    filed = file([closed_port_url()])
    assert words not in open_receipt(filed.receipt, language)
    remove(item_of(filed.report))
    assert words in open_receipt(filed.receipt, language)


def test_the_receipt_page_says_when_only_part_was_removed(site):
    site.answer("/b", 200)
    filed = file([site.url("/a"), site.url("/b")])
    gone = next(
        i for i in ContentItem.objects.filter(reports=filed.report) if i.canonical.endswith("/a")
    )
    remove(gone)
    page = open_receipt(filed.receipt, "en")
    assert "Part of what you reported has been removed." in page
    assert "Good news" not in page


# --- Which items, when, and two runs at once -------------------------------------------------


def test_only_items_of_forwarded_reports_are_due(site):
    forwarded = item_of(file([site.url("/a")]).report)
    item_of(file([site.url("/b")], status=Status.ASSESSED).report)
    item_of(file([site.url("/c")], status=Status.CLOSED).report)
    assert [i.pk for i in checks.due_items()] == [forwarded.pk]


def test_a_run_checks_every_due_item_once_and_schedules_the_next(site):
    for n in range(40):
        site.answer(f"/p{n}", 200 if n % 2 else 404)
    for n in range(40):
        file([site.url(f"/p{n}")])

    counts = checks.run_due_checks(concurrency=8)

    assert counts["claimed"] == 40
    assert (counts["online"], counts["offline"]) == (20, 20)
    assert len(site.requests) == 40
    assert ContentCheck.objects.count() == 40
    assert checks.due_items().count() == 0
    # A second run right after finds nothing due.
    assert checks.run_due_checks(concurrency=8)["claimed"] == 0
    assert len(site.requests) == 40


def test_checks_stop_after_removal(site):
    item = item_of(file([site.url("/gone")]).report)
    remove(item)
    later = timezone.now() + timedelta(days=1)
    assert checks.due_items(later).count() == 0
    requests = len(site.requests)
    assert checks.claim_due_items(limit=10, now=later) == []
    assert len(site.requests) == requests


def test_checks_stop_after_the_configured_days(site):
    site.answer("/item", 200)
    item = item_of(file([site.url("/item")]).report)
    first = check(item)
    assert checks.due_items(first.checked_at + timedelta(days=89)).count() == 1
    assert checks.due_items(first.checked_at + timedelta(days=90, minutes=1)).count() == 0


def test_two_overlapping_runs_claim_each_item_once(site, monkeypatch):
    for n in range(10):
        file([site.url(f"/p{n}")])
    real = checks._due_candidates
    second_run: list[list[int]] = []

    def overlapping(now: Any, limit: int) -> list[int]:
        # The first run has chosen its candidates; the second runs entirely before the first
        # claims them, as when two beats overlap.
        candidates = real(now, limit)
        if not second_run:
            second_run.append([])
            second_run[0] = [i.pk for i in checks.claim_due_items(limit=6)]
        return candidates

    monkeypatch.setattr(checks, "_due_candidates", overlapping)
    first_run = [i.pk for i in checks.claim_due_items(limit=10)]

    assert len(second_run[0]) == 6
    assert len(first_run) == 4
    assert set(first_run).isdisjoint(second_run[0])
    assert len(set(first_run) | set(second_run[0])) == 10


def test_an_item_whose_run_died_is_due_again_after_the_lease(site):
    item = item_of(file([site.url("/item")]).report)
    now = timezone.now()
    assert [i.pk for i in checks.claim_due_items(limit=5, now=now)] == [item.pk]
    assert checks.claim_due_items(limit=5, now=now + timedelta(minutes=5)) == []
    after_lease = now + checks.CLAIM_LEASE + timedelta(seconds=1)
    assert [i.pk for i in checks.claim_due_items(limit=5, now=after_lease)] == [item.pk]


def test_old_checks_are_deleted_but_the_removal_stays(site):
    item = item_of(file([site.url("/item")]).report)
    long_ago = timezone.now() - timedelta(days=100)
    for hours in (0, 2, 4):
        check(item, long_ago + timedelta(hours=hours))
    assert checks.delete_old_checks() == 2
    (kept,) = ContentCheck.objects.all()
    assert kept.event == ContentCheck.Event.REMOVED


def test_the_beat_runs_the_task_and_the_worker_knows_it(settings):
    from sigurnet.celery import app

    app.loader.import_default_modules()
    assert "hotline.forwarding.recheck_due_items" in app.tasks
    entry = settings.CELERY_BEAT_SCHEDULE["recheck-content-items"]
    assert entry["task"] == "hotline.forwarding.recheck_due_items"


def test_the_task_checks_due_items(site):
    site.answer("/item", 200)
    file([site.url("/item")])
    counts = check_tasks.recheck_due_items.delay().get()
    assert counts["online"] == 1
    assert counts["old_checks_deleted"] == 0


def test_a_report_whose_items_go_in_one_run_is_told_once(site, settings):
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = 1
    filed = file(
        [site.url("/a"), site.url("/b"), site.url("/c")],
        contact_email="reporter@example.org",
        contact_consent=True,
    )
    counts = checks.run_due_checks(concurrency=4)
    assert counts["offline"] == 3
    assert ContentItem.objects.filter(reports=filed.report, state="removed").count() == 3
    assert OutgoingMessage.objects.count() == 1
    assert Message.objects.filter(report=filed.report).count() == 1


def settings_in_a_process(tmp_path: Any, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SIGURNET_", "DJANGO_"))}
    clean.update(SIGURNET_DEBUG="1", SIGURNET_VAR_DIR=str(tmp_path), **env)
    code = "import sigurnet.settings as s; print('recheck-content-items' in s.CELERY_BEAT_SCHEDULE)"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
    )


def test_an_interval_outside_one_to_four_hours_stops_start_up(tmp_path):
    refused = settings_in_a_process(tmp_path, SIGURNET_CHECK_INTERVAL_MINUTES="30")
    assert refused.returncode != 0
    assert "SIGURNET_CHECK_INTERVAL_MINUTES must be between 60 and 240" in refused.stderr
    assert settings_in_a_process(tmp_path, SIGURNET_CHECK_INTERVAL_MINUTES="240").stdout == "True\n"


def test_an_interval_of_zero_switches_the_checks_off(tmp_path):
    off = settings_in_a_process(tmp_path, SIGURNET_CHECK_INTERVAL_MINUTES="0")
    assert off.stdout == "False\n"
