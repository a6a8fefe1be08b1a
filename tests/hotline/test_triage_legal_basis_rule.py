"""The legal basis rule, held by the assessment service for every entry point, and asked by
the group assessment as by a single one."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from sigurnet.core.models import DeploymentProfile
from sigurnet.core.selectors import get_profile
from sigurnet.core.services import save_profile
from sigurnet.hotline.models import Assessment, Category, LegalBasis, Report, Status
from sigurnet.hotline.triage import services
from sigurnet.hotline.triage.services import TriageRefused

pytestmark = pytest.mark.django_db

CLASSIFICATION = {
    "legal_class": "baseline",
    "victim_age": "prepubescent",
    "victim_gender": "female",
    "content_kind": "image",
    "commercial": "false",
}


def fraud() -> LegalBasis:
    return LegalBasis.objects.get(country="RS", code="čl. 208 KZ")


def set_country(country: str) -> None:
    current = get_profile()
    profile = DeploymentProfile.objects.filter(pk=current.pk).first() or current
    profile.country = country
    save_profile(profile)


def claimed_by_analyst(make_report: Any, make_staff: Any, **fields: Any) -> tuple[Report, Any]:
    analyst = make_staff("Hotline analyst", username="ana")
    report = make_report(**fields)
    services.claim(report, actor=analyst)
    return report, analyst


def test_the_service_refuses_an_actionable_fraud_assessment_without_a_legal_basis(
    make_report, make_staff
):
    # What the API, a bulk action or a task would call: no form in between.
    report, analyst = claimed_by_analyst(make_report, make_staff, category="phishing_fraud")
    with pytest.raises(TriageRefused) as refused:
        services.assess(
            report, outcome="actionable", priority="high", category="phishing_fraud", actor=analyst
        )
    assert refused.value.code == "legal_basis_required"
    assert not Assessment.objects.filter(report=report).exists()
    assert Report.objects.get(pk=report.pk).status == Status.IN_ASSESSMENT

    services.assess(
        report,
        outcome="actionable",
        priority="high",
        category="phishing_fraud",
        legal_basis=fraud(),
        actor=analyst,
    )
    assert Assessment.objects.get(report=report).legal_basis == fraud()


def test_a_correction_to_another_category_needs_the_basis_too(make_report, make_staff):
    # Filed as CSAM (no basis asked), corrected to fraud while assessing: fraud's rule applies.
    report, analyst = claimed_by_analyst(
        make_report, make_staff, category="csam", urls=["https://img.example.net/1"]
    )
    with pytest.raises(TriageRefused) as refused:
        services.assess(
            report, outcome="actionable", priority="high", category="phishing_fraud", actor=analyst
        )
    assert refused.value.code == "legal_basis_required"


@pytest.mark.parametrize("outcome", ["harmful", "not_actionable", "outside_remit", "incomplete"])
def test_other_outcomes_need_no_basis(outcome, make_report, make_staff):
    report, analyst = claimed_by_analyst(make_report, make_staff, category="hate_speech")
    services.assess(
        report, outcome=outcome, priority="normal", category="hate_speech", actor=analyst
    )
    assert Assessment.objects.get(report=report).legal_basis is None


def test_with_an_empty_list_for_the_country_no_basis_is_needed(make_report, make_staff):
    set_country("BA")  # nothing seeded for Bosnia and Herzegovina
    report, analyst = claimed_by_analyst(make_report, make_staff, category="phishing_fraud")
    services.assess(
        report, outcome="actionable", priority="high", category="phishing_fraud", actor=analyst
    )
    assert Report.objects.get(pk=report.pk).status == Status.ASSESSED


def test_with_every_basis_deactivated_no_basis_is_needed(make_report, make_staff):
    LegalBasis.objects.filter(country="RS").update(active=False)
    report, analyst = claimed_by_analyst(make_report, make_staff, category="phishing_fraud")
    services.assess(
        report, outcome="actionable", priority="high", category="phishing_fraud", actor=analyst
    )
    assert Assessment.objects.get(report=report).legal_basis is None


# --- Assessing a group together -------------------------------------------------------------


def item_of(report: Report) -> int:
    return int(report.reported_urls.get().content_item_id)


def group_form(**fields: Any) -> dict[str, Any]:
    data = {"outcome": "actionable", "priority": "high", "category": "", "notes": ""}
    data.update(fields)
    return data


def test_the_group_form_asks_for_the_legal_basis_and_refuses_an_actionable_group_without(
    signed_in, make_report
):
    reports = [make_report(urls=["https://shop.example.net/lazna"]) for _n in "ab"]
    item = item_of(reports[0])
    client = signed_in("Hotline analyst")
    form_page = client.get(f"/staff/hotline/items/{item}/assess/").content.decode()
    assert 'name="legal_basis"' in form_page
    assert "čl. 208 KZ - Prevara" in form_page

    refused = client.post(f"/staff/hotline/items/{item}/assess/", group_form())
    assert refused.status_code == 200
    assert "Choose the legal basis of an actionable report." in refused.content.decode()
    assert not Assessment.objects.filter(report__in=reports).exists()

    done = client.post(
        f"/staff/hotline/items/{item}/assess/", group_form(legal_basis=fraud().pk), follow=True
    )
    assert "2 reports assessed." in done.content.decode()
    assert [a.legal_basis for a in Assessment.objects.filter(report__in=reports)] == [
        fraud(),
        fraud(),
    ]


def test_a_group_of_csam_and_fraud_keeps_the_basis_only_on_the_fraud_report(signed_in, make_report):
    url = ["https://img.example.net/mixed"]
    csam = make_report(category="csam", urls=url)
    phishing = make_report(category="phishing_fraud", urls=url)
    item = item_of(csam)
    client = signed_in("Hotline analyst")
    # Each keeps its category: the fraud report needs the basis, the CSAM one its classification.
    refused = client.post(f"/staff/hotline/items/{item}/assess/", group_form(**CLASSIFICATION))
    assert "Choose the legal basis of an actionable report." in refused.content.decode()
    assert not Assessment.objects.exists()

    client.post(
        f"/staff/hotline/items/{item}/assess/",
        group_form(legal_basis=fraud().pk, **CLASSIFICATION),
    )
    assert Assessment.objects.get(report=phishing).legal_basis == fraud()
    on_csam = Assessment.objects.get(report=csam)
    assert on_csam.legal_basis is None and on_csam.legal_class == "baseline"


def test_a_csam_only_group_is_not_asked_for_a_basis(signed_in, make_report):
    reports = [make_report(category="csam", urls=["https://img.example.net/z"]) for _n in "ab"]
    client = signed_in("Hotline analyst")
    response = client.post(
        f"/staff/hotline/items/{item_of(reports[0])}/assess/",
        group_form(**CLASSIFICATION),
        follow=True,
    )
    assert "2 reports assessed." in response.content.decode()


def test_assessing_together_through_the_service_without_a_basis_changes_nothing(
    make_report, make_staff
):
    analyst = make_staff("Hotline analyst", username="ana")
    reports = [make_report(urls=["https://shop.example.net/x"]) for _n in "ab"]
    with pytest.raises(TriageRefused) as refused:
        services.assess_together(reports, outcome="actionable", priority="high", actor=analyst)
    assert refused.value.code == "legal_basis_required"
    assert not Assessment.objects.exists()
    assert set(Report.objects.values_list("status", "assignee")) == {(Status.RECEIVED, None)}

    again = list(Report.objects.filter(pk__in=[r.pk for r in reports]))  # as a new request
    assessed, skipped = services.assess_together(
        again, outcome="actionable", priority="high", legal_basis=fraud(), actor=analyst
    )
    assert len(assessed) == 2 and not skipped
    assert {a.legal_basis for a in Assessment.objects.all()} == {fraud()}


def test_the_demo_names_a_basis_on_every_actionable_assessment_that_needs_one(settings, tmp_path):
    settings.DEBUG = True
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    call_command("demo")
    actionable = Assessment.objects.filter(outcome="actionable").exclude(category=Category.CSAM)
    assert actionable.count() >= 4
    assert not actionable.filter(legal_basis__isnull=True).exists()
    assert set(actionable.values_list("legal_basis__code", flat=True)) <= {
        "čl. 138 KZ",
        "čl. 208 KZ",
        "čl. 302 KZ",
    }


def test_the_assessment_page_says_why_when_the_service_refuses(signed_in, make_report, monkeypatch):
    # A form that let it through (say, the list was empty when it was checked): the service's
    # refusal reaches the analyst as a message, and nothing is assessed.
    from sigurnet.hotline.triage import forms

    monkeypatch.setattr(forms, "legal_basis_required", lambda *args, **kwargs: False)
    client = signed_in("Hotline analyst")
    report = make_report(category="phishing_fraud")
    client.post(f"/staff/hotline/{report.reference}/claim/")
    page = client.post(
        f"/staff/hotline/{report.reference}/assess/",
        {"outcome": "actionable", "priority": "high", "category": "phishing_fraud"},
        follow=True,
    ).content.decode()
    assert "Choose the legal basis of an actionable report." in page
    assert not Assessment.objects.filter(report=report).exists()
