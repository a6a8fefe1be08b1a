"""The legal bases supervisors keep per country, and the assessment's choice of one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sigurnet.core.models import AuditEvent, DeploymentProfile
from sigurnet.core.selectors import audit_action_label, get_profile
from sigurnet.core.services import save_profile
from sigurnet.hotline.models import Assessment, LegalBasis, Report

pytestmark = pytest.mark.django_db

LIST_URL = "/staff/hotline/settings/legal-bases/"


def offered(client: Client, report: Report) -> list[str]:
    """The legal bases the assessment form offers, by article."""
    form = client.get(f"/staff/hotline/{report.reference}/assess/").context["form"]
    if "legal_basis" not in form.fields:
        return []
    return [basis.code for basis in form.fields["legal_basis"].queryset]


def claimed(client: Client, make_report: Any, **kwargs: Any) -> Report:
    report = make_report(**kwargs)
    client.post(f"/staff/hotline/{report.reference}/claim/")
    return report


def assess(client: Client, report: Report, **data: Any) -> Any:
    posted = {"outcome": "actionable", "priority": "high", "category": "phishing_fraud"}
    posted.update(data)
    return client.post(f"/staff/hotline/{report.reference}/assess/", posted, follow=True)


def set_country(country: str) -> None:
    current = get_profile()
    profile = DeploymentProfile.objects.filter(pk=current.pk).first() or current
    profile.country = country
    save_profile(profile)


def test_the_seeded_serbian_list_is_offered(signed_in, make_report):
    analyst = signed_in("Hotline analyst")
    report = claimed(analyst, make_report, category="phishing_fraud")
    codes = offered(analyst, report)
    assert codes[:2] == ["čl. 185 KZ", "čl. 185b KZ"]
    assert "čl. 302 KZ" in codes


def test_a_supervisor_adds_a_basis_and_it_is_offered_on_the_assessment_form(signed_in, make_report):
    supervisor = signed_in("Hotline supervisor")
    page = supervisor.post(
        LIST_URL, {"code": "čl. 146 KZ", "title": "Neovlašćeno prikupljanje"}, follow=True
    )
    assert "The legal basis is added." in page.content.decode()
    basis = LegalBasis.objects.get(code="čl. 146 KZ")
    assert basis.country == "RS" and basis.active
    analyst = signed_in("Hotline analyst")
    report = claimed(analyst, make_report, category="phishing_fraud")
    assert offered(analyst, report)[-1] == "čl. 146 KZ"
    assert (
        "čl. 146 KZ - Neovlašćeno prikupljanje"
        in analyst.get(f"/staff/hotline/{report.reference}/assess/").content.decode()
    )


def test_the_same_article_twice_is_refused(signed_in):
    supervisor = signed_in("Hotline supervisor")
    page = supervisor.post(LIST_URL, {"code": "čl. 208 KZ", "title": "Prevara"}, follow=True)
    assert "That article is already on the list." in page.content.decode()
    assert LegalBasis.objects.filter(code="čl. 208 KZ").count() == 1


def test_an_analyst_cannot_edit_the_list(signed_in):
    analyst = signed_in("Hotline analyst")
    basis = LegalBasis.objects.get(code="čl. 208 KZ")
    assert analyst.get(LIST_URL).status_code == 403
    assert analyst.post(LIST_URL, {"code": "x", "title": "y"}).status_code == 403
    refused = analyst.post(LIST_URL, {"basis": basis.pk, "action": "deactivate"})
    assert refused.status_code == 403
    assert LegalBasis.objects.get(pk=basis.pk).active
    assert not LegalBasis.objects.filter(code="x").exists()


def test_an_actionable_phishing_assessment_without_a_basis_is_refused(signed_in, make_report):
    analyst = signed_in("Hotline analyst")
    report = claimed(analyst, make_report, category="phishing_fraud")
    form_page = analyst.get(f"/staff/hotline/{report.reference}/assess/").content.decode()
    assert "Required for “Actionable”." in form_page
    page = assess(analyst, report)
    assert "Choose the legal basis of an actionable report." in page.content.decode()
    assert not Assessment.objects.filter(report=report).exists()

    basis = LegalBasis.objects.get(code="čl. 208 KZ")
    page = assess(analyst, report, legal_basis=basis.pk)
    assert Assessment.objects.get(report=report).legal_basis == basis
    assert "čl. 208 KZ - Prevara" in page.content.decode()  # the report's page shows it


def test_no_basis_is_needed_when_the_countrys_list_is_empty(signed_in, make_report):
    set_country("ME")
    analyst = signed_in("Hotline analyst")
    report = claimed(analyst, make_report, category="phishing_fraud")
    assert offered(analyst, report) == []
    assess(analyst, report)
    assert Assessment.objects.get(report=report).legal_basis is None


def test_a_basis_is_not_kept_for_csam_or_for_not_actionable(signed_in, make_report):
    analyst = signed_in("Hotline analyst")
    basis = LegalBasis.objects.get(code="čl. 185 KZ")
    report = claimed(analyst, make_report, category="phishing_fraud")
    assess(analyst, report, outcome="not_actionable", legal_basis=basis.pk)
    assert Assessment.objects.get(report=report).legal_basis is None


def test_a_deactivated_basis_is_no_longer_offered_but_shows_on_an_old_assessment(
    signed_in, make_report
):
    analyst = signed_in("Hotline analyst")
    basis = LegalBasis.objects.get(code="čl. 302 KZ")
    old = claimed(analyst, make_report, category="phishing_fraud")
    assess(analyst, old, legal_basis=basis.pk)

    supervisor = signed_in("Hotline supervisor")
    supervisor.post(LIST_URL, {"basis": basis.pk, "action": "deactivate"})
    assert not LegalBasis.objects.get(pk=basis.pk).active

    new = claimed(analyst, make_report, category="phishing_fraud")
    assert "čl. 302 KZ" not in offered(analyst, new)
    page = assess(analyst, new, legal_basis=basis.pk)
    assert not Assessment.objects.filter(report=new).exists()
    assert "Select a valid choice" in page.content.decode()
    detail = analyst.get(f"/staff/hotline/{old.reference}/").content.decode()
    assert "čl. 302 KZ - Računarska prevara" in detail


def test_a_supervisor_reorders_the_list(signed_in, make_report):
    supervisor = signed_in("Hotline supervisor")
    second = LegalBasis.objects.get(code="čl. 185b KZ")
    supervisor.post(LIST_URL, {"basis": second.pk, "action": "up"})
    analyst = signed_in("Hotline analyst")
    report = claimed(analyst, make_report, category="phishing_fraud")
    assert offered(analyst, report)[:2] == ["čl. 185b KZ", "čl. 185 KZ"]


def test_only_the_profile_countrys_bases_are_offered(signed_in, make_report):
    LegalBasis.objects.create(country="BA", code="čl. 1 KZ BiH", title="Proba", order=10)
    analyst = signed_in("Hotline analyst")
    report = claimed(analyst, make_report, category="hate_speech")
    assert "čl. 1 KZ BiH" not in offered(analyst, report)
    assert "čl. 317 KZ" in offered(analyst, report)

    set_country("BA")
    assert offered(analyst, report) == ["čl. 1 KZ BiH"]
    serbian = LegalBasis.objects.get(code="čl. 317 KZ")
    page = assess(analyst, report, category="hate_speech", legal_basis=serbian.pk)
    assert "Select a valid choice" in page.content.decode()
    assert not Assessment.objects.filter(report=report).exists()
    # The list page shows and changes the profile country's list only.
    supervisor = signed_in("Hotline supervisor")
    page = supervisor.get(LIST_URL).content.decode()
    assert "čl. 1 KZ BiH" in page and "čl. 317 KZ" not in page
    assert supervisor.post(LIST_URL, {"basis": serbian.pk, "action": "up"}).status_code == 404


def test_every_change_to_the_list_is_audited(signed_in):
    supervisor = signed_in("Hotline supervisor")
    supervisor.post(LIST_URL, {"code": "čl. 146 KZ", "title": "Neovlašćeno prikupljanje"})
    added = LegalBasis.objects.get(code="čl. 146 KZ")
    supervisor.post(LIST_URL, {"basis": added.pk, "action": "up"})
    supervisor.post(LIST_URL, {"basis": added.pk, "action": "deactivate"})
    events = AuditEvent.objects.filter(action="hotline.legal_bases_changed").order_by("id")
    assert [e.detail["change"] for e in events] == ["added", "up", "deactivate"]
    assert {e.actor_id for e in events} == {supervisor.user.pk}
    assert {e.object_id for e in events} == {str(added.pk)}
    assert str(audit_action_label("hotline.legal_bases_changed")) == "Legal bases changed"
