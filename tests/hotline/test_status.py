"""Anonymous follow-up with the receipt code."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from sigurnet.core import ratelimit
from sigurnet.hotline import services
from sigurnet.hotline.models import Message, Report, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed() -> services.FiledReport:
    return services.file_report(
        services.ReportSubmission(
            category="grooming",
            language="sr-latn",
            urls=["https://chat.example.com/room/7"],
            description="Neko traži slike od moje sestre.",
        ),
        channel="web",
    )


def open_status(client: Client, receipt: str, language: str = "en"):
    return client.post(f"/{language}/report/status/", {"receipt": receipt}, follow=True)


def test_reporter_reads_a_hotline_message_and_replies(filed):
    services.add_hotline_message(
        filed.report, text="Možeš li nam reći ime profila?", author_id=None
    )
    Report.objects.filter(pk=filed.report.pk).update(status=Status.NEEDS_INFO)
    client = Client()
    page = open_status(client, services.format_receipt(filed.receipt), "sr-latn").content.decode()
    assert filed.reference in page
    assert "Možeš li nam reći ime profila?" in page

    response = client.post(
        "/sr-latn/report/status/view/",
        {"text": "Profil se zove @primer", "urls": "https://chat.example.com/u/primer"},
    )
    assert response.status_code == 302
    reply = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert "@primer" in reply.body
    report = Report.objects.get(pk=filed.report.pk)
    assert report.status == Status.IN_ASSESSMENT
    assert report.reported_urls.count() == 2


def test_hotline_message_is_shown_escaped(filed):
    services.add_hotline_message(filed.report, text="<script>alert(1)</script>", author_id=None)
    page = open_status(Client(), filed.receipt).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_wrong_receipt_reveals_nothing(filed):
    wrong = "1" * 16 if filed.receipt != "1" * 16 else "2" * 16
    response = open_status(Client(), wrong)
    page = response.content.decode()
    assert response.status_code == 400
    assert "We could not find a report with this code" in page
    assert filed.reference not in page


def test_twenty_wrong_receipts_in_a_row_are_throttled(filed, settings):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for attempt in range(settings.SIGURNET_RECEIPT_FAILURES_ALLOWED):
        response = client.post("/en/report/status/", {"receipt": f"{attempt:016d}"})
        assert response.status_code == 400
    response = client.post("/en/report/status/", {"receipt": filed.receipt})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    # Another client is not affected.
    assert open_status(Client(REMOTE_ADDR="10.1.1.2"), filed.receipt).status_code == 200


def test_a_right_receipt_between_wrong_ones_does_not_lift_the_throttle(
    filed, settings, monkeypatch
):
    # The 15-minute window must not roll over during the test: freeze the limits' clock.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_005))
    assert settings.SIGURNET_RECEIPT_FAILURES_ALLOWED == 20
    client = Client(REMOTE_ADDR="10.1.1.3")
    codes = []
    for _round in range(3):
        for attempt in range(18):
            codes.append(client.post("/en/report/status/", {"receipt": f"{attempt:016d}"}))
        codes.append(client.post("/en/report/status/", {"receipt": filed.receipt}))
    statuses = [response.status_code for response in codes]
    assert statuses[:18] == [400] * 18
    assert statuses[18] == 302  # the right code opens the report
    assert statuses[19:21] == [400, 400]
    assert set(statuses[21:]) == {429}
    assert "Too many wrong codes" in codes[-1].content.decode()


def test_receipt_is_stored_only_as_a_keyed_hash(filed):
    report = Report.objects.get(pk=filed.report.pk)
    assert filed.receipt not in report.receipt_index
    assert len(report.receipt_index) == 64


def test_status_page_is_not_reachable_without_the_receipt(filed):
    response = Client().get("/en/report/status/view/")
    assert response.status_code == 302
    assert response["Location"] == "/en/report/status/"
