"""Asking the reporter for what is missing: in their language, on their receipt page."""

from __future__ import annotations

import pytest
from django.test import Client

from sigurnet.core.models import AuditEvent
from sigurnet.hotline import services as hotline_services
from sigurnet.hotline.models import Message, Report, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed_in_bosnian():
    return hotline_services.file_report(
        hotline_services.ReportSubmission(
            category="cyberbullying", language="bs", description="Vrijeđaju me u grupi."
        ),
        channel="web",
    )


def test_analyst_asks_for_the_exact_address_and_the_reporter_reads_it_and_answers(
    signed_in, filed_in_bosnian
):
    report = filed_in_bosnian.report
    client = signed_in("Hotline analyst")
    client.post(f"/staff/hotline/{report.reference}/claim/")
    page = client.get(f"/staff/hotline/{report.reference}/ask/", {"question": "address"})
    text = page.context["form"].initial["text"]
    assert "tačnu web-adresu" in text  # the question in the report's language, Bosnian
    assert text in page.content.decode()
    response = client.post(f"/staff/hotline/{report.reference}/ask/", {"text": text}, follow=True)
    assert "Your question is on the reporter" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO
    message = Message.objects.get(report=report)
    assert message.direction == Message.Direction.FROM_HOTLINE and message.body == text
    event = AuditEvent.objects.get(action="hotline.reporter_asked")
    assert event.object_id == str(report.pk) and event.detail["message"] == message.pk

    reporter = Client()
    status = reporter.post("/bs/report/status/", {"receipt": filed_in_bosnian.receipt}, follow=True)
    assert "tačnu web-adresu" in status.content.decode()
    reporter.post(
        "/bs/report/status/view/",
        {"text": "Evo adrese", "urls": "https://forum.example.com/t/5"},
    )
    assert Report.objects.get(pk=report.pk).status == Status.IN_ASSESSMENT


def test_only_the_holder_asks_and_only_while_assessing(signed_in, make_report):
    report = make_report()
    other = signed_in("Hotline analyst", username="boris")
    response = other.post(f"/staff/hotline/{report.reference}/ask/", {"text": "?"}, follow=True)
    assert "The report cannot move to that status now." in response.content.decode()
    holder = signed_in("Hotline analyst", username="ana")
    holder.post(f"/staff/hotline/{report.reference}/claim/")
    response = other.post(f"/staff/hotline/{report.reference}/ask/", {"text": "?"}, follow=True)
    assert "Take the report before you work on it." in response.content.decode()
    assert not Message.objects.exists()
    assert Report.objects.get(pk=report.pk).status == Status.IN_ASSESSMENT


def test_a_report_the_reporter_answered_is_flagged_in_the_queue(signed_in, filed_in_bosnian):
    report = filed_in_bosnian.report
    client = signed_in("Hotline analyst")
    client.post(f"/staff/hotline/{report.reference}/claim/")
    client.post(f"/staff/hotline/{report.reference}/ask/", {"text": "Koja je adresa?"})
    assert '<strong class="answered">' not in client.get("/staff/hotline/").content.decode()
    reporter = Client()
    reporter.post("/bs/report/status/", {"receipt": filed_in_bosnian.receipt})
    reporter.post("/bs/report/status/view/", {"text": "https://forum.example.com/t/5"})
    queue = client.get("/staff/hotline/").content.decode()
    assert '<strong class="answered">answered</strong>' in queue
