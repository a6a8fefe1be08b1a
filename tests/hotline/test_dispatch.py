"""Dispatches: an analyst forwards an assessed report; each recipient gets one e-mail, in their
language, with a signed link; four eyes, deadlines, the list, and revoking a link."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from sigurnet.core import handover
from sigurnet.core.models import AuditEvent, OutgoingMessage
from sigurnet.core.tasks import send_outgoing_message, sweep_outbox
from sigurnet.hotline.forwarding import dispatch_tasks
from sigurnet.hotline.forwarding import selectors as forwarding_selectors
from sigurnet.hotline.forwarding import services as forwarding
from sigurnet.hotline.forwarding.forms import suggestion_key
from sigurnet.hotline.models import Dispatch, DispatchKind, Report, Status
from sigurnet.hotline.triage import services as triage
from tests.core.test_outbox import Sink, smtp  # noqa: F401 - the SMTP sink fixture
from tests.dispatch_factories import (
    assess,
    home_police,
    institution,
    link_in,
    mail_of,
    token_in,
)

pytestmark = pytest.mark.django_db

URLS = ["https://shop.example.com/offer", "https://cdn.example.net/p/1"]


@pytest.fixture
def ana(signed_in):
    """A signed-in analyst (the client) who takes and assesses reports."""
    return signed_in("Hotline analyst", username="ana")


def forward_url(report: Report) -> str:
    return f"/staff/hotline/{report.reference}/forward/"


def to(institution) -> dict[str, int]:
    """The forwarding form's data for one institution, added by hand (whatever is suggested)."""
    return {"extra_institution": institution.pk}


def test_a_dispatch_email_arrives_exactly_once_at_the_mail_server_with_its_signed_link(
    ana,
    make_report,
    smtp,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks,
):
    sink = smtp(Sink())
    police = home_police()
    report = assess(make_report(urls=URLS), ana.user)
    page = ana.get(forward_url(report)).content.decode()
    assert "Send the dispatches" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = ana.post(forward_url(report), to(police))
    assert response.status_code == 302

    dispatch = Dispatch.objects.get()
    assert dispatch.institution == police and dispatch.kind == DispatchKind.POLICE
    assert dispatch.status == Dispatch.Status.SENT and dispatch.sent_at is not None
    assert dispatch.due_at == dispatch.sent_at + timedelta(hours=72)
    assert Report.objects.get(pk=report.pk).status == Status.FORWARDED
    assert len(sink.messages) == 1
    received = message_from_bytes(sink.messages[0])
    assert received["To"] == police.contacts.get().email
    assert report.reference in received["Subject"]
    assert received["Message-ID"].strip() == dispatch.message_id
    assert not received.is_multipart()  # text only: nothing attached
    body = received.get_payload(decode=True).decode()
    assert "https://shop.example.com/offer" in body and "https://cdn.example.net/p/1" in body
    assert report.description not in body  # never the reporter's words

    # A redelivered task, the beat task and the outbox's sweep send nothing again.
    assert dispatch_tasks.send_dispatch(dispatch.pk) is False
    dispatch_tasks.send_due_dispatches()
    sweep_outbox()
    assert send_outgoing_message(dispatch.outgoing_id) is False
    assert len(sink.messages) == 1

    # The link in the e-mail opens the dispatch as it was sent, with no account.
    page = Client().get(link_in(body))
    assert page.status_code == 200
    text = page.content.decode()
    assert dispatch.subject in text and "https://cdn.example.net/p/1" in text
    assert 'href="https://' not in text  # the addresses are text, never links


def test_a_dispatch_waits_for_a_mail_server_that_is_down_and_is_sent_once_it_is_back(
    ana,
    make_report,
    smtp,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks,
):
    report = assess(make_report(), ana.user)
    with django_capture_on_commit_callbacks(execute=True):
        ana.post(forward_url(report), to(home_police()))
    dispatch = Dispatch.objects.get()
    assert dispatch.status == Dispatch.Status.QUEUED  # nothing listens: not sent
    assert dispatch.outgoing.attempts == 1 and dispatch.outgoing.sent_at is None

    sink = smtp(Sink())
    OutgoingMessage.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    sweep_outbox()  # the outbox's retry
    dispatch_tasks.send_due_dispatches()  # and beat records it
    dispatch.refresh_from_db()
    assert len(sink.messages) == 1 and dispatch.status == Dispatch.Status.SENT
    assert dispatch.sent_at == dispatch.outgoing.sent_at


