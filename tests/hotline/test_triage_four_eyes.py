"""Four eyes: an actionable CSAM assessment waits for a second analyst before forwarding."""

from __future__ import annotations

import pytest

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.models import Assessment, LegalBasis, Report, Status
from sigurnet.hotline.triage import services
from sigurnet.hotline.triage.services import TriageRefused, transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed_csam(make_report, make_staff):
    first = make_staff("Hotline analyst", username="ana")
    report = make_report(category="csam", urls=["https://abuse.example.net/a"])
    services.claim(report, actor=first)
    services.assess(
        report,
        outcome="actionable",
        priority="high",
        category="csam",
        classification={
            "legal_class": "national",
            "victim_age": "pubescent",
            "victim_gender": "unknown",
            "content_kind": "video",
            "commercial": False,
        },
        actor=first,
    )
    return report, first


def test_an_actionable_csam_assessment_cannot_be_forwarded_until_confirmed(
    assessed_csam, signed_in
):
    report, first = assessed_csam
    assert Assessment.objects.get(report=report).needs_confirmation
    with pytest.raises(TriageRefused) as refused:
        transition(report, Status.FORWARDED, actor=first)
    assert refused.value.code == "unconfirmed"
    second = signed_in("Hotline analyst", username="boris")
    page = second.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Waits for a second analyst to confirm it." in page
    response = second.post(f"/staff/hotline/{report.reference}/confirm/", follow=True)
    assert "You confirmed the assessment." in response.content.decode()
    assessment = Assessment.objects.get(report=report)
    assert assessment.confirmed_by == second.user
    event = AuditEvent.objects.get(action="hotline.assessment_confirmed")
    assert event.object_id == str(report.pk) and event.actor_id == second.user.pk
    report.refresh_from_db()
    transition(report, Status.FORWARDED, actor=first)
    assert Report.objects.get(pk=report.pk).status == Status.FORWARDED


def test_the_first_analyst_cannot_confirm_their_own_assessment(assessed_csam, client):
    from tests.conftest import STAFF_PASSWORD, current_code

    report, first = assessed_csam
    client.post("/staff/login/", {"username": first.username, "password": STAFF_PASSWORD})
    client.post("/staff/login/verify/", {"token": current_code(first)})
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Confirm this assessment" not in page
    response = client.post(f"/staff/hotline/{report.reference}/confirm/", follow=True)
    assert "not the one who assessed it" in response.content.decode()
    assert Assessment.objects.get(report=report).confirmed_by is None


def test_a_disagreement_goes_to_a_supervisor(assessed_csam, signed_in):
    report, _first = assessed_csam
    second = signed_in("Hotline analyst", username="boris")
    second.post(f"/staff/hotline/{report.reference}/dispute/")
    assert AuditEvent.objects.filter(action="hotline.assessment_disputed").exists()
    third = signed_in("Hotline analyst", username="cvijeta")
    page = third.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "boris disagreed: a supervisor decides." in page
    assert "Confirm this assessment" not in page
    response = third.post(f"/staff/hotline/{report.reference}/confirm/", follow=True)
    assert "a supervisor decides" in response.content.decode()
    assert Assessment.objects.get(report=report).confirmed_by is None
    supervisor = signed_in("Hotline supervisor", username="sanja")
    assert (
        "Confirm this assessment"
        in supervisor.get(f"/staff/hotline/{report.reference}/").content.decode()
    )
    supervisor.post(f"/staff/hotline/{report.reference}/confirm/")
    assert Assessment.objects.get(report=report).confirmed_by == supervisor.user


def test_other_assessments_need_no_confirmation(make_report, make_staff):
    analyst = make_staff("Hotline analyst", username="ana")
    report = make_report(category="phishing_fraud")
    services.claim(report, actor=analyst)
    services.assess(
        report,
        outcome="actionable",
        priority="high",
        category="phishing_fraud",
        legal_basis=LegalBasis.objects.get(code="čl. 208 KZ"),
        actor=analyst,
    )
    assert not Assessment.objects.get(report=report).needs_confirmation
    transition(report, Status.FORWARDED, actor=analyst)
    assert Report.objects.get(pk=report.pk).status == Status.FORWARDED
