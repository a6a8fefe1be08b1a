"""A reporter's answer to a report that is no longer open: never lost, seen by the analysts.

A report closed as incomplete (the usual case: the answer comes late) or closed goes back to
assessment through the status table; a forwarded, assessed or duplicate report keeps its
status and is flagged. Through the receipt page, the API and an e-mail reply.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sigurnet.core.models import AuditEvent
from sigurnet.hotline import services
from sigurnet.hotline.email_intake import REPLIED, ingest_message
from sigurnet.hotline.models import Message, Report, Status
from sigurnet.hotline.tasks import apply_retention
from sigurnet.hotline.triage import services as triage

pytestmark = pytest.mark.django_db

ANSWER = "Evo tačne adrese: https://forum.example.com/t/77"
LATE = re.compile(r'<section aria-labelledby="late-answers-title">.*?</section>', re.S)


@pytest.fixture
def filed() -> services.FiledReport:
    return services.file_report(
        services.ReportSubmission(
            category="hate_speech",
            language="sr-latn",
            urls=["https://forum.example.com/t/1"],
            description="Uvrede na forumu.",
        ),
        channel="web",
    )


def with_status(filed: services.FiledReport, status: str, **changes: Any) -> Report:
    Report.objects.filter(pk=filed.report.pk).update(status=status, **changes)
    return Report.objects.get(pk=filed.report.pk)


def answer_on_the_receipt_page(receipt: str, text: str = ANSWER) -> Any:
    reporter = Client()
    reporter.post("/sr-latn/report/status/", {"receipt": receipt})
    response = reporter.post("/sr-latn/report/status/view/", {"text": text, "urls": ""})
    assert response.status_code == 302
    return reporter.get(response["Location"])


def reporter_messages(report: Report) -> list[str]:
    return list(
        report.messages.filter(direction=Message.Direction.FROM_REPORTER).values_list(
            "body", flat=True
        )
    )


def late_section(page: str) -> str:
    found = LATE.search(page)
    return found.group(0) if found else ""


def test_an_answer_to_a_report_closed_as_incomplete_brings_it_back_to_assessment(filed, signed_in):
    report = with_status(filed, Status.INCOMPLETE)
    page = answer_on_the_receipt_page(filed.receipt).content.decode()
    assert "Hvala ti. Dodali smo ovo tvojoj prijavi." in page  # what the reporter reads
    report.refresh_from_db()
    assert report.status == Status.IN_ASSESSMENT
    assert reporter_messages(report) == [ANSWER]
    event = AuditEvent.objects.get(action="hotline.status_changed", object_id=str(report.pk))
    assert event.detail["from"] == Status.INCOMPLETE and event.detail["to"] == Status.IN_ASSESSMENT
    assert event.actor_id is None  # the reporter, not a staff member

    # In the open queue again, flagged, although the hotline never wrote to this reporter.
    queue = signed_in("Hotline analyst").get("/staff/hotline/")
    row = next(r for r in queue.context["page"].rows if r.report.pk == report.pk)
    assert row.answered
    assert '<strong class="answered">answered</strong>' in queue.content.decode()


def test_an_answer_to_a_closed_report_through_the_api_reopens_it(filed, client):
    with_status(filed, Status.CLOSED)
    response = client.post(
        "/api/v1/reports/messages",
        data=json.dumps({"receipt": filed.receipt, "text": ANSWER, "urls": []}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == Status.IN_ASSESSMENT
    report = Report.objects.get(pk=filed.report.pk)
    assert report.status == Status.IN_ASSESSMENT
    assert reporter_messages(report) == [ANSWER]


def test_an_e_mail_reply_naming_an_incomplete_report_reopens_it(settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    report = services.file_report(
        services.ReportSubmission(
            category="other",
            language="sr-latn",
            description="Nešto ružno.",
            contact_email="reporter@example.org",
            contact_consent=True,
        ),
        channel="email",
    ).report
    Report.objects.filter(pk=report.pk).update(status=Status.INCOMPLETE)
    reply = EmailMessage()
    reply["From"] = "Reporter <reporter@example.org>"
    reply["To"] = "hotline@example.org"
    reply["Subject"] = f"Re: {report.reference}"
    reply["Message-ID"] = make_msgid("reporter", domain="example.org")
    reply.set_content("Izvinite što kasnim. Stranica je https://forum.example.com/t/88")
    result = ingest_message(reply.as_bytes(), source="test")
    assert result.outcome == REPLIED
    report.refresh_from_db()
    assert report.status == Status.IN_ASSESSMENT
    assert Report.objects.count() == 1
    assert "Izvinite što kasnim." in reporter_messages(report)[0]


@pytest.mark.parametrize("status", [Status.FORWARDED, Status.DUPLICATE])
def test_an_answer_to_a_forwarded_or_duplicate_report_keeps_its_status_and_is_listed(
    status, filed, signed_in
):
    report = with_status(filed, status)
    answer_on_the_receipt_page(filed.receipt)
    report.refresh_from_db()
    assert report.status == status
    assert reporter_messages(report) == [ANSWER]
    assert not AuditEvent.objects.filter(action="hotline.status_changed").exists()

    supervisor = signed_in("Hotline supervisor")
    queue = supervisor.get("/staff/hotline/").content.decode()
    listed = late_section(queue)
    assert str(report.reference) in listed
    assert f'<span class="status status-{status}">' in listed
    assert '<strong class="answered">answered</strong>' in listed
    detail = supervisor.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "The reporter wrote after the hotline's last message" in detail
    assert ANSWER in detail

    # Writing back answers them: the report leaves the list.
    supervisor.post(
        f"/staff/hotline/{report.reference}/feedback/",
        {"text": "Hvala, dodali smo to prijavi."},
    )
    queue = supervisor.get("/staff/hotline/").content.decode()
    assert str(report.reference) not in late_section(queue)
    detail = supervisor.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "The reporter wrote after the hotline's last message" not in detail


def test_an_answer_to_an_assessed_report_keeps_it_assessed_and_flags_it_in_the_queue(
    filed, signed_in
):
    report = with_status(filed, Status.ASSESSED)
    answer_on_the_receipt_page(filed.receipt)
    report.refresh_from_db()
    assert report.status == Status.ASSESSED
    queue = signed_in("Hotline analyst").get("/staff/hotline/")
    row = next(r for r in queue.context["page"].rows if r.report.pk == report.pk)
    assert row.answered
    assert str(report.reference) not in late_section(queue.content.decode())  # in the queue


def test_an_old_incomplete_report_that_is_answered_is_not_deleted_by_retention(filed, settings):
    long_ago = timezone.now() - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS + 30)
    report = with_status(filed, Status.INCOMPLETE, updated_at=long_ago)
    answer_on_the_receipt_page(filed.receipt)
    assert apply_retention()["reports"] == 0
    assert reporter_messages(Report.objects.get(pk=report.pk)) == [ANSWER]

    # Closed again: retention counts from that change, not from the first closing.
    report.refresh_from_db()
    triage.transition(report, Status.NEEDS_INFO, actor=None)
    triage.transition(report, Status.INCOMPLETE, actor=None)
    assert apply_retention()["reports"] == 0
    assert Report.objects.filter(pk=report.pk).exists()


def test_an_answer_to_an_old_duplicate_counts_as_a_change_for_retention(filed, settings):
    long_ago = timezone.now() - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS + 30)
    report = with_status(filed, Status.DUPLICATE, updated_at=long_ago)
    answer_on_the_receipt_page(filed.receipt)
    assert apply_retention()["reports"] == 0
    assert reporter_messages(Report.objects.get(pk=report.pk)) == [ANSWER]


def test_an_answer_is_kept_when_a_colleague_changed_the_status_meanwhile(filed):
    # The receipt page read the report as incomplete; an analyst reopened it a moment later.
    read_by_the_page = with_status(filed, Status.INCOMPLETE)
    Report.objects.filter(pk=filed.report.pk).update(status=Status.IN_ASSESSMENT)
    services.add_reporter_message(read_by_the_page, text=ANSWER, urls=[])
    report = Report.objects.get(pk=filed.report.pk)
    assert report.status == Status.IN_ASSESSMENT
    assert reporter_messages(report) == [ANSWER]
