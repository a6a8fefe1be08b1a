"""A reporter's e-mail reply to the hotline's question or acknowledgement joins their report.

Through the ``ingest_email`` command over a real Maildir: the report was e-mailed, the analyst
asked through the staff pages, the question went out through the outbox, and the reporter's
reply comes back into the mailbox. A reference alone never joins a report: the sender must be
the report's contact address.
"""

from __future__ import annotations

import io
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from PIL import Image

from sigurnet.core.models import OutgoingMessage
from sigurnet.hotline.email_intake import create_maildir
from sigurnet.hotline.models import HeldEmail, Message, Report, Status

pytestmark = pytest.mark.django_db

REPORTER = "reporter@example.org"
QUESTION = "Koja je tačna adresa stranice?"
ANSWER = "Adresa je https://forum.example.com/t/77 i tamo je i dalje."
ORIGINAL_URL = "https://shop.example.com/lazna-ponuda"


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def maildir(tmp_path) -> Path:
    return create_maildir(tmp_path / "Maildir")


def email(
    subject: str,
    body: str,
    *,
    sender: str = REPORTER,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Reporter <{sender}>"
    message["To"] = "hotline@example.org"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid("reporter", domain="example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    if body:
        message.set_content(body)
    if html:
        if body:
            message.add_alternative(html, subtype="html")
        else:
            message.set_content(html, subtype="html")
    return message.as_bytes()


def deliver(maildir: Path, raw: bytes, callbacks) -> str:
    """Put one message in the Maildir and run the command (commit callbacks run: mail goes)."""
    name = make_msgid("m").strip("<>").replace("@", "_")
    (maildir / "new" / name).write_bytes(raw)
    out = io.StringIO()
    with callbacks(execute=True):
        call_command("ingest_email", "--maildir", str(maildir), stdout=out)
    return out.getvalue()


@pytest.fixture
def asked(maildir, signed_in, django_capture_on_commit_callbacks):
    """An e-mailed report, acknowledged, then asked a question by an analyst by e-mail."""
    deliver(
        maildir,
        email("Lažna prodavnica", f"Ova stranica krade kartice: {ORIGINAL_URL}"),
        django_capture_on_commit_callbacks,
    )
    report = Report.objects.get()
    analyst = signed_in("Hotline analyst")
    analyst.post(f"/staff/hotline/{report.reference}/claim/")
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(f"/staff/hotline/{report.reference}/ask/", {"text": QUESTION})
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO
    acknowledgement, question = mail.outbox
    assert question.subject.endswith(str(report.reference))
    return report, analyst, acknowledgement, question


def quoted(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())


def reporter_messages(report: Report) -> list[str]:
    return [m.body for m in report.messages.filter(direction=Message.Direction.FROM_REPORTER)]


def test_a_reply_from_the_reporter_joins_the_report_and_returns_it_to_the_queue_answered(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, analyst, _acknowledgement, question = asked
    body = f"{ANSWER}\n\nOn Tue, 1 Dec 2026 at 10:00, Sigurnet wrote:\n{quoted(question.body)}\n"
    output = deliver(
        maildir, email("Re: " + question.subject, body), django_capture_on_commit_callbacks
    )
    assert "Replies added to reports: 1." in output
    assert "Reports filed: 0." in output
    assert Report.objects.count() == 1  # no new report
    report.refresh_from_db()
    assert report.status == Status.IN_ASSESSMENT
    assert reporter_messages(report) == [ANSWER]
    assert len(mail.outbox) == 2 and OutgoingMessage.objects.count() == 2  # no new ack
    assert not list((maildir / "new").iterdir())  # removed like any handled message
    queue = analyst.get("/staff/hotline/").content.decode()
    assert '<strong class="answered">answered</strong>' in queue
    detail = analyst.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Adresa je https://forum.example.com/t/77" in detail


@pytest.mark.parametrize(
    "layout",
    ["gmail", "wrapped-attribution", "outlook", "serbian-attribution", "html-only"],
)
def test_quoted_text_is_not_repeated_in_the_reporters_message(
    layout, asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    html = ""
    if layout == "gmail":
        body = f"{ANSWER}\n\nOn Tue, 1 Dec 2026 at 10:00 Sigurnet <h@example.org> wrote:\n\n"
        body += quoted(question.body)
    elif layout == "wrapped-attribution":
        body = f"{ANSWER}\n\nOn Tue, 1 Dec 2026 at 10:00, Sigurnet Hotline <h@example.org>\n"
        body += "wrote:\n" + quoted(question.body)
    elif layout == "outlook":
        body = f"{ANSWER}\n\n-----Original Message-----\nFrom: Sigurnet\nSent: Tuesday\n\n"
        body += question.body
    elif layout == "serbian-attribution":
        body = f"{ANSWER}\n\nU uto, 1. dec 2026. u 10:00 Sigurnet je napisao/la:\n"
        body += quoted(question.body)
    else:
        body = ""
        html = (
            f"<div>{ANSWER}</div><div class='gmail_quote'>On Tue, 1 Dec 2026 Sigurnet wrote:"
            f"<blockquote>{question.body}</blockquote></div>"
        )
    deliver(
        maildir,
        email("Re: " + question.subject, body, html=html),
        django_capture_on_commit_callbacks,
    )
    (text,) = reporter_messages(report)
    assert text == ANSWER
    assert QUESTION not in text


def test_an_answer_written_between_quoted_lines_is_kept(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    body = f"> {QUESTION}\n{ANSWER}\n> Hvala\nNema na čemu.\n"
    deliver(maildir, email("Re: " + question.subject, body), django_capture_on_commit_callbacks)
    assert reporter_messages(report) == [f"{ANSWER}\n\nNema na čemu."]


def test_a_reply_from_another_sender_with_the_reference_does_not_join_the_report(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    raw = email(
        "Re: " + question.subject,
        "Dodajte ovo: https://junk.example.com/spam",
        sender="someone.else@example.org",
        headers={"In-Reply-To": question.extra_headers["Message-ID"]},
    )
    output = deliver(maildir, raw, django_capture_on_commit_callbacks)
    assert "Reports filed: 1." in output and "Replies added" not in output
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO
    assert reporter_messages(report) == []
    assert "junk.example.com" not in [
        link.content_item.registrable_domain for link in report.reported_urls.all()
    ]
    # Filed as a report of its own, as any e-mail is; its description names the report.
    new = Report.objects.exclude(pk=report.pk).get()
    assert new.contact_email == "someone.else@example.org"
    assert str(report.reference) in new.description
    assert mail.outbox[-1].to == ["someone.else@example.org"]  # today's acknowledgement


def test_a_reply_by_in_reply_to_from_another_sender_is_a_new_report_naming_the_report(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    raw = email(
        "Re: hm",
        ANSWER,
        sender="forwarded.to@example.org",
        headers={"In-Reply-To": question.extra_headers["Message-ID"]},
    )
    deliver(maildir, raw, django_capture_on_commit_callbacks)
    assert reporter_messages(report) == []
    new = Report.objects.exclude(pk=report.pk).get()
    assert f"names the existing report(s) {report.reference}" in new.description


@pytest.mark.parametrize("answered", ["question", "acknowledgement"])
def test_a_reply_by_in_reply_to_without_a_reference_in_the_subject_joins_too(
    answered, asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, acknowledgement, question = asked
    sent = question if answered == "question" else acknowledgement
    message_id = sent.extra_headers["Message-ID"]
    raw = email(
        "Re: hm",
        ANSWER,
        sender=REPORTER.upper(),  # addresses are compared without regard to case
        headers={"In-Reply-To": message_id, "References": f"<old@example.org> {message_id}"},
    )
    output = deliver(maildir, raw, django_capture_on_commit_callbacks)
    assert "Replies added to reports: 1." in output
    assert Report.objects.count() == 1
    assert reporter_messages(report) == [ANSWER]
    report.refresh_from_db()
    assert report.status == Status.IN_ASSESSMENT


def test_urls_in_the_reply_join_the_reports_content_items(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    body = (
        f"{ANSWER}\nI ovde: www.mirror.example.net/kopija i opet {ORIGINAL_URL}\n\n"
        f"On Tue, 1 Dec 2026 Sigurnet wrote:\n> https://quoted-only.example.com/x\n"
        + quoted(question.body)
    )
    deliver(maildir, email("Re: " + question.subject, body), django_capture_on_commit_callbacks)
    assert [link.content_item.canonical for link in report.reported_urls.all()] == [
        "https://shop.example.com/lazna-ponuda",
        "https://forum.example.com/t/77",
        "http://www.mirror.example.net/kopija",
    ]


def test_an_auto_reply_naming_the_reference_is_held_not_joined(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    raw = email(
        "Out of office: " + question.subject,
        "I am away until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    output = deliver(maildir, raw, django_capture_on_commit_callbacks)
    assert "Held for a person: 1." in output
    assert HeldEmail.objects.count() == 1
    assert reporter_messages(report) == []
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO


def test_a_picture_attached_to_the_reply_joins_the_reports_evidence(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    message = message_from_bytes(email("Re: " + question.subject, ANSWER), policy=policy.default)
    message.add_attachment(picture.getvalue(), maintype="image", subtype="png", filename="s.png")
    deliver(maildir, message.as_bytes(), django_capture_on_commit_callbacks)
    assert [e.original_name for e in report.evidence.all()] == ["s.png"]
    (text,) = reporter_messages(report)
    assert text.startswith(ANSWER) and "1 attachment(s) added to the evidence" in text


def test_a_reply_with_nothing_new_is_held_for_a_person(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    body = "On Tue, 1 Dec 2026 Sigurnet wrote:\n" + quoted(question.body)
    output = deliver(
        maildir, email("Re: " + question.subject, body), django_capture_on_commit_callbacks
    )
    assert "Held for a person: 1." in output and Report.objects.count() == 1
    assert HeldEmail.objects.get().reason == "a reply to a report without new text: for a person"
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO and reporter_messages(report) == []


def test_the_reporters_own_lines_that_end_in_wrote_are_kept(
    asked, maildir, django_capture_on_commit_callbacks
):
    report, _analyst, _acknowledgement, question = asked
    body = "U grupi je napisao:\nDaj sliku ili ćeš videti.\n\nHe wrote:\n> pošalji\n"
    deliver(maildir, email("Re: " + question.subject, body), django_capture_on_commit_callbacks)
    assert reporter_messages(report) == [
        "U grupi je napisao:\nDaj sliku ili ćeš videti.\n\nHe wrote:"
    ]
