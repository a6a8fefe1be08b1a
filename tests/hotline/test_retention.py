"""Closed reports and never-sent uploads are deleted as the confirmation page promises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sigurnet.core.models import Institution
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline import services
from sigurnet.hotline.models import (
    Evidence,
    HeldEmail,
    IngestedEmail,
    PartnerToken,
    Report,
)
from sigurnet.hotline.tasks import apply_retention

pytestmark = pytest.mark.django_db


def stored_evidence(report: Report | None) -> Evidence:
    clean = evidence_files.inspect(b"plain text evidence")
    name = evidence_files.write_encrypted(clean)
    return Evidence.objects.create(
        report=report, storage_name=name, content_type=clean.content_type, size=19
    )


def test_closed_report_is_deleted_after_the_retention_period(settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path
    old = services.file_report(
        services.ReportSubmission(
            category="other", language="en", urls=["http://a.example/"], description="old"
        ),
        channel="web",
    ).report
    kept = services.file_report(
        services.ReportSubmission(
            category="other", language="en", urls=["http://a.example/"], description="open"
        ),
        channel="web",
    ).report
    evidence = stored_evidence(old)
    Report.objects.filter(pk=old.pk).update(
        status="closed",
        updated_at=timezone.now() - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS + 1),
    )
    Report.objects.filter(pk=kept.pk).update(
        updated_at=timezone.now() - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS + 1)
    )
    orphan = stored_evidence(None)
    Evidence.objects.filter(pk=orphan.pk).update(uploaded_at=timezone.now() - timedelta(days=2))

    assert apply_retention() == {
        "reports": 1,
        "orphan_evidence": 1,
        "held_emails": 0,
        "ingested_email_records": 0,
        "urgent_notices": 0,
    }
    assert list(Report.objects.all()) == [kept]  # an open report is never deleted
    assert not (tmp_path / evidence.storage_name).exists()
    assert not (tmp_path / orphan.storage_name).exists()
    assert apply_retention()["reports"] == apply_retention()["orphan_evidence"] == 0


def test_held_emails_and_ingested_records_of_deleted_reports_go_after_the_retention_period(
    settings,
):
    days = settings.SIGURNET_REPORT_RETENTION_DAYS
    long_ago = timezone.now() - timedelta(days=days + 1)
    old_held = HeldEmail.objects.create(source="maildir", raw="From: a@example.org", reason="junk")
    new_held = HeldEmail.objects.create(source="maildir", raw="From: b@example.org", reason="junk")
    HeldEmail.objects.filter(pk=old_held.pk).update(received_at=long_ago)
    report = services.file_report(
        services.ReportSubmission(category="other", language="en", description="by e-mail"),
        channel="email",
    ).report
    of_open_report = IngestedEmail.objects.create(message_id_index="1" * 64, report=report)
    of_deleted_report = IngestedEmail.objects.create(message_id_index="2" * 64, report=None)
    recent = IngestedEmail.objects.create(message_id_index="3" * 64, report=None)
    IngestedEmail.objects.filter(pk__in=[of_open_report.pk, of_deleted_report.pk]).update(
        ingested_at=long_ago
    )

    result = apply_retention()

    assert (result["held_emails"], result["ingested_email_records"]) == (1, 1)
    assert list(HeldEmail.objects.all()) == [new_held]
    assert set(IngestedEmail.objects.all()) == {of_open_report, recent}


def test_partner_token_is_shown_once_and_stored_as_a_hash(capsys):
    institution = Institution.objects.create(name="Partner", kind="partner_hotline", country="HR")
    call_command("create_partner_token", str(institution.pk), "Intake")
    token = capsys.readouterr().out.split(": ", 1)[1].split()[0]
    stored = PartnerToken.objects.get()
    assert token not in stored.token_index
