"""Replies to dispatches: when the police, a host or a partner answers a dispatch by e-mail, the
reply is kept with that dispatch and shown on its page; it is never filed as a report, never
answered, and changes nothing of the dispatch.

Through the ``ingest_email`` command over a real Maildir, with the samples in
``mail/dispatch-replies/`` (hand-written messages; the dispatch's Message-ID, subject and
address are filled in when the test has made the dispatch)."""

from __future__ import annotations

import base64
import io
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from sigurnet.core.models import OutgoingMessage
from sigurnet.hotline.email_intake import create_maildir
from sigurnet.hotline.forwarding import services as forwarding
from sigurnet.hotline.models import (
    ContentItem,
    Dispatch,
    DispatchReply,
    Evidence,
    HeldEmail,
    IngestedEmail,
    Report,
)
from tests.dispatch_factories import link_in

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "mail" / "dispatch-replies"
URLS = ["https://shop.example.com/offer", "https://cdn.example.net/p/1"]


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def maildir(tmp_path) -> Path:
    return create_maildir(tmp_path / "Maildir")


@pytest.fixture
def dispatch(make_dispatch) -> Dispatch:
    """A report forwarded to the police; its e-mail went out (to the test outbox)."""
    made = make_dispatch(urls=URLS)
    forwarding.record_sent_dispatches()
    made.refresh_from_db()
    assert made.status == Dispatch.Status.SENT and made.message_id
    return made


@pytest.fixture
def reader(signed_in):
    return signed_in("Hotline analyst", username="reader")


def sample(name: str, dispatch: Dispatch, message_id: str = "") -> bytes:
    text = (SAMPLES / f"{name}.eml").read_text(encoding="utf-8")
    text = text.replace("@@MESSAGE_ID@@", message_id or dispatch.message_id)
    text = text.replace("@@SUBJECT@@", dispatch.subject)
    text = text.replace("@@RECIPIENT@@", dispatch.recipient)
    return text.encode("utf-8")


def email(subject: str, body: str, *, sender: str, headers: dict[str, str]) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "prijava@sigurnet.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid("partner", domain="example.org")
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def deliver(maildir: Path, raw: bytes, callbacks) -> str:
    """Put one message in the Maildir and run the command (commit callbacks run: mail goes)."""
    name = make_msgid("m").strip("<>").replace("@", "_")
    (maildir / "new" / name).write_bytes(raw)
    out = io.StringIO()
    with callbacks(execute=True):
        call_command("ingest_email", "--maildir", str(maildir), stdout=out)
    return out.getvalue()


def dispatch_page(client, dispatch: Dispatch) -> str:
    response = client.get(f"/staff/hotline/dispatches/{dispatch.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_police_reply_is_kept_with_its_dispatch_and_never_filed_or_answered(
    dispatch, maildir, reader, django_capture_on_commit_callbacks
):
    reports, items = Report.objects.count(), ContentItem.objects.count()
    outgoing, sent = OutgoingMessage.objects.count(), len(mail.outbox)
    assert dispatch.subject.count("SIG-")  # its subject names the report's reference

    output = deliver(maildir, sample("police-reply", dispatch), django_capture_on_commit_callbacks)

    assert "Replies to dispatches kept: 1." in output
    assert "Reports filed: 0." in output
    assert Report.objects.count() == reports  # no report "from" the police
    assert ContentItem.objects.count() == items  # the quoted addresses are no new items
    assert OutgoingMessage.objects.count() == outgoing and len(mail.outbox) == sent
    assert not HeldEmail.objects.exists()
    assert list(maildir.glob("*/*")) == []  # handled: it left the mailbox
    reply = DispatchReply.objects.get()
    assert reply.dispatch == dispatch
    assert reply.from_recipient
    assert reply.sender == dispatch.recipient
    assert reply.text.startswith("Poštovani,\n\nprimili smo vašu prijavu i otvorili predmet")
    assert "Vera Primerović" in reply.text
    assert "wrote:" not in reply.text and "shop.example.com" not in reply.text  # the quote
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.SENT  # nothing acknowledged by the platform
    assert dispatch.acknowledged_at is None

    page = dispatch_page(reader, dispatch)
    replies = page[page.index('id="replies-title"') :]
    assert "otvorili predmet VTK-118/26" in replies
    assert f"Re: {dispatch.subject}" in replies
    assert "the address the dispatch went to" in replies


def test_an_abuse_desks_automatic_answer_is_kept_with_the_dispatch_marked_automatic(
    dispatch, maildir, reader, django_capture_on_commit_callbacks
):
    output = deliver(
        maildir, sample("abuse-desk-auto-reply", dispatch), django_capture_on_commit_callbacks
    )

    assert "Replies to dispatches kept: 1." in output and "Held for a person: 0." in output
    reply = DispatchReply.objects.get(dispatch=dispatch)
    assert reply.automatic == "automatic message (Auto-Submitted: auto-replied)"
    assert not reply.from_recipient
    assert "ticket number 2026120200042" in reply.text
    page = dispatch_page(reader, dispatch)
    assert "Automatic message" in page and "not the address the dispatch went to" in page


