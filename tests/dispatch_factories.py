"""Shared actors of the dispatch and handover tests: an assessed report, dispatches made the
way an analyst makes them (``forwarding.services.forward``), and their signed links."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from sigurnet.core.models import ContactPerson, Institution
from sigurnet.hotline.forwarding import services as forwarding
from sigurnet.hotline.forwarding import takedown
from sigurnet.hotline.models import Dispatch, LegalBasis
from sigurnet.hotline.triage import services as triage

CSAM_CLASSIFICATION = {
    "legal_class": "baseline",
    "victim_age": "prepubescent",
    "victim_gender": "female",
    "content_kind": "video",
    "commercial": False,
}
LINK = re.compile(r"https?://[^\s/]+(/handover/([^\s/]+)/)")


def assess(report: Any, analyst: Any, **fields: Any) -> Any:
    """Take and assess ``report`` as ``analyst`` does (actionable unless said otherwise)."""
    if report.assignee_id is None:
        triage.claim(report, actor=analyst)
    category = fields.pop("category", report.category)
    outcome = fields.pop("outcome", "actionable")
    if outcome == "actionable" and category != "csam" and "legal_basis" not in fields:
        # The centre's list of legal bases (seeded for RS): an actionable assessment names one.
        fields["legal_basis"] = LegalBasis.objects.filter(country="RS", active=True).first()
    triage.assess(
        report,
        outcome=outcome,
        priority=fields.pop("priority", "high"),
        category=category,
        classification=CSAM_CLASSIFICATION if category == "csam" else None,
        actor=analyst,
        **fields,
    )
    report.refresh_from_db()
    return report


def institution(kind: str, country: str = "RS", **fields: Any) -> Institution:
    """An invented institution with a contact person who has an e-mail address."""
    languages = fields.pop("languages", [])
    found = Institution.objects.create(
        name=fields.pop("name", f"Test {kind} {country} {Institution.objects.count()}"),
        kind=kind,
        country=country,
        languages=languages,
        intake_email=fields.pop("intake_email", ""),
    )
    ContactPerson.objects.create(
        institution=found,
        name=fields.pop("contact_name", "Vera Primerović"),
        email=fields.pop("email", f"contact{found.pk}@example.org"),
        languages=fields.pop("contact_languages", languages),
        is_primary=True,
    )
    return found


def home_police() -> Institution:
    """The seeded police unit of Serbia, its contact person reading Serbian in Latin script.
    (Made here when a transactional test before this one emptied the seeded registry.)"""
    police = Institution.objects.filter(country="RS", kind="police").first()
    if police is None:
        police = institution("police", "RS", name="Example Police Unit")
    police.contacts.update(languages=["sr-latn"])
    return police


@pytest.fixture
def analyst(make_staff: Callable[..., Any]) -> Any:
    return make_staff("Hotline analyst", username="dara")


@pytest.fixture
def make_dispatch(
    make_report: Callable[..., Any], analyst: Any, django_capture_on_commit_callbacks: Any
) -> Callable[..., Dispatch]:
    """``make_dispatch(institution, kind="police", **report_fields)``: a report filed, assessed
    and forwarded to ``institution`` through the service; its e-mail sent after the commit
    (to the test outbox, ``django.core.mail.outbox``, unless a test points it elsewhere)."""

    def make(to: Institution | None = None, kind: str = "police", **report_fields: Any) -> Any:
        report = assess(make_report(**report_fields), analyst)
        with django_capture_on_commit_callbacks(execute=True):
            (dispatch,) = forwarding.forward(
                report, [forwarding.Recipient(to or home_police(), kind)], actor=analyst
            )
        if takedown.is_notice(kind):
            # A notice to a host or platform waits for its delay and checks its items first:
            # here it goes at its time, its items found online (no test touches the internet).
            with django_capture_on_commit_callbacks(execute=True):
                takedown.send_notice(dispatch.pk, now=dispatch.send_after, online=lambda _i: True)
        dispatch.refresh_from_db()
        return dispatch

    return make


def link_in(body: str) -> str:
    """The path of the signed link in an e-mail's text (``/handover/<token>/``)."""
    found = LINK.search(body)
    assert found, body
    return found.group(1)


def token_in(body: str) -> str:
    found = LINK.search(body)
    assert found, body
    return found.group(2)


def mail_of(dispatch: Dispatch) -> Any:
    """The e-mail of ``dispatch`` in the test outbox."""
    (sent,) = [m for m in mail.outbox if m.extra_headers.get("Message-ID") == dispatch.message_id]
    return sent
