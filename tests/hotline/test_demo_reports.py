"""The quick start's demo reports: an analysts' queue to practise on, filed through the real
services, re-runnable, invented people only, a harmless picture as evidence."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from PIL import Image

from sigurnet.core.demo import DEMO_PASSWORD
from sigurnet.core.models import AuditEvent
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import (
    URGENT_CATEGORIES,
    Assessment,
    Category,
    Channel,
    ContentItem,
    Evidence,
    Message,
    Report,
    Status,
)
from sigurnet.hotline.triage import services as triage
from tests.conftest import current_code

pytestmark = pytest.mark.django_db

ALLOWED_DOMAINS = {"example.org", "example.net", "example.com"}


@pytest.fixture
def demo(settings, tmp_path, capsys) -> str:
    """Run ``demo`` as the quick start does; returns what it printed."""
    settings.DEBUG = True
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    call_command("demo")
    return str(capsys.readouterr().out)


def demo_login(username: str) -> Client:
    """Sign in as a demo account, with its password and the code of its authenticator."""
    user = User.objects.get(username=username)
    client = Client()
    response = client.post("/staff/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content
    response = client.post("/staff/login/verify/", {"token": current_code(user)})
    assert response.status_code == 302, response.content
    return client


def references(page: str) -> list[str]:
    return re.findall(r'<a href="/staff/hotline/(SIG-\d{4}-\d{6})/">', page)


def test_the_demo_analyst_finds_reports_in_several_statuses_in_the_queue(demo):
    assert "Hotline: 30 demo reports for the analysts' queue at" in demo
    assert "/staff/hotline/" in demo
    client = demo_login("analyst")
    response = client.get("/staff/hotline/")
    assert response.status_code == 200
    page = response.content.decode()
    shown = references(page)
    open_reports = Report.objects.filter(
        status__in=[Status.RECEIVED, Status.IN_ASSESSMENT, Status.NEEDS_INFO, Status.ASSESSED]
    )
    assert len(shown) == open_reports.count() >= 20
    for status in (Status.RECEIVED, Status.IN_ASSESSMENT, Status.NEEDS_INFO, Status.ASSESSED):
        assert f'<span class="status status-{status}">' in page, status
    # Urgent categories first.
    first = Report.objects.get(reference=shown[0])
    assert first.category in URGENT_CATEGORIES
    everything = client.get("/staff/hotline/", {"status": "all"}).content.decode()
    assert len(references(everything)) == Report.objects.count() == 30
    for status in (Status.FORWARDED, Status.CLOSED, Status.DUPLICATE, Status.INCOMPLETE):
        assert f'<span class="status status-{status}">' in everything, status


def test_the_demo_reports_spread_over_channels_languages_categories_and_days(demo):
    reports = Report.objects.all()
    assert {r.channel for r in reports} == {Channel.WEB, Channel.EMAIL, Channel.API}
    assert {r.language for r in reports} == {"en", "sr-latn", "sr", "bs"}
    assert len({r.category for r in reports}) >= 8
    days = {r.received_at.date() for r in reports}
    assert len(days) >= 6
    assert all(r.description.startswith("Demo:") for r in reports)


def test_a_second_demo_run_adds_nothing(demo, capsys):
    counts = [
        model.objects.count()
        for model in (Report, ContentItem, Evidence, Assessment, Message, AuditEvent, User)
    ]
    call_command("demo")
    assert "Hotline: 30 demo reports" in capsys.readouterr().out
    assert counts == [
        model.objects.count()
        for model in (Report, ContentItem, Evidence, Assessment, Message, AuditEvent, User)
    ]


def test_every_demo_person_is_at_example_org_and_every_address_on_an_example_domain(demo):
    contacts = [r.contact_email for r in Report.objects.all() if r.contact_email]
    assert contacts
    assert all(email.endswith("@example.org") for email in contacts)
    assert all(user.email.endswith("@example.org") for user in User.objects.all())
    for item in ContentItem.objects.filter(kind=ContentItem.Kind.URL):
        domain = item.registrable_domain
        assert domain in ALLOWED_DOMAINS or domain.endswith(".test"), domain


def test_the_demo_evidence_is_a_picture_that_decrypts_on_a_report_that_is_not_csam(demo):
    evidence = Evidence.objects.get()
    assert evidence.report is not None
    assert evidence.report.category == Category.CYBERBULLYING
    assert evidence.content_type == "image/png"
    stored = (evidence_files.evidence_root() / evidence.storage_name).read_bytes()
    assert not stored.startswith(b"\x89PNG")  # encrypted at rest
    with Image.open(io.BytesIO(evidence_files.read_decrypted(evidence.storage_name))) as image:
        assert image.format == "PNG"
        assert image.size == (480, 270)
    client = demo_login("analyst")
    response = client.get(
        f"/staff/hotline/{evidence.report.reference}/evidence/{evidence.pk}/", {"variant": "full"}
    )
    assert response.status_code == 200
    served = b"".join(response.streaming_content) if response.streaming else response.content
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "PNG"


def test_the_demo_csam_assessment_waits_for_the_analyst_to_confirm_it(demo):
    report = Report.objects.get(category=Category.CSAM)
    assessment = report.assessments.get()
    assert assessment.outcome == Assessment.Outcome.ACTIONABLE
    assert assessment.needs_confirmation and assessment.confirmed_by is None
    assert assessment.analyst.username == "hotline-lead"
    assert report.evidence.count() == 0
    client = demo_login("analyst")
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Waits for a second analyst to confirm it." in page
    response = client.post(f"/staff/hotline/{report.reference}/confirm/", follow=True)
    assert "You confirmed the assessment." in response.content.decode()


def test_the_demo_asks_one_reporter_through_the_triage_and_audits_its_work(demo):
    waiting = Report.objects.get(status=Status.NEEDS_INFO)
    question = waiting.messages.get()
    assert question.direction == Message.Direction.FROM_HOTLINE
    assert question.body == triage.question_text("address", waiting.language)
    assert AuditEvent.objects.filter(
        action="hotline.reporter_asked", object_id=str(waiting.pk)
    ).exists()
    changes = AuditEvent.objects.filter(action="hotline.status_changed").count()
    assert changes >= Report.objects.exclude(status=Status.RECEIVED).count()


def test_the_demo_has_an_emailed_other_report_to_correct_and_one_address_reported_thrice(demo):
    emailed = [
        r
        for r in Report.objects.filter(
            channel=Channel.EMAIL, category=Category.OTHER, status=Status.RECEIVED
        )
    ]
    assert any("pictures" in r.description for r in emailed)
    grouped = [item for item in ContentItem.objects.all() if item.reports.count() == 3]
    assert len(grouped) == 1
    page = demo_login("analyst").get("/staff/hotline/items/").content.decode()
    assert f"?item={grouped[0].pk}" in page