def test_a_reply_with_an_attachment_keeps_the_original_and_makes_no_evidence(
    dispatch, maildir, reader, django_capture_on_commit_callbacks
):
    raw = sample("outlook-reply-with-attachment", dispatch)

    deliver(maildir, raw, django_capture_on_commit_callbacks)

    reply = DispatchReply.objects.get(dispatch=dispatch)
    assert reply.text == (
        "U prilogu je dopis o formiranju predmeta. Molimo da nam dostavite i izveštaj o proveri."
    )
    assert reply.attachment_names == "dopis-KT-77-26.pdf"
    assert base64.b64decode(reply.raw) == raw  # kept as it came, attachment and all
    assert not Evidence.objects.exists()
    assert reply.sender == "pisarnica@prosecutor.example.org"
    assert "dopis-KT-77-26.pdf" in dispatch_page(reader, dispatch)


def test_a_reply_to_the_new_link_mail_joins_the_same_dispatch(
    dispatch, maildir, analyst, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link_mail = forwarding.send_new_link(dispatch, actor=analyst)
    link_in(link_mail.body)
    raw = email(
        "Re: " + link_mail.subject,
        "Hvala, link radi.",
        sender=dispatch.recipient,
        headers={"In-Reply-To": link_mail.message_id},
    )

    output = deliver(maildir, raw, django_capture_on_commit_callbacks)

    assert "Replies to dispatches kept: 1." in output
    assert DispatchReply.objects.get().dispatch == dispatch


def test_a_late_reply_finds_its_dispatch_after_the_outbox_forgot_the_mail(
    dispatch, maildir, django_capture_on_commit_callbacks
):
    OutgoingMessage.objects.all().delete()  # the outbox keeps sent mail for 30 days only

    deliver(maildir, sample("police-reply", dispatch), django_capture_on_commit_callbacks)

    assert DispatchReply.objects.get().dispatch == dispatch
    assert Report.objects.count() == 1


def test_the_same_reply_delivered_twice_is_kept_once(
    dispatch, maildir, django_capture_on_commit_callbacks
):
    raw = sample("police-reply", dispatch)
    deliver(maildir, raw, django_capture_on_commit_callbacks)

    output = deliver(maildir, raw, django_capture_on_commit_callbacks)

    assert "Skipped (already ingested): 1." in output
    assert DispatchReply.objects.count() == 1
    assert IngestedEmail.objects.count() == 1


def test_mail_that_names_no_dispatch_is_filed_as_before(
    dispatch, maildir, django_capture_on_commit_callbacks
):
    raw = email(
        "Re: something else",
        "Još jedna lažna prodavnica: https://shop2.example.com/",
        sender="someone@example.org",
        headers={"In-Reply-To": "<not-ours.1@example.org>"},
    )

    output = deliver(maildir, raw, django_capture_on_commit_callbacks)

    assert "Reports filed: 1." in output
    assert not DispatchReply.objects.exists()


HOSTILE = '<script>alert("x")</script>'


def test_what_a_reply_says_is_shown_as_text_on_the_dispatch_page(
    dispatch, maildir, reader, django_capture_on_commit_callbacks
):
    raw = email(
        f"Re: {HOSTILE}",
        f"Odgovor {HOSTILE}\n<img src=x onerror=alert(1)>",
        sender="abuse@example.net",
        headers={"In-Reply-To": dispatch.message_id},
    )
    deliver(maildir, raw, django_capture_on_commit_callbacks)

    page = dispatch_page(reader, dispatch)

    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 2


def test_the_signed_link_shows_only_what_was_sent_not_the_replies(
    dispatch, maildir, client, django_capture_on_commit_callbacks
):
    deliver(maildir, sample("police-reply", dispatch), django_capture_on_commit_callbacks)
    (sent,) = [m for m in mail.outbox if m.extra_headers.get("Message-ID") == dispatch.message_id]

    page = client.get(link_in(sent.body)).content.decode()

    assert dispatch.subject in page
    assert "VTK-118/26" not in page and "Replies by e-mail" not in page


def test_the_dispatch_page_says_when_there_is_no_reply(dispatch, reader):
    page = dispatch_page(reader, dispatch)
    replies = page[page.index('id="replies-title"') :]
    assert "None." in replies[: replies.index("</section>")]


def test_the_report_page_points_to_a_dispatch_with_a_reply(
    dispatch, maildir, reader, django_capture_on_commit_callbacks
):
    (report,) = dispatch.reports.all()
    path = f"/staff/hotline/{report.reference}/"
    before = reader.get(path).content.decode()
    listed = before[before.index('id="dispatches-title"') :]
    assert f'href="/staff/hotline/dispatches/{dispatch.pk}/"' in listed
    assert "reply by e-mail" not in listed

    deliver(maildir, sample("police-reply", dispatch), django_capture_on_commit_callbacks)

    after = reader.get(path).content.decode()
    assert "1 reply by e-mail" in after[after.index('id="dispatches-title"') :]
