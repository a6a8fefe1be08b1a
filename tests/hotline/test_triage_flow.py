"""The status flow, claims and assessments of the hotline triage."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.models import Assessment, LegalBasis, Report, Status
from sigurnet.hotline.triage import services
from sigurnet.hotline.triage.services import TRANSITIONS, TriageRefused, transition
from tests.conftest import requires_postgresql

ICCAM_FORM = {
    "legal_class": "baseline",
    "victim_age": "prepubescent",
    "victim_gender": "female",
    "content_kind": "image",
    "commercial": "false",
}

ALLOWED = {
    (Status.RECEIVED, Status.IN_ASSESSMENT),
    (Status.IN_ASSESSMENT, Status.NEEDS_INFO),
    (Status.IN_ASSESSMENT, Status.ASSESSED),
    (Status.IN_ASSESSMENT, Status.DUPLICATE),
    (Status.IN_ASSESSMENT, Status.INCOMPLETE),
    (Status.NEEDS_INFO, Status.IN_ASSESSMENT),
    (Status.NEEDS_INFO, Status.INCOMPLETE),
    (Status.ASSESSED, Status.FORWARDED),
    (Status.ASSESSED, Status.CLOSED),
    (Status.ASSESSED, Status.IN_ASSESSMENT),
    (Status.FORWARDED, Status.CLOSED),
    # The reporter writes to a closed report (most often the details came too late).
    (Status.CLOSED, Status.IN_ASSESSMENT),
    (Status.INCOMPLETE, Status.IN_ASSESSMENT),
}


def test_the_table_is_the_flow_of_the_design():
    written = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert written == ALLOWED
    assert set(TRANSITIONS) == set(Status.values)


@pytest.mark.django_db
@pytest.mark.parametrize("from_status", Status.values)
def test_every_transition_in_the_table_succeeds_and_every_other_is_refused(
    from_status, make_report, make_staff
):
    analyst = make_staff("Hotline analyst")
    report = make_report()
    for to_status in Status.values:
        Report.objects.filter(pk=report.pk).update(status=from_status)
        report.refresh_from_db()
        before = AuditEvent.objects.count()
        if (from_status, to_status) in ALLOWED:
            transition(report, to_status, actor=analyst)
            assert Report.objects.get(pk=report.pk).status == to_status
            event = AuditEvent.objects.first()
            assert AuditEvent.objects.count() == before + 1
            assert event.action == "hotline.status_changed"
            assert event.object_id == str(report.pk)
            assert event.detail["from"] == from_status and event.detail["to"] == to_status
        else:
            with pytest.raises(TriageRefused):
                transition(report, to_status, actor=analyst)
            assert Report.objects.get(pk=report.pk).status == from_status
            assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_transition_from_a_stale_status_is_refused(make_report, make_staff):
    analyst = make_staff("Hotline analyst")
    report = make_report()
    stale = Report.objects.get(pk=report.pk)
    transition(report, Status.IN_ASSESSMENT, actor=analyst)
    with pytest.raises(TriageRefused) as refused:
        transition(stale, Status.IN_ASSESSMENT, actor=analyst)
    assert refused.value.code in ("stale", "transition")


@pytest.mark.django_db
def test_analyst_takes_a_report_and_it_goes_into_assessment(signed_in, make_report):
    report = make_report()
    client = signed_in("Hotline analyst")
    response = client.post(f"/staff/hotline/{report.reference}/claim/", follow=True)
    assert "You took report" in response.content.decode()
    report.refresh_from_db()
    assert report.assignee == client.user
    assert report.status == Status.IN_ASSESSMENT
    actions = list(
        AuditEvent.objects.filter(object_id=str(report.pk)).values_list("action", flat=True)
    )
    assert "hotline.claimed" in actions and "hotline.status_changed" in actions


@pytest.mark.django_db
def test_a_report_someone_holds_cannot_be_taken(signed_in, make_report):
    report = make_report()
    first = signed_in("Hotline analyst", username="ana")
    second = signed_in("Hotline analyst", username="boris")
    first.post(f"/staff/hotline/{report.reference}/claim/")
    response = second.post(f"/staff/hotline/{report.reference}/claim/", follow=True)
    assert "Someone else took this report a moment ago." in response.content.decode()
    assert Report.objects.get(pk=report.pk).assignee == first.user


@pytest.mark.django_db
def test_only_the_holder_or_a_supervisor_gives_a_report_back(signed_in, make_report):
    report = make_report()
    holder = signed_in("Hotline analyst", username="ana")
    other = signed_in("Hotline analyst", username="boris")
    holder.post(f"/staff/hotline/{report.reference}/claim/")
    response = other.post(f"/staff/hotline/{report.reference}/release/", follow=True)
    assert "You may not do that." in response.content.decode()
    assert Report.objects.get(pk=report.pk).assignee == holder.user
    supervisor = signed_in("Hotline supervisor")
    supervisor.post(f"/staff/hotline/{report.reference}/release/")
    assert Report.objects.get(pk=report.pk).assignee is None
    assert AuditEvent.objects.filter(action="hotline.released", object_id=str(report.pk)).exists()


@pytest.mark.django_db
def test_supervisor_assigns_a_report_to_an_analyst_but_not_to_an_editor(
    signed_in, make_staff, make_report
):
    report = make_report()
    analyst = make_staff("Hotline analyst", username="ana")
    editor = make_staff("Editor", username="urednik")
    supervisor = signed_in("Hotline supervisor")
    response = supervisor.post(
        f"/staff/hotline/{report.reference}/assign/", {"colleague": editor.pk}, follow=True
    )
    assert "Choose a colleague." in response.content.decode()
    assert Report.objects.get(pk=report.pk).assignee is None
    supervisor.post(f"/staff/hotline/{report.reference}/assign/", {"colleague": analyst.pk})
    report.refresh_from_db()
    assert report.assignee == analyst and report.status == Status.IN_ASSESSMENT
    event = AuditEvent.objects.get(action="hotline.assigned")
    assert event.object_id == str(report.pk) and event.detail["to"] == analyst.pk


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_analysts_claiming_at_once_one_wins_and_the_other_is_refused(make_report, make_staff):
    assert connection.vendor == "postgresql"
    report = make_report()
    analysts = [make_staff("Hotline analyst", username=f"analyst-{n}") for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def take(analyst) -> None:
        try:
            barrier.wait()
            services.claim(Report.objects.get(pk=report.pk), actor=analyst)
            outcomes[analyst.username] = "won"
        except TriageRefused as refused:
            outcomes[analyst.username] = refused.code
        finally:
            connection.close()

    for _round in range(10):
        Report.objects.filter(pk=report.pk).update(assignee=None, status=Status.RECEIVED)
        outcomes.clear()
        threads = [threading.Thread(target=take, args=(a,)) for a in analysts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values()) == ["taken", "won"]
        winner = next(name for name, result in outcomes.items() if result == "won")
        assert Report.objects.get(pk=report.pk).assignee.username == winner


@pytest.mark.django_db
def test_assessment_records_outcome_and_moves_the_report_to_assessed(signed_in, make_report):
    report = make_report(category="other")
    client = signed_in("Hotline analyst")
    client.post(f"/staff/hotline/{report.reference}/claim/")
    response = client.post(
        f"/staff/hotline/{report.reference}/assess/",
        {
            "outcome": "actionable",
            "priority": "high",
            "category": "phishing_fraud",
            "legal_basis": LegalBasis.objects.get(country="RS", code="čl. 208 KZ").pk,
            "notes": "Lažna banka, prijaviti hostingu.",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.ASSESSED
    assert report.category == "phishing_fraud"
    assessment = Assessment.objects.get(report=report)
    assert assessment.outcome == "actionable" and assessment.category_before == "other"
    assert assessment.analyst == client.user
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM hotline_assessment WHERE id = %s", [assessment.pk])
        assert "banka" not in cursor.fetchone()[0]  # encrypted at rest
    actions = set(
        AuditEvent.objects.filter(object_id=str(report.pk)).values_list("action", flat=True)
    )
    assert {"hotline.assessed", "hotline.category_corrected", "hotline.status_changed"} <= actions


@pytest.mark.django_db
def test_a_category_corrected_to_csam_raises_the_urgent_notice(
    signed_in, make_report, make_staff, mailoutbox, django_capture_on_commit_callbacks
):
    report = make_report(category="other", channel="email", urls=[])
    client = signed_in("Hotline analyst")
    client.post(f"/staff/hotline/{report.reference}/claim/")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/staff/hotline/{report.reference}/assess/",
            {"outcome": "actionable", "priority": "high", "category": "csam", **ICCAM_FORM},
        )
    assert len(mailoutbox) == 1
    assert Report.objects.get(pk=report.pk).urgent_notified_at is not None


@pytest.mark.django_db
def test_a_duplicate_needs_the_earlier_report_and_closes_this_one(signed_in, make_report):
    first = make_report()
    second = make_report()
    client = signed_in("Hotline analyst")
    client.post(f"/staff/hotline/{second.reference}/claim/")
    url = f"/staff/hotline/{second.reference}/assess/"
    data = {"outcome": "duplicate", "priority": "normal", "category": second.category}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Give the reference of the earlier report." in response.content.decode()
    client.post(url, {**data, "duplicate_of": first.reference})
    second.refresh_from_db()
    assert second.status == Status.DUPLICATE
    assert Assessment.objects.get(report=second).duplicate_of == first


@pytest.mark.django_db
def test_a_report_not_in_assessment_cannot_be_assessed(signed_in, make_report):
    report = make_report()  # received, nobody took it
    client = signed_in("Hotline analyst")
    response = client.post(
        f"/staff/hotline/{report.reference}/assess/",
        {"outcome": "not_actionable", "priority": "low", "category": report.category},
        follow=True,
    )
    assert "The report cannot move to that status now." in response.content.decode()
    assert Report.objects.get(pk=report.pk).status == Status.RECEIVED
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_only_the_holder_or_a_supervisor_assesses_a_report(signed_in, make_report):
    report = make_report()
    holder = signed_in("Hotline analyst", username="ana")
    other = signed_in("Hotline analyst", username="boris")
    holder.post(f"/staff/hotline/{report.reference}/claim/")
    data = {"outcome": "not_actionable", "priority": "low", "category": report.category}
    response = other.post(f"/staff/hotline/{report.reference}/assess/", data, follow=True)
    assert "Take the report before you work on it." in response.content.decode()
    assert "/assess/" not in other.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert not Assessment.objects.exists()
    supervisor = signed_in("Hotline supervisor")
    supervisor.post(f"/staff/hotline/{report.reference}/assess/", data)
    assert Report.objects.get(pk=report.pk).status == Status.ASSESSED


@pytest.mark.django_db
def test_the_reporters_answer_returns_the_report_through_the_table_and_is_audited(make_report):
    from django.test import Client

    from sigurnet.hotline import services as hotline_services

    filed = hotline_services.file_report(
        hotline_services.ReportSubmission(category="grooming", language="en", urls=[]),
        channel="web",
    )
    Report.objects.filter(pk=filed.report.pk).update(status=Status.NEEDS_INFO)
    client = Client()
    client.post("/en/report/status/", {"receipt": filed.receipt})
    client.post("/en/report/status/view/", {"text": "The account is @example", "urls": ""})
    assert Report.objects.get(pk=filed.report.pk).status == Status.IN_ASSESSMENT
    event = AuditEvent.objects.get(action="hotline.status_changed")
    assert event.object_id == str(filed.report.pk) and event.actor_id is None
    assert event.detail["from"] == Status.NEEDS_INFO


@pytest.mark.django_db
def test_an_actionable_csam_assessment_needs_the_iccam_classification(signed_in, make_report):
    report = make_report(category="csam", urls=["https://abuse.example.net/1"])
    client = signed_in("Hotline analyst")
    client.post(f"/staff/hotline/{report.reference}/claim/")
    url = f"/staff/hotline/{report.reference}/assess/"
    data = {"outcome": "actionable", "priority": "high", "category": "csam"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.content.decode().count("Needed for actionable child sexual abuse") >= 5
    assert not Assessment.objects.exists()
    report.refresh_from_db()
    with pytest.raises(TriageRefused) as refused:  # the service holds the rule, not only the form
        services.assess(
            report, outcome="actionable", priority="high", category="csam", actor=client.user
        )
    assert refused.value.code == "classification"
    client.post(url, {**data, **ICCAM_FORM, "commercial": "true"})
    assessment = Assessment.objects.get(report=report)
    assert (assessment.legal_class, assessment.victim_age, assessment.victim_gender) == (
        "baseline",
        "prepubescent",
        "female",
    )
    assert assessment.content_kind == "image" and assessment.commercial is True
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert (
        "Baseline (illegal internationally) · Pre-pubescent · Female · Image · commercial" in page
    )
