"""Urgent reports wake the on-duty analysts by e-mail, and no notice is lost."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection
from django.utils import timezone

from sigurnet.core.models import OutgoingMessage
from sigurnet.hotline import services
from sigurnet.hotline.models import Report, UrgentNotice
from sigurnet.hotline.tasks import notify_urgent_report, sweep_urgent_notices
from tests.conftest import free_port, requires_postgresql

pytestmark = pytest.mark.django_db


def submission(category: str, url: str = "http://abuse.example.net/x") -> services.ReportSubmission:
    return services.ReportSubmission(
        category=category,
        language="en",
        urls=[url],
        description="secret-description-marker",
    )


def a_minute_passes() -> None:
    UrgentNotice.objects.update(sent_at=timezone.now() - timedelta(seconds=61))


def the_retry_delay_passes() -> None:
    # The claim and the next attempt of a notice's e-mail are the outbox's now.
    past = timezone.now() - timedelta(seconds=1)
    OutgoingMessage.objects.filter(kind="hotline.urgent_notice", sent_at__isnull=True).update(
        claimed_until=past, next_attempt_at=past
    )


def the_notice_email() -> OutgoingMessage:
    return OutgoingMessage.objects.get(kind="hotline.urgent_notice")


def test_urgent_report_notifies_analysts_without_its_content(
    make_staff, django_capture_on_commit_callbacks
):
    analyst = make_staff("Hotline analyst")
    make_staff("Helpline counsellor")
    with django_capture_on_commit_callbacks(execute=True):
        filed = services.file_report(submission("grooming"), channel="web")
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [analyst.email]
    assert filed.reference in notice.subject
    assert "secret-description-marker" not in notice.body
    assert "abuse.example.net" not in notice.body
    assert Report.objects.get().urgent_notified_at is not None


def test_other_reports_send_no_notice(make_staff, django_capture_on_commit_callbacks):
    make_staff("Hotline analyst")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(submission("phishing_fraud"), channel="web")
    assert mail.outbox == []


def test_a_repeated_task_sends_no_second_notice(make_staff, django_capture_on_commit_callbacks):
    make_staff("Hotline analyst")
    with django_capture_on_commit_callbacks(execute=True):
        filed = services.file_report(submission("csam"), channel="api")
    assert notify_urgent_report.run(filed.report.pk) is False
    assert len(mail.outbox) == 1


class Inbox:
    """An SMTP sink: keeps every message it accepts. ``delay`` holds each reply a while (so
    that two senders overlap); ``then_fail`` keeps a message and still answers with an error
    (the reply lost after the server took it)."""

    def __init__(self, delay: float = 0.0, then_fail: int = 0) -> None:
        self.messages: list[bytes] = []
        self.delay = delay
        self.then_fail = then_fail

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.then_fail:
            self.then_fail -= 1
            return "451 Try again later"
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend delivers to."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 5
    servers = []

    def start(inbox: Inbox) -> Inbox:
        server = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
        server.start()
        servers.append(server)
        return inbox

    yield start
    for server in servers:
        server.stop()


def test_notice_survives_a_mail_server_outage(make_staff, settings, smtp_sink):
    analyst = make_staff("Hotline analyst")
    filed = services.file_report(submission("sextortion"), channel="web")

    # Nothing listens: the send fails and the outbox will retry it.
    assert notify_urgent_report.run(filed.report.pk) is False
    assert the_notice_email().attempts == 1
    assert the_notice_email().last_error == "ConnectionRefusedError"
    assert Report.objects.get().urgent_notified_at is None

    assert notify_urgent_report.run() is False  # other runs leave the server alone a while
    Report.objects.filter(pk=filed.report.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )
    the_retry_delay_passes()
    inbox = smtp_sink(Inbox())
    assert sweep_urgent_notices() == 1  # the periodic sweep sends what was missed
    assert len(inbox.messages) == 1
    received = message_from_bytes(inbox.messages[0])
    assert received["To"] == analyst.email
    assert filed.reference in received["Subject"]
    assert Report.objects.get().urgent_notified_at is not None


def test_without_analysts_the_notice_goes_to_the_hotline_address(
    django_capture_on_commit_callbacks,
):
    from sigurnet.core.models import DeploymentProfile
    from sigurnet.core.services import save_profile

    save_profile(
        DeploymentProfile(
            centre_name="Centar",
            country="RS",
            enabled_languages=["en"],
            emergency_number="192",
            hotline_email="hotline@example.org",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(submission("grooming"), channel="web")
    assert [m.to for m in mail.outbox] == [["hotline@example.org"]]


def test_with_nobody_to_tell_the_report_stays_pending_for_the_sweep(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(submission("grooming"), channel="web")
    assert mail.outbox == []
    assert Report.objects.get().urgent_notified_at is None


def test_a_flood_of_urgent_reports_sends_one_notice_a_minute_naming_every_report(
    make_staff, django_capture_on_commit_callbacks
):
    analyst = make_staff("Hotline analyst")
    filed = []
    for n in range(100):  # one request each, as from a script
        with django_capture_on_commit_callbacks(execute=True):
            filed.append(
                services.file_report(
                    submission("csam", f"http://made-up-{n}.example.net/x"), channel="api"
                )
            )
    assert len(mail.outbox) == 1  # the first report at once, the rest wait for the minute
    assert filed[0].reference in mail.outbox[0].subject
    assert Report.objects.filter(urgent_notified_at__isnull=False).count() == 1

    assert notify_urgent_report.run() is False  # still within the minute
    a_minute_passes()
    assert notify_urgent_report.run() is True
    assert notify_urgent_report.run() is False

    assert len(mail.outbox) == 2
    second = mail.outbox[1]
    assert second.to == [analyst.email]
    assert "99 urgent reports" in second.subject
    for one in filed[1:]:
        assert f"{one.reference} (Sexual abuse of a child (pictures or videos))" in second.body
    for notice in mail.outbox:
        assert "secret-description-marker" not in notice.body + notice.subject
        assert "example.net" not in notice.body + notice.subject
    assert not Report.objects.filter(urgent_notified_at__isnull=True).exists()


def test_a_report_filed_after_a_notice_waits_for_the_next_one_and_is_not_lost(
    make_staff, django_capture_on_commit_callbacks
):
    make_staff("Hotline analyst")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(submission("grooming"), channel="web")
    with django_capture_on_commit_callbacks(execute=True):
        later = services.file_report(submission("ncii"), channel="web")
    assert len(mail.outbox) == 1
    assert Report.objects.get(pk=later.report.pk).urgent_notified_at is None

    Report.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    a_minute_passes()
    assert sweep_urgent_notices() == 1  # the periodic sweep picks up what waits

    assert len(mail.outbox) == 2
    assert later.reference in mail.outbox[1].subject
    assert Report.objects.get(pk=later.report.pk).urgent_notified_at is not None


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_notice_is_sent_once_when_the_task_runs_twice_at_the_same_time(
    make_staff, smtp_sink, monkeypatch
):
    analyst = make_staff("Hotline analyst")

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    # The broker is down while two urgent reports come in: both wait, unannounced.
    monkeypatch.setattr(notify_urgent_report, "delay", broker_down)
    filed = [services.file_report(submission(c), channel="web") for c in ("csam", "grooming")]
    assert not Report.objects.filter(urgent_notified_at__isnull=False).exists()
    inbox = smtp_sink(Inbox(delay=0.3))

    # Two workers run the task (one for each report) at the same moment.
    start = threading.Barrier(2, timeout=10)
    results: list[bool] = []

    def worker(report_id: int) -> None:
        try:
            start.wait()
            results.append(notify_urgent_report.run(report_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f.report.pk,)) for f in filed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False, True]
    assert len(inbox.messages) == 1
    received = message_from_bytes(inbox.messages[0])
    assert received["To"] == analyst.email
    body = received.get_payload(decode=True).decode()
    assert all(f.reference in body for f in filed)
    assert Report.objects.filter(urgent_notified_at__isnull=False).count() == 2
    assert UrgentNotice.objects.get().sent_at is not None


def test_a_notice_sent_again_after_a_lost_reply_is_the_same_message(make_staff, smtp_sink):
    make_staff("Hotline analyst")
    filed = services.file_report(submission("sextortion"), channel="web")
    # The server keeps the message but its reply never says so: the one window for a
    # duplicate. The retry sends the same message again, with the same Message-ID.
    inbox = smtp_sink(Inbox(then_fail=1))
    assert notify_urgent_report.run(filed.report.pk) is False  # the outbox retries it
    assert the_notice_email().last_error == "SMTPDataError 451"
    assert Report.objects.get().urgent_notified_at is None
    the_retry_delay_passes()
    assert notify_urgent_report.run(filed.report.pk) is True

    first, again = (message_from_bytes(raw) for raw in inbox.messages)
    assert first["Message-ID"] == again["Message-ID"]
    assert first.get_payload() == again.get_payload()
    assert Report.objects.get().urgent_notified_at is not None


def test_a_notice_left_by_a_dead_worker_is_sent_when_its_claim_expires(make_staff, monkeypatch):
    from django.core.mail import EmailMessage

    make_staff("Hotline analyst")
    filed = services.file_report(submission("csam"), channel="web")

    def worker_killed(self, fail_silently=False):
        raise SystemExit  # the process ends in the middle of sending

    with monkeypatch.context() as patch:
        patch.setattr(EmailMessage, "send", worker_killed)
        with pytest.raises(SystemExit):
            notify_urgent_report.run(filed.report.pk)
    Report.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert sweep_urgent_notices() == 1
    assert mail.outbox == []  # the claim still holds: the worker may only be slow

    the_retry_delay_passes()  # the outbox's claim (five minutes) has expired
    assert sweep_urgent_notices() == 1
    assert len(mail.outbox) == 1
    assert filed.reference in mail.outbox[0].subject
    assert sweep_urgent_notices() == 0


@pytest.fixture
def broker(monkeypatch):
    """A broker stand-in: tasks are kept (with their delay) instead of run, until the test runs
    them, as a worker would."""
    queued: list[tuple[tuple, dict, float | None]] = []

    def keep(args=None, kwargs=None, countdown=None, **options):
        queued.append((tuple(args or ()), dict(kwargs or {}), countdown))

    monkeypatch.setitem(notify_urgent_report.app.conf, "task_always_eager", False)
    monkeypatch.setattr(notify_urgent_report, "apply_async", keep)
    return queued


def run_queued(queued: list) -> list[bool]:
    tasks, queued[:] = list(queued), []
    return [notify_urgent_report.run(*args, **kwargs) for args, kwargs, _countdown in tasks]


def test_reports_within_the_minute_get_one_follow_up_at_its_end(
    make_staff, django_capture_on_commit_callbacks, broker
):
    make_staff("Hotline analyst")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(submission("csam"), channel="api")
    assert run_queued(broker) == [True]
    later = []
    for category in ("csam", "grooming", "ncii"):
        with django_capture_on_commit_callbacks(execute=True):
            later.append(services.file_report(submission(category), channel="api"))

    assert run_queued(broker) == [False, False, False]
    assert len(broker) == 1  # one follow-up, not one per report
    _args, kwargs, countdown = broker[0]
    assert kwargs == {"follow_up": True} and 59 < countdown <= 61

    assert run_queued(broker) == [False]  # came a little early: it waits again
    assert len(broker) == 1
    a_minute_passes()
    assert run_queued(broker) == [True]
    assert broker == []  # nothing left to announce
    assert len(mail.outbox) == 2
    assert all(one.reference in mail.outbox[1].body for one in later)
    assert not Report.objects.filter(urgent_notified_at__isnull=True).exists()


def test_the_notice_is_one_outbox_message_with_the_notice_s_key_and_message_id(
    make_staff, django_capture_on_commit_callbacks
):
    make_staff("Hotline analyst")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(submission("csam"), channel="web")
    notice = UrgentNotice.objects.get()
    message = the_notice_email()
    assert message.key == f"hotline.urgent_notice:{notice.pk}"
    assert notice.outgoing == message
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id == notice.message_id
    assert Report.objects.get().urgent_notified_at == message.sent_at == notice.sent_at


def test_reports_are_named_only_together_with_the_notice_s_outbox_message(make_staff, monkeypatch):
    from sigurnet.core import outbox

    make_staff("Hotline analyst")
    services.file_report(submission("grooming"), channel="web")

    def database_fails(**kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(outbox, "enqueue", database_fails)
        with pytest.raises(RuntimeError):
            notify_urgent_report.run()
    assert not UrgentNotice.objects.exists()
    assert Report.objects.get().urgent_notice is None  # still waiting, not lost

    assert notify_urgent_report.run() is True
    assert len(mail.outbox) == 1


def test_a_notice_the_outbox_sends_on_a_later_retry_is_recorded_by_the_sweep_not_resent(
    make_staff, smtp_sink
):
    from sigurnet.core.tasks import send_outgoing_message

    make_staff("Hotline analyst")
    filed = services.file_report(submission("ncii"), channel="web")
    assert notify_urgent_report.run(filed.report.pk) is False  # no mail server yet
    the_retry_delay_passes()
    inbox = smtp_sink(Inbox())
    assert send_outgoing_message(the_notice_email().pk) is True  # the outbox's own retry
    assert Report.objects.get().urgent_notified_at is None  # not recorded by the outbox

    Report.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert sweep_urgent_notices() == 0  # recorded first: nothing waits
    assert len(inbox.messages) == 1
    assert Report.objects.get().urgent_notified_at == the_notice_email().sent_at
    assert UrgentNotice.objects.get().sent_at == the_notice_email().sent_at


def test_a_notice_the_outbox_gave_up_is_sent_again_to_the_current_staff(
    make_staff, smtp_sink, caplog
):
    first = make_staff("Hotline analyst")
    filed = services.file_report(submission("sextortion"), channel="web")
    assert notify_urgent_report.run(filed.report.pk) is False  # no mail server
    OutgoingMessage.objects.update(attempts=11)
    the_retry_delay_passes()
    assert notify_urgent_report.run() is False  # the twelfth attempt: given up
    assert the_notice_email().next_attempt_at is None
    assert Report.objects.get().urgent_notified_at is None

    first.is_active = False
    first.save()
    second = make_staff("Hotline supervisor")
    inbox = smtp_sink(Inbox())
    Report.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    with caplog.at_level("ERROR"):
        assert sweep_urgent_notices() == 1
    assert "given up" in caplog.text
    assert len(inbox.messages) == 1
    received = message_from_bytes(inbox.messages[0])
    assert received["To"] == second.email
    assert received["Message-ID"].strip() == UrgentNotice.objects.get().message_id
    assert Report.objects.get().urgent_notified_at is not None
    assert sweep_urgent_notices() == 0
