# ruff: noqa: RUF001
"""Questions and feedback reach the reporter: always on the receipt page, and by e-mail (through
the outbox, after the commit) where they gave an address and agreed to be contacted. The e-mail
carries the hotline's text and the reference, never what the reporter sent."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import translation

from sigurnet.core.models import AuditEvent, DeploymentProfile, OutgoingMessage
from sigurnet.core.selectors import audit_action_label
from sigurnet.core.services import save_profile
from sigurnet.hotline import services as hotline_services
from sigurnet.hotline.models import Message, Report, Status
from sigurnet.hotline.triage import services as triage

pytestmark = pytest.mark.django_db

DESCRIPTION = "Lažna prodavnica traži podatke kartice, tajni-opis-42."
URL = "https://shop.example.com/tajna-ponuda"
QUESTION = "Koja je tačna adresa stranice? Počinje sa https://"


def file(language: str = "sr-latn", channel: str = "web", **fields):
    fields.setdefault("category", "phishing_fraud")
    fields.setdefault("urls", [URL])
    fields.setdefault("description", DESCRIPTION)
    return hotline_services.file_report(
        hotline_services.ReportSubmission(language=language, **fields), channel=channel
    )


def consenting(language: str = "sr-latn", channel: str = "web"):
    return file(language, channel, contact_email="dete@example.org", contact_consent=True)


def take(client: Client, report: Report) -> None:
    client.post(f"/staff/hotline/{report.reference}/claim/")


def receipt_page(receipt: str, language: str = "sr-latn") -> str:
    reporter = Client()
    return reporter.post(
        f"/{language}/report/status/", {"receipt": receipt}, follow=True
    ).content.decode()


@pytest.fixture
def analyst(signed_in):
    return signed_in("Hotline analyst")


def test_asking_a_consenting_reporter_sends_one_email_in_their_language_after_the_commit(
    analyst, django_capture_on_commit_callbacks
):
    filed = consenting("sr-latn")
    report = filed.report
    take(analyst, report)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = analyst.post(
            f"/staff/hotline/{report.reference}/ask/", {"text": QUESTION}, follow=True
        )
    assert "goes to them by e-mail" in response.content.decode()
    assert Report.objects.get(pk=report.pk).status == Status.NEEDS_INFO
    waiting = OutgoingMessage.objects.get()
    assert mail.outbox == []  # written with the change, sent only once it is committed
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["dete@example.org"]
    assert sent.subject == f"Pitanje o tvojoj prijavi {report.reference}"
    assert QUESTION in sent.body and report.reference in sent.body
    assert "ostavi " + report.reference + " u naslovu" in sent.body  # how to answer
    assert "/sr-latn/report/status/" in sent.body  # the receipt page, in their language
    assert "tajni-opis-42" not in sent.body and "tajna-ponuda" not in sent.body
    assert "tajni-opis-42" not in sent.subject and "shop.example.com" not in sent.body
    assert filed.receipt.replace(" ", "") not in sent.body.replace(" ", "")
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.extra_headers["Message-ID"] == waiting.message_id
    assert OutgoingMessage.objects.get().sent_at is not None
    # and the reporter reads the same question on the receipt page
    assert "Koja je tačna adresa stranice?" in receipt_page(filed.receipt)


def test_an_emailed_report_gets_the_question_at_the_senders_address(
    analyst, django_capture_on_commit_callbacks
):
    filed = file("bs", "email", contact_email="posiljalac@example.org", contact_consent=True)
    take(analyst, filed.report)
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(f"/staff/hotline/{filed.report.reference}/ask/", {"text": "Koji račun?"})
    (sent,) = mail.outbox
    assert sent.to == ["posiljalac@example.org"]
    assert sent.subject == f"Pitanje o tvojoj prijavi {filed.report.reference}"
    assert "Koji račun?" in sent.body and "tajni-opis-42" not in sent.body


@pytest.mark.parametrize(
    "contact",
    [
        {},  # anonymous
        {"contact_email": "dete@example.org", "contact_consent": False},  # did not agree
        {"contact_phone": "+381 60 000 000", "contact_consent": True},  # a phone, no e-mail
    ],
    ids=["anonymous", "no-consent", "phone-only"],
)
def test_a_reporter_who_cannot_be_written_to_gets_no_email_but_reads_the_question(
    contact, analyst, django_capture_on_commit_callbacks
):
    filed = file("sr-latn", **contact)
    take(analyst, filed.report)
    page = analyst.get(f"/staff/hotline/{filed.report.reference}/ask/").content.decode()
    assert "read this message only on their receipt page" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(
            f"/staff/hotline/{filed.report.reference}/ask/", {"text": QUESTION}, follow=True
        )
    assert "goes to them by e-mail" not in response.content.decode()
    assert mail.outbox == [] and not OutgoingMessage.objects.exists()
    assert Report.objects.get(pk=filed.report.pk).status == Status.NEEDS_INFO
    assert "Koja je tačna adresa stranice?" in receipt_page(filed.receipt)


def test_a_rolled_back_question_sends_nothing(make_staff, django_capture_on_commit_callbacks):
    analyst = make_staff("Hotline analyst")
    report = consenting().report
    triage.claim(report, actor=analyst)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        triage.ask_reporter(report, text=QUESTION, actor=analyst)
        assert OutgoingMessage.objects.count() == 1
        raise RuntimeError("the change fails after the question was written")
    assert mail.outbox == []
    assert not OutgoingMessage.objects.exists() and not Message.objects.exists()
    assert Report.objects.get(pk=report.pk).status == Status.IN_ASSESSMENT


@pytest.fixture
def helpline_profile():
    from sigurnet.core.selectors import get_profile

    current = get_profile()
    profile = DeploymentProfile.objects.filter(pk=current.pk).first() or current
    profile.helpline_phone = "0800 100 200"
    profile.helpline_days = [0, 1, 2, 3, 4]
    profile.helpline_opens = datetime.time(8, 0)
    profile.helpline_closes = datetime.time(20, 0)
    return save_profile(profile)


def test_feedback_templates_are_prefilled_in_the_reports_language(analyst, helpline_profile):
    latin = consenting("sr-latn").report
    cyrillic = consenting("sr").report
    take(analyst, latin)
    take(analyst, cyrillic)
    page = analyst.get(f"/staff/hotline/{latin.reference}/feedback/", {"template": "not_illegal"})
    text = page.context["form"].initial["text"]
    assert text.startswith("Hvala ti na prijavi. Pažljivo smo je proverili.")
    assert "pozovi našu liniju za pomoć: 0800 100 200" in text  # the helpline's offer
    assert "8:00" in text and "20:00" in text  # and its hours
    assert text in page.content.decode()
    page = analyst.get(f"/staff/hotline/{cyrillic.reference}/feedback/", {"template": "removed"})
    text = page.context["form"].initial["text"]
    assert text.startswith("Хвала ти на пријави.") and "уклоњено" in text
    page = analyst.get(f"/staff/hotline/{cyrillic.reference}/feedback/", {"template": "forwarded"})
    assert "полицији" in page.context["form"].initial["text"]


def test_sending_feedback_puts_it_on_the_receipt_page_emails_it_and_audits_it(
    analyst, django_capture_on_commit_callbacks
):
    filed = consenting("sr")
    report = filed.report
    take(analyst, report)
    detail = analyst.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert f'href="/staff/hotline/{report.reference}/feedback/"' in detail
    text = (
        analyst.get(f"/staff/hotline/{report.reference}/feedback/", {"template": "received"})
        .context["form"]
        .initial["text"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(
            f"/staff/hotline/{report.reference}/feedback/", {"text": text}, follow=True
        )
    assert "goes to them by e-mail" in response.content.decode()
    message = Message.objects.get(report=report)
    assert message.direction == Message.Direction.FROM_HOTLINE and message.body == text
    (sent,) = mail.outbox
    assert sent.subject == f"Новости о твојој пријави {report.reference}"
    assert text in sent.body and "tajni-opis-42" not in sent.body and "tajna" not in sent.body
    event = AuditEvent.objects.get(action="hotline.feedback_sent")
    assert event.object_id == str(report.pk)
    assert event.detail["message"] == message.pk and event.detail["emailed"] is True
    assert Report.objects.get(pk=report.pk).status == Status.IN_ASSESSMENT  # unchanged
    assert "Примили смо је" in receipt_page(filed.receipt, "sr")
    with translation.override("en"):
        assert audit_action_label("hotline.feedback_sent") == "Feedback sent to the reporter"


def test_feedback_to_an_anonymous_reporter_is_only_on_the_receipt_page(
    analyst, django_capture_on_commit_callbacks
):
    filed = file("sr-latn")
    take(analyst, filed.report)
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(
            f"/staff/hotline/{filed.report.reference}/feedback/",
            {"text": "Hvala ti, uklonjeno je."},
        )
    assert mail.outbox == [] and not OutgoingMessage.objects.exists()
    assert AuditEvent.objects.get(action="hotline.feedback_sent").detail["emailed"] is False
    assert "Hvala ti, uklonjeno je." in receipt_page(filed.receipt)


def test_only_the_holder_or_a_supervisor_sends_feedback(signed_in, make_report):
    report = make_report(contact_email="dete@example.org", contact_consent=True)
    holder = signed_in("Hotline analyst", username="ana")
    take(holder, report)
    other = signed_in("Hotline analyst", username="boris")
    response = other.post(
        f"/staff/hotline/{report.reference}/feedback/", {"text": "?"}, follow=True
    )
    assert "Take the report before you work on it." in response.content.decode()
    assert not Message.objects.exists()
    supervisor = signed_in("Hotline supervisor", username="vesna")
    supervisor.post(f"/staff/hotline/{report.reference}/feedback/", {"text": "Primljena je."})
    assert Message.objects.get().body == "Primljena je."


def test_a_helpline_counsellor_cannot_send_feedback(signed_in, make_report):
    report = make_report(contact_email="dete@example.org", contact_consent=True)
    counsellor = signed_in("Helpline counsellor")
    response = counsellor.post(f"/staff/hotline/{report.reference}/feedback/", {"text": "Zdravo"})
    assert response.status_code == 403
    assert counsellor.get(f"/staff/hotline/{report.reference}/feedback/").status_code == 403
    assert not Message.objects.exists() and not OutgoingMessage.objects.exists()


def test_untrusted_text_is_escaped_on_the_feedback_page(signed_in):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    filed = file("sr-latn", account=hostile, description=hostile)
    holder = signed_in("Hotline analyst", username="ana")
    take(holder, filed.report)
    path = f"/staff/hotline/{filed.report.reference}/feedback/"
    # refused (not the holder): the page comes back with the text typed
    page = signed_in("Hotline analyst", username="boris").post(path, {"text": hostile})
    body = page.content.decode()
    assert "Take the report before you work on it." in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
    holder.post(path, {"text": hostile})
    detail = holder.get(f"/staff/hotline/{filed.report.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in detail and "<img src=x" not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail  # the message, shown as text


def report_through_the_form(client: Client, language: str, you: dict[str, str]) -> str:
    """Walk the public report form; the receipt code shown at the end."""
    steps = [
        ("", {"category": "cyberbullying"}),
        ("where/", {"urls": URL, "platform": "", "account": ""}),
        ("details/", {"description": DESCRIPTION}),
        ("you/", you),
    ]
    for path, data in steps:
        if path == "you/":
            form = client.get(f"/{language}/report/you/").content.decode()
            assert 'name="news_notice"' in form
        response = client.post(f"/{language}/report/{path}", data)
        assert response.status_code == 302, (path, response.content.decode()[:2000])
    check = client.get(f"/{language}/report/check/").content.decode()
    if you.get("news_notice"):
        assert "Imejlom ti javljamo samo da je stigla nova poruka." in check
    response = client.post(f"/{language}/report/check/")
    page = client.get(response["Location"]).content.decode()
    match = re.search(r'<p class="receipt" id="receipt">([\d ]+)</p>', page)
    assert match, page
    return match.group(1)


def test_a_reporter_who_asked_only_for_a_notice_gets_one_with_nothing_of_the_report(
    settings, tmp_path, analyst, django_capture_on_commit_callbacks
):
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    reporter = Client()
    receipt = report_through_the_form(
        reporter,
        "sr-latn",
        {"contact_email": "dete@example.org", "contact_consent": "on", "news_notice": "on"},
    )
    report = Report.objects.get()
    assert report.news_notice and report.contact_email == "dete@example.org"
    take(analyst, report)
    ask_page = analyst.get(f"/staff/hotline/{report.reference}/ask/").content.decode()
    assert "only that there is a new message" in ask_page
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(f"/staff/hotline/{report.reference}/ask/", {"text": QUESTION})
        analyst.post(f"/staff/hotline/{report.reference}/feedback/", {"text": "Uklonjeno je."})
    assert len(mail.outbox) == 2
    for sent in mail.outbox:
        assert sent.to == ["dete@example.org"]
        assert sent.subject == "Imaš novu poruku"
        assert "/sr-latn/report/status/" in sent.body and "kod potvrde" in sent.body
        for secret in (report.reference, "tačna adresa", "Uklonjeno", "tajni-opis", "tajna"):
            assert secret not in sent.body and secret not in sent.subject, secret
    page = receipt_page(receipt)
    assert "Koja je tačna adresa stranice?" in page and "Uklonjeno je." in page


def test_a_notice_needs_an_email_and_consent(make_report):
    assert not make_report(news_notice=True).news_notice  # anonymous
    assert not make_report(
        news_notice=True, contact_phone="+381 60 000 000", contact_consent=True
    ).news_notice
    assert not make_report(
        news_notice=True, contact_email="dete@example.org", contact_consent=False
    ).news_notice


def test_the_api_takes_the_news_notice_with_an_email_and_consent(client):
    contact = {"email": "dete@example.org", "consent": True, "news_notice": True}
    response = client.post(
        "/api/v1/reports",
        {"category": "phishing_fraud", "urls": [URL], "description": "x", "contact": contact},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Report.objects.get().news_notice is True
