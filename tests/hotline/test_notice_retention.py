"""Sent urgent notices (they hold staff addresses) are deleted 30 days after they were sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from sigurnet.hotline import services
from sigurnet.hotline.models import Report, UrgentNotice
from sigurnet.hotline.tasks import apply_retention, notify_urgent_report

pytestmark = pytest.mark.django_db


def file_urgent(capture) -> Report:
    with capture(execute=True):
        filed = services.file_report(
            services.ReportSubmission(
                category="grooming", language="en", urls=["http://abuse.example.net/x"]
            ),
            channel="web",
        )
    return filed.report


def sent_days_ago(notice: UrgentNotice, days: float) -> None:
    UrgentNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now() - timedelta(days=days))


def test_a_notice_sent_over_30_days_ago_is_deleted_and_its_report_not_announced_again(
    make_staff, django_capture_on_commit_callbacks
):
    analyst = make_staff("Hotline analyst")
    old_report = file_urgent(django_capture_on_commit_callbacks)
    old = UrgentNotice.objects.get()
    assert analyst.email in old.recipients
    sent_days_ago(old, 31)
    recent_report = file_urgent(django_capture_on_commit_callbacks)
    recent = UrgentNotice.objects.exclude(pk=old.pk).get()
    sent_days_ago(recent, 29)
    assert len(mail.outbox) == 2

    assert apply_retention()["urgent_notices"] == 1
    assert list(UrgentNotice.objects.all()) == [recent]
    old_report.refresh_from_db()
    assert old_report.urgent_notice is None
    assert old_report.urgent_notified_at is not None  # the report keeps when staff were told
    assert Report.objects.get(pk=recent_report.pk).urgent_notice == recent
    # Nothing is sent again for the report whose notice is gone.
    assert notify_urgent_report() is False
    assert len(mail.outbox) == 2
    assert apply_retention()["urgent_notices"] == 0


def test_a_notice_not_yet_sent_is_never_deleted(make_staff, django_capture_on_commit_callbacks):
    make_staff("Hotline analyst")
    report = file_urgent(django_capture_on_commit_callbacks)
    notice = UrgentNotice.objects.get()
    # As if the mail server never accepted it: unsent, and created long ago.
    UrgentNotice.objects.filter(pk=notice.pk).update(
        sent_at=None, created_at=timezone.now() - timedelta(days=400)
    )
    Report.objects.filter(pk=report.pk).update(urgent_notified_at=None)

    assert apply_retention()["urgent_notices"] == 0
    assert UrgentNotice.objects.filter(pk=notice.pk).exists()