def test_forwarding_is_refused_until_a_second_analyst_confirms_a_csam_assessment(
    ana, signed_in, make_report, django_capture_on_commit_callbacks
):
    report = assess(make_report(category="csam", description="", urls=URLS[:1]), ana.user)
    key = to(home_police())
    page = ana.get(forward_url(report)).content.decode()
    assert "A second analyst must confirm the assessment first." in page
    assert "Send the dispatches" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = ana.post(forward_url(report), key, follow=True)
    assert "A second analyst must confirm the assessment first." in response.content.decode()
    assert not Dispatch.objects.exists() and mail.outbox == []
    assert Report.objects.get(pk=report.pk).status == Status.ASSESSED

    boris = signed_in("Hotline analyst", username="boris")
    boris.post(f"/staff/hotline/{report.reference}/confirm/")
    with django_capture_on_commit_callbacks(execute=True):
        ana.post(forward_url(report), key)
    dispatch = Dispatch.objects.get()
    assert dispatch.csam and Report.objects.get(pk=report.pk).status == Status.FORWARDED
    (sent,) = mail.outbox
    assert sent.attachments == [] and not sent.message().is_multipart()
    with translation.override(dispatch.language):
        assert gettext("Classification (ICCAM)") in sent.body
        no_pictures = gettext(
            "We never send pictures or videos of child sexual abuse: this e-mail has no "
            "attachment, and we keep no copy of the material."
        )
        assert no_pictures in sent.body


def test_an_analyst_cannot_forward_a_report_held_by_a_colleague_or_not_yet_assessed(
    ana, signed_in, make_report
):
    waiting = make_report()
    page = ana.get(forward_url(waiting)).content.decode()
    assert "Only an assessed report can be forwarded." in page
    not_illegal = assess(make_report(), ana.user, outcome="not_actionable")
    page = ana.get(forward_url(not_illegal)).content.decode()
    assert "Only a report assessed as actionable or harmful can be forwarded." in page
    colleague = signed_in("Hotline analyst", username="cveta")
    held = assess(make_report(), ana.user)
    page = colleague.get(forward_url(held)).content.decode()
    assert "Take the report before you work on it." in page
    colleague.post(forward_url(held), to(home_police()))
    assert not Dispatch.objects.exists()


def test_the_dispatch_is_written_in_the_recipients_language_and_in_english_abroad(
    ana, make_report, django_capture_on_commit_callbacks
):
    police = home_police()  # its contact person reads sr-latn
    hotline_abroad = institution("partner_hotline", "GB", name="Example Hotline UK")
    report = assess(make_report(), ana.user)
    with django_capture_on_commit_callbacks(execute=True):
        ana.post(forward_url(report), to(police))
        ana.post(forward_url(report), to(hotline_abroad))  # a forwarded report, one more
    police_dispatch = Dispatch.objects.get(kind=DispatchKind.POLICE)
    abroad = Dispatch.objects.get(kind=DispatchKind.PARTNER_HOTLINE)
    assert (police_dispatch.language, abroad.language) == ("sr-latn", "en")
    with translation.override("sr-latn"):
        ours = gettext("Our reference")
    assert ours != "Our reference" and ours in mail_of(police_dispatch).body
    assert "Our reference" in mail_of(abroad).body
    assert "INHOPE" in mail_of(abroad).body
    assert abroad.institution == hotline_abroad


