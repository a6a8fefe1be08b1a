"""Who may use /staff/hotline/: hotline analysts and supervisors; no other role."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver
from PIL import Image

from sigurnet.core.models import Institution
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import Dispatch, Evidence
from sigurnet.hotline.triage import urls as triage_urls

OTHER_ROLES = ["Helpline counsellor", "Helpline supervisor", "Editor", "Educator"]
OTHER_ROLES += ["Partner contact", "Administrator"]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def report_with_evidence(make_report, settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = str(tmp_path)
    report = make_report()
    clean = evidence_files.inspect(png())
    Evidence.objects.create(
        report=report,
        storage_name=evidence_files.write_encrypted(clean),
        original_name="slika.png",
        content_type=clean.content_type,
        size=len(clean.content),
    )
    police = Institution.objects.filter(kind="police").first()
    Dispatch.objects.create(institution=police, kind="police", language="en").reports.add(report)
    return report


def url_names(patterns: list[URLPattern | URLResolver]) -> set[str]:
    """The names of every pattern, also those of included URL modules (forwarding)."""
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= url_names(pattern.url_patterns)
        elif pattern.name:
            names.add(pattern.name)
    return names


def pages(report) -> list[tuple[str, str, str]]:
    """(url name, method, path) for every URL of the triage; the test below checks that this
    list names every pattern, so a new page cannot be added without its permission test."""
    ref = report.reference
    ev = report.evidence.get().pk
    item = report.reported_urls.get().content_item_id
    domain = report.reported_urls.get().content_item.domain_index
    dispatch = report.dispatches.get().pk
    return [
        ("queue", "get", "/staff/hotline/"),
        ("items", "get", "/staff/hotline/items/"),
        ("domains", "get", "/staff/hotline/domains/"),
        ("settings", "get", "/staff/hotline/settings/"),
        ("legal-bases", "get", "/staff/hotline/settings/legal-bases/"),
        ("item-duplicates", "post", f"/staff/hotline/items/{item}/duplicates/"),
        ("item-assess", "get", f"/staff/hotline/items/{item}/assess/"),
        ("domain-assess", "get", f"/staff/hotline/domains/{domain}/assess/"),
        ("detail", "get", f"/staff/hotline/{ref}/"),
        ("claim", "post", f"/staff/hotline/{ref}/claim/"),
        ("release", "post", f"/staff/hotline/{ref}/release/"),
        ("assign", "post", f"/staff/hotline/{ref}/assign/"),
        ("assess", "get", f"/staff/hotline/{ref}/assess/"),
        ("ask", "get", f"/staff/hotline/{ref}/ask/"),
        ("feedback", "get", f"/staff/hotline/{ref}/feedback/"),
        ("confirm", "post", f"/staff/hotline/{ref}/confirm/"),
        ("dispute", "post", f"/staff/hotline/{ref}/dispute/"),
        ("open-url", "get", f"/staff/hotline/{ref}/urls/0/open/"),
        ("evidence", "get", f"/staff/hotline/{ref}/evidence/{ev}/"),
        ("look-up", "post", f"/staff/hotline/{ref}/items/{item}/look-up/"),
        # Forwarding (hotline/forwarding/urls.py, included by the triage's).
        ("forward", "get", f"/staff/hotline/{ref}/forward/"),
        ("dispatches", "get", "/staff/hotline/dispatches/"),
        ("dispatch", "get", f"/staff/hotline/dispatches/{dispatch}/"),
        ("dispatch-revoke", "post", f"/staff/hotline/dispatches/{dispatch}/revoke/"),
        ("dispatch-new-link", "post", f"/staff/hotline/dispatches/{dispatch}/new-link/"),
        ("dispatch-hold", "post", f"/staff/hotline/dispatches/{dispatch}/hold/"),
        ("dispatch-release-hold", "post", f"/staff/hotline/dispatches/{dispatch}/release-hold/"),
    ]


def test_the_permission_table_covers_every_triage_url(report_with_evidence):
    named = {name for name, _method, _path in pages(report_with_evidence)}
    assert named == url_names(triage_urls.urlpatterns)


@pytest.mark.parametrize("role", ["Hotline analyst", "Hotline supervisor"])
def test_hotline_staff_reach_every_triage_page(role, signed_in, report_with_evidence):
    client = signed_in(role)
    for name, method, path in pages(report_with_evidence):
        response = getattr(client, method)(path)
        if name in ("assign", "settings", "legal-bases") and role == "Hotline analyst":
            assert response.status_code == 403, path  # assigning and settings: supervisors
        else:
            assert response.status_code in (200, 302), (path, response.status_code)
            if response.status_code == 302:
                assert "/staff/login" not in response["Location"], path


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_are_refused_every_triage_page_and_see_no_link(
    role, signed_in, report_with_evidence
):
    client = signed_in(role)
    for _name, method, path in pages(report_with_evidence):
        assert getattr(client, method)(path).status_code == 403, path
    dashboard = client.get("/staff/").content.decode()
    assert "/staff/hotline/" not in dashboard


def test_hotline_staff_see_the_queue_link_on_the_dashboard(signed_in):
    dashboard = signed_in("Hotline analyst").get("/staff/").content.decode()
    assert 'href="/staff/hotline/"' in dashboard


def test_signed_out_visitor_is_sent_to_sign_in(report_with_evidence):
    for _name, method, path in pages(report_with_evidence):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/login/"), path


def test_analyst_without_second_factor_is_sent_to_verify(make_staff, report_with_evidence):
    from tests.conftest import STAFF_PASSWORD

    user = make_staff("Hotline analyst")
    client = Client()
    client.post("/staff/login/", {"username": user.username, "password": STAFF_PASSWORD})
    for _name, method, path in pages(report_with_evidence):
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/login/verify/"), path


def test_the_view_guard_itself_requires_the_second_factor(make_staff, rf):
    """Without the staff middleware in front (a view mounted elsewhere), the guard still sends
    a signed-in but unverified analyst to the second factor, and refuses a wrong role."""
    from django.core.exceptions import PermissionDenied

    from sigurnet.hotline.triage.views import queue

    analyst = make_staff("Hotline analyst")
    request = rf.get("/elsewhere/")
    request.user = analyst
    analyst.is_verified = lambda: False
    response = queue(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")
    editor = make_staff("Editor")
    editor.is_verified = lambda: True
    request.user = editor
    with pytest.raises(PermissionDenied):
        queue(request)
