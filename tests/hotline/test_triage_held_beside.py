"""Beside an e-mailed report: the held e-mails (auto-replies, empty messages) from the same
sender, found through the sender's blind index, their subjects decrypted and audited."""

from __future__ import annotations

import pytest

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.email_intake import FILED, HELD, ingest_message
from sigurnet.hotline.models import HeldEmail, Report

pytestmark = pytest.mark.django_db

_counter = iter(range(1, 10_000))


def mail(sender: str, subject: str, body: str, *, extra: str = "") -> bytes:
    n = next(_counter)
    return (
        f"From: {sender}\r\nTo: prijave@example.org\r\nSubject: {subject}\r\n"
        f"Message-ID: <m{n}@example.org>\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def filed(sender: str) -> Report:
    result = ingest_message(
        mail(sender, "Prijava", "Lažna prodavnica: https://shop.example.com/offer"), source="test"
    )
    assert result.outcome == FILED, result
    return Report.objects.get(pk=result.report_id)


def held(sender: str, subject: str, *, auto: bool = False) -> HeldEmail:
    raw = mail(
        sender,
        subject,
        "Odsutan sam do ponedeljka." if auto else "",
        extra="Auto-Submitted: auto-replied\r\n" if auto else "",
    )
    result = ingest_message(raw, source="test")
    assert result.outcome == HELD, result
    return HeldEmail.objects.order_by("-id").first()  # type: ignore[return-value]


def held_section(page: str) -> str:
    start = page.index("Held e-mails from the same sender")
    return page[start : page.index("</section>", start)]


def test_an_emailed_reports_page_lists_the_held_messages_from_its_sender_only(signed_in):
    report = filed("roditelj@example.org")
    held("roditelj@example.org", "Automatski odgovor: odsutan", auto=True)
    held("roditelj@example.org", "Prazna poruka")
    held("neko.drugi@example.org", "Tuđa poruka", auto=True)
    client = signed_in("Hotline analyst")
    section = held_section(client.get(f"/staff/hotline/{report.reference}/").content.decode())
    assert "Automatski odgovor: odsutan" in section
    assert "Prazna poruka" in section
    assert "empty: no text, web address or attachment" in section
    assert "Tuđa poruka" not in section
    assert section.index("Prazna poruka") < section.index("Automatski odgovor")  # newest first


def test_a_second_email_from_the_same_sender_in_other_case_matches(signed_in):
    report = filed("Roditelj@Example.org")
    held("RODITELJ@example.ORG", "Odsutan do ponedeljka", auto=True)
    client = signed_in("Hotline analyst")
    section = held_section(client.get(f"/staff/hotline/{report.reference}/").content.decode())
    assert "Odsutan do ponedeljka" in section


def test_a_web_report_shows_no_held_messages(signed_in, make_report):
    report = make_report(contact_email="roditelj@example.org", contact_consent=True)
    held("roditelj@example.org", "Automatski odgovor", auto=True)
    client = signed_in("Hotline analyst")
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Held e-mails from the same sender" not in page
    assert "Automatski odgovor" not in page
    assert not AuditEvent.objects.filter(action="hotline.held_viewed").exists()


def test_the_display_of_held_messages_is_audited_with_their_ids(signed_in):
    report = filed("roditelj@example.org")
    first = held("roditelj@example.org", "Prvi", auto=True)
    second = held("roditelj@example.org", "Drugi")
    held("neko.drugi@example.org", "Tuđa", auto=True)
    client = signed_in("Hotline analyst")
    client.get(f"/staff/hotline/{report.reference}/")
    event = AuditEvent.objects.get(action="hotline.held_viewed")
    assert event.detail["held"] == [second.pk, first.pk]
    assert event.actor_id == client.user.pk  # type: ignore[attr-defined]
    assert event.object_id == str(report.pk)


def test_a_hostile_subject_is_escaped(signed_in):
    report = filed("roditelj@example.org")
    held("roditelj@example.org", '<script>alert(1)</script> "><img src=x onerror=alert(1)>')
    client = signed_in("Hotline analyst")
    section = held_section(client.get(f"/staff/hotline/{report.reference}/").content.decode())
    assert "<script>alert(1)</script>" not in section
    assert "<img src=x" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section


def test_the_held_messages_are_read_in_one_query(signed_in, django_assert_max_num_queries):
    from sigurnet.hotline.triage.selectors import held_from_sender

    report = filed("roditelj@example.org")
    for n in range(25):
        held("roditelj@example.org", f"Poruka {n}", auto=True)
    report = Report.objects.get(pk=report.pk)
    with django_assert_max_num_queries(1):
        rows = held_from_sender(report)
    assert len(rows) == 20
    assert rows[0]["subject"] == "Poruka 24"