@pytest.mark.parametrize("kind", DispatchKind.values)
def test_each_kind_of_dispatch_has_its_own_text_with_reference_items_and_link(kind, make_dispatch):
    dispatch = make_dispatch(kind=kind, urls=URLS)
    sent = mail_of(dispatch)
    report = dispatch.reports.get()
    assert report.reference in sent.subject and report.reference in sent.body
    assert all(url in sent.body for url in URLS)
    assert "/handover/" in sent.body
    assert sent.body == dispatch.body and sent.subject == dispatch.subject  # kept as sent
    texts = {k: str(forwarding.SUBJECTS[k]) for k in DispatchKind.values}
    assert len(set(texts.values())) >= 5  # the kinds say different things


def test_a_legal_basis_is_named_in_a_non_csam_dispatch(ana, make_report, make_dispatch):
    from sigurnet.hotline.models import LegalBasis

    basis = LegalBasis.objects.filter(country="RS", active=True).first()
    report = make_report()
    triage.claim(report, actor=ana.user)
    triage.assess(
        report,
        outcome="actionable",
        priority="normal",
        category=report.category,
        legal_basis=basis,
        actor=ana.user,
    )
    (dispatch,) = forwarding.forward(
        report, [forwarding.Recipient(home_police(), "police")], actor=ana.user
    )
    assert basis.code in dispatch.body


def test_each_kind_has_its_deadline_and_the_setting_changes_it(make_dispatch, settings):
    police = make_dispatch(kind="police")
    takedown = make_dispatch(kind="takedown")
    assert police.due_at - police.sent_at == timedelta(hours=72)
    assert takedown.due_at - takedown.sent_at == timedelta(hours=48)
    settings.SIGURNET_DISPATCH_ACK_HOURS = {"police": 24}
    assert make_dispatch(kind="police").due_at - police.sent_at < timedelta(hours=25)


