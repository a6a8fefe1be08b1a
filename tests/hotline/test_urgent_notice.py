"""Urgent reports wake the on-duty analysts by e-mail, and no notice is lost."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.utils import timezone

from sigurnet.hotline import services
from sigurnet.hotline.models import Report
from sigurnet.hotline.tasks import notify_urgent_report, sweep_urgent_notices

pytestmark = pytest.mark.django_db


def submission(category: str) -> services.ReportSubmission:
    return services.ReportSubmission(
        category=category,
        language="en",
        urls=["http://abuse.example.net/x"],
        description="secret-description-marker",
    )


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
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_notice_survives_a_mail_server_outage(make_staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2
    analyst = make_staff("Hotline analyst")
    filed = services.file_report(submission("sextortion"), channel="web")

    with pytest.raises(OSError):  # nothing listens: the task fails and will be retried
        notify_urgent_report.run(filed.report.pk)
    assert Report.objects.get().urgent_notified_at is None

    Report.objects.filter(pk=filed.report.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    server.start()
    try:
        assert sweep_urgent_notices() == 1  # the periodic sweep sends what was missed
    finally:
        server.stop()
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
