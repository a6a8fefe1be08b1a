"""The follow-up page in use: access lasts while the page is used, and a reply is never lost."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from sigurnet.hotline import services
from sigurnet.hotline import views as hotline_views
from sigurnet.hotline.models import Message

pytestmark = pytest.mark.django_db

MINUTE = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * MINUTE


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(hotline_views.time, "time", fake)
    return fake


def _file(description: str) -> services.FiledReport:
    return services.file_report(
        services.ReportSubmission(
            category="grooming",
            language="en",
            urls=["https://chat.example.com/room/7"],
            description=description,
        ),
        channel="web",
    )


@pytest.fixture
def filed() -> services.FiledReport:
    return _file("Someone asks my sister for pictures.")


def open_status(client: Client, receipt: str) -> str:
    response = client.post("/en/report/status/", {"receipt": receipt}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def replies() -> list[str]:
    return list(
        Message.objects.filter(direction=Message.Direction.FROM_REPORTER).values_list(
            "body", flat=True
        )
    )


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found
    return found.group(1).strip()


def test_a_reply_typed_after_40_minutes_reaches_the_hotline(filed, clock):
    client = Client()
    open_status(client, filed.receipt)
    clock.advance(40)  # reading and typing, without a request

    response = client.post("/en/report/status/view/", {"text": "The profile is @example"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your reply is kept. Enter your code again to send it." in page
    assert replies() == []

    page = open_status(client, filed.receipt)
    assert "Thank you. We added this to your report." in page
    assert replies() == ["The profile is @example"]
    # Sent once: the next visit does not send it again.
    open_status(client, filed.receipt)
    assert replies() == ["The profile is @example"]


def test_each_visit_of_the_status_page_renews_access(filed, clock):
    client = Client()
    open_status(client, filed.receipt)
    for _visit in range(3):
        clock.advance(25)
        assert client.get("/en/report/status/view/").status_code == 200
    clock.advance(25)
    response = client.post("/en/report/status/view/", {"text": "Still here after 100 minutes"})
    assert response.status_code == 302
    assert "sent=1" in response["Location"]
    assert replies() == ["Still here after 100 minutes"]


def test_access_ends_two_hours_after_the_code_even_when_in_use(filed, clock):
    client = Client()
    open_status(client, filed.receipt)
    for _visit in range(4):
        clock.advance(25)
        assert client.get("/en/report/status/view/").status_code == 200
    clock.advance(25)  # 125 minutes after the code was typed
    response = client.get("/en/report/status/view/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Enter your code to open it again" in page


def test_a_kept_reply_is_not_sent_to_a_report_opened_with_another_code(filed, clock):
    other = _file("Another report, another code.")
    client = Client()
    open_status(client, filed.receipt)
    clock.advance(40)
    client.post("/en/report/status/view/", {"text": "Meant for the first report"})

    page = open_status(client, other.receipt)
    assert replies() == []
    assert "You typed a reply earlier for another report. It is kept" in page
    assert "Meant for the first report" not in page

    page = open_status(client, filed.receipt)
    assert "Thank you. We added this to your report." in page
    message = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert message.report_id == filed.report.pk
    assert message.body == "Meant for the first report"


def test_a_kept_reply_for_another_report_can_be_deleted(filed, clock):
    other = _file("Another report, another code.")
    client = Client()
    open_status(client, filed.receipt)
    clock.advance(40)
    client.post("/en/report/status/view/", {"text": "Meant for the first report"})
    open_status(client, other.receipt)

    response = client.post("/en/report/status/view/", {"discard_kept": "1"}, follow=True)
    assert "The reply you typed earlier was deleted." in response.content.decode()
    page = open_status(client, filed.receipt)
    assert "Thank you" not in page
    assert replies() == []


def test_the_kept_reply_is_sealed_in_the_session(filed, clock):
    client = Client()
    open_status(client, filed.receipt)
    clock.advance(40)
    client.post("/en/report/status/view/", {"text": "Secret words of the reporter"})
    stored = client.session[hotline_views.STATUS_PENDING_KEY]
    assert "Secret words" not in stored
    assert stored.startswith("enc")


def test_a_reply_kept_after_the_whole_session_was_lost_goes_to_its_own_report(filed, clock):
    client = Client()
    page = open_status(client, filed.receipt)
    reply_for = re.search(r'name="reply_for" value="([^"]+)"', page)
    assert reply_for
    client.cookies.pop("sessionid")  # the session is gone (expired, or cleared)
    clock.advance(600)
    client.post(
        "/en/report/status/view/", {"text": "After a long time", "reply_for": reply_for.group(1)}
    )
    open_status(client, filed.receipt)
    message = Message.objects.get(direction=Message.Direction.FROM_REPORTER)
    assert message.report_id == filed.report.pk


def test_the_status_pages_have_their_own_title_and_heading(filed, settings):
    client = Client()
    page = client.get("/en/report/status/").content.decode()
    assert title(page).startswith("Follow your report")
    assert "<h1>Follow your report</h1>" in page
    page = open_status(client, filed.receipt)
    assert filed.reference in title(page)
    assert "Follow your report" in title(page)


def test_the_throttled_page_has_a_title(filed, settings):
    client = Client(REMOTE_ADDR="10.9.9.9")
    for attempt in range(settings.SIGURNET_RECEIPT_FAILURES_ALLOWED):
        client.post("/en/report/status/", {"receipt": f"{attempt:016d}"})
    response = client.post("/en/report/status/", {"receipt": filed.receipt})
    assert response.status_code == 429
    assert title(response.content.decode()).startswith("Too many wrong codes")


def test_a_kept_reply_too_long_to_send_is_shown_back_whole_with_the_error(filed, clock):
    client = Client()
    open_status(client, filed.receipt)
    clock.advance(40)
    long_reply = "word " * 1200  # 6,000 characters: over the 5,000 the box takes
    client.post("/en/report/status/view/", {"text": long_reply})
    page = open_status(client, filed.receipt)
    assert replies() == []
    assert "This is the reply you typed earlier. Check it and press Send." in page
    assert long_reply.strip() in page


def test_a_reply_over_the_limit_is_kept_and_the_excess_is_told(filed):
    client = Client()
    page = open_status(client, filed.receipt)
    box = re.search(r"<textarea [^>]*name=\"text\"[^>]*>", page)
    assert box and " maxlength=" not in box.group()  # the browser cuts nothing
    assert 'data-maxlength="5000"' in box.group()
    text = "a" * 5000 + "b" * 17
    response = client.post("/en/report/status/view/", {"text": text})
    page = response.content.decode()
    assert "17 characters too long" in page
    assert text in page
    assert replies() == []