def test_a_queued_dispatch_waits_for_its_time_and_the_beat_task_sends_it(
    analyst, make_report, django_capture_on_commit_callbacks
):
    report = assess(make_report(), analyst)
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        (dispatch,) = forwarding.forward(
            report, [forwarding.Recipient(home_police(), "police", send_after=later)], actor=analyst
        )
    assert mail.outbox == [] and dispatch.prepared_at is None
    assert forwarding.prepare_due() == []  # not yet
    Dispatch.objects.filter(pk=dispatch.pk).update(send_after=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_tasks.send_due_dispatches() == 1
    dispatch.refresh_from_db()
    assert len(mail.outbox) == 1 and dispatch.status == Dispatch.Status.SENT


def test_the_dispatch_list_shows_status_institution_and_the_overdue_ones(make_dispatch, ana):
    on_time = make_dispatch(kind="police")
    late = make_dispatch(kind="takedown")
    Dispatch.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    page = ana.get("/staff/hotline/dispatches/").content.decode()
    assert f"/staff/hotline/dispatches/{on_time.pk}/" in page
    assert f"/staff/hotline/dispatches/{late.pk}/" in page
    assert "1 overdue" in page and on_time.institution.name in page
    overdue_only = ana.get("/staff/hotline/dispatches/?overdue=on").content.decode()
    assert f"/staff/hotline/dispatches/{late.pk}/" in overdue_only
    assert f"/staff/hotline/dispatches/{on_time.pk}/" not in overdue_only
    handover.acknowledge(late, via="link")  # acknowledged: no longer overdue
    overdue_only = ana.get("/staff/hotline/dispatches/?overdue=on").content.decode()
    assert f"/staff/hotline/dispatches/{late.pk}/" not in overdue_only


def test_revoking_a_link_and_sending_a_new_one_are_audited_and_only_the_new_link_works(
    make_dispatch, ana, django_capture_on_commit_callbacks
):
    dispatch = make_dispatch()
    old_link = link_in(mail_of(dispatch).body)
    assert Client().get(old_link).status_code == 200
    ana.post(f"/staff/hotline/dispatches/{dispatch.pk}/revoke/")
    assert Client().get(old_link).status_code == 410
    with django_capture_on_commit_callbacks(execute=True):
        ana.post(f"/staff/hotline/dispatches/{dispatch.pk}/new-link/")
    new_mail = mail.outbox[-1]
    assert new_mail.to == [dispatch.recipient] and dispatch.subject in new_mail.body
    new_link = link_in(new_mail.body)
    assert new_link != old_link
    assert Client().get(new_link).status_code == 200
    assert Client().get(old_link).status_code == 410
    actions = set(
        AuditEvent.objects.filter(
            object_type="hotline.dispatch", object_id=str(dispatch.pk)
        ).values_list("action", flat=True)
    )
    assert {
        "handover.link_revoked",
        "handover.link_renewed",
        "hotline.dispatch_link_sent",
    } <= actions
    assert AuditEvent.objects.get(action="handover.link_revoked").actor_id == ana.user.pk


def test_the_dispatch_page_shows_what_was_sent_and_who_answered(make_dispatch, ana):
    dispatch = make_dispatch()
    Client().post(link_in(dispatch.body), {"action": "acknowledge"})
    page = ana.get(f"/staff/hotline/dispatches/{dispatch.pk}/").content.decode()
    assert dispatch.subject in page and "signed link" in page
    assert AuditEvent.objects.filter(action="hotline.dispatch_viewed").exists()


def test_an_institution_without_an_address_cannot_be_forwarded_to(ana, make_report):
    nowhere = institution("platform", "RS", name="Example Platform", email="")
    report = assess(make_report(), ana.user)
    response = ana.post(forward_url(report), {"extra_institution": nowhere.pk}, follow=True)
    assert "Example Platform has no e-mail address" in response.content.decode()
    assert not Dispatch.objects.exists()


def test_the_report_page_offers_forward_once_assessed(ana, make_report):
    report = make_report()
    assert "/forward/" not in ana.get(f"/staff/hotline/{report.reference}/").content.decode()
    assess(report, ana.user)
    assert forward_url(report) in ana.get(f"/staff/hotline/{report.reference}/").content.decode()


def test_the_token_is_the_dispatch_and_version_signed(make_dispatch):
    dispatch = make_dispatch()
    check = handover.open_link(token_in(dispatch.body))
    assert check.is_open and check.handover.pk == dispatch.pk


def test_forwarding_twice_to_the_same_recipient_makes_one_dispatch(
    ana, make_report, django_capture_on_commit_callbacks
):
    report = assess(make_report(), ana.user)
    data = to(home_police())
    with django_capture_on_commit_callbacks(execute=True):
        ana.post(forward_url(report), data)
        response = ana.post(forward_url(report), data, follow=True)  # a second click
    assert "Each of these already has a dispatch of this report." in response.content.decode()
    assert Dispatch.objects.count() == 1 and len(mail.outbox) == 1


def test_without_hosting_facts_the_home_police_and_prosecutor_are_suggested(make_report):
    report = make_report(urls=URLS)
    suggested = forwarding_selectors._suggested(report)
    assert {(s.institution.kind, s.institution.country) for s in suggested} == {
        ("police", "RS"),
        ("prosecutor", "RS"),
    }
    assert all(len(s.items) == 2 for s in suggested)


def test_ticked_suggestions_become_dispatches_and_an_unticked_one_does_not(
    ana, make_report, monkeypatch, django_capture_on_commit_callbacks
):
    report = assess(make_report(urls=URLS), ana.user)
    suggested = forwarding_selectors._suggested(report)
    monkeypatch.setattr(forwarding_selectors, "suggestions", lambda _report: suggested)
    page = ana.get(forward_url(report)).content.decode()
    police, prosecutor = (
        next(s for s in suggested if s.kind == kind) for kind in ("police", "prosecutor")
    )
    for suggestion in (police, prosecutor):
        key = suggestion_key(suggestion)
        assert f'value="{key}" id=' in page and suggestion.institution.name in page
    assert page.count(" checked") >= 2  # ticked until the analyst unticks one
    with django_capture_on_commit_callbacks(execute=True):
        ana.post(forward_url(report), {"recipients": [suggestion_key(police)]})
    dispatch = Dispatch.objects.get()
    assert (dispatch.institution, dispatch.kind) == (police.institution, "police")
    assert dispatch.handover_items() == [item.canonical for item in police.items]
