"""Handovers without an account (the signed link) and with one (the partner view at /partner/).

The concrete handover here is the hotline's dispatch, the one registered today."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from sigurnet.core import handover
from sigurnet.core.handover_urls import partner_patterns
from sigurnet.core.log_filters import RedactHandoverLinks
from sigurnet.core.models import AuditEvent, ContactPerson
from sigurnet.core.roles import ROLES
from sigurnet.hotline.models import Dispatch
from tests.dispatch_factories import (
    home_police,
    institution,
    link_in,
    token_in,
)

pytestmark = pytest.mark.django_db


def link_of(dispatch: Dispatch) -> str:
    return link_in(dispatch.body)


# --- The signed link ------------------------------------------------------------------------


def test_a_link_opens_its_own_dispatch_only(make_dispatch):
    first = make_dispatch(urls=["https://first.example.com/a"])
    second = make_dispatch(urls=["https://second.example.com/b"])
    page = Client().get(link_of(first)).content.decode()
    assert "https://first.example.com/a" in page
    assert "https://second.example.com/b" not in page and second.subject not in page
    # The same payload with the other dispatch's id, and any change to the token, open nothing.
    payload, stamp, signature = token_in(first.body).split(":")
    forged = signing.b64_encode(f'{{"id":{second.pk},"v":1}}'.encode()).decode()
    for token in (f"{forged}:{stamp}:{signature}", f"{payload}:{stamp}:{signature[:-2]}xx"):
        response = Client().get(f"/handover/{token}/")
        assert response.status_code == 404
        assert second.subject not in response.content.decode()


def test_a_link_signed_for_another_kind_of_handover_opens_nothing(make_dispatch):
    dispatch = make_dispatch()
    signer = signing.TimestampSigner(salt="sigurnet.handover:helpline.referral")
    token = signer.sign_object({"id": dispatch.pk, "v": dispatch.link_version})
    assert handover.open_link(token).state == "invalid"
    assert Client().get(f"/handover/{token}/").status_code == 404


def test_a_link_expires_and_then_says_so_in_the_dispatch_language(make_dispatch, settings):
    dispatch = make_dispatch()  # to the police, whose contact reads sr-latn
    assert dispatch.language == "sr-latn"
    long_ago = timezone.now() - timedelta(days=settings.SIGURNET_HANDOVER_LINK_DAYS, hours=1)
    old = handover.make_token(dispatch, now=long_ago)
    assert handover.open_link(old).state == "expired"
    assert handover.open_link(old, now=long_ago + timedelta(days=1)).is_open
    response = Client().get(f"/handover/{old}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    with translation.override("sr-latn"):
        gone = gettext("This link no longer works")
    assert gone != "This link no longer works" and gone in response.content.decode()
    assert dispatch.subject not in response.content.decode()
    assert Client().post(f"/handover/{old}/", {"action": "acknowledge"}).status_code == 410
    assert Dispatch.objects.get(pk=dispatch.pk).acknowledged_at is None


def test_a_revoked_link_no_longer_opens_and_a_renewed_one_does(make_dispatch, analyst):
    dispatch = make_dispatch()
    link = link_of(dispatch)
    handover.revoke_link(dispatch, actor=analyst)
    assert Client().get(link).status_code == 410
    new_link, _expires = handover.renew_link(dispatch, actor=analyst)
    assert Client().get(link).status_code == 410  # an older version stays dead
    assert Client().get(urlsplit(new_link).path).status_code == 200


def test_the_contact_acknowledges_and_records_an_outcome_through_the_link(make_dispatch):
    dispatch = make_dispatch()
    link = link_of(dispatch)
    client = Client()
    response = client.post(link, {"action": "acknowledge"})
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    with translation.override(dispatch.language):
        assert gettext("Thank you: your acknowledgement is recorded.") in page
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.ACKNOWLEDGED
    assert dispatch.acknowledged_via == "link" and dispatch.acknowledged_at is not None
    event = AuditEvent.objects.get(action="handover.acknowledged")
    assert event.object_type == "hotline.dispatch" and event.object_id == str(dispatch.pk)
    assert event.actor_id is None and event.detail["via"] == "link"

    client.post(link, {"action": "acknowledge"})  # again: nothing new
    assert AuditEvent.objects.filter(action="handover.acknowledged").count() == 1

    client.post(link, {"action": "outcome", "outcome": "removed", "note": "Case 12/2026"})
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.CLOSED
    assert (dispatch.outcome, dispatch.outcome_note) == ("removed", "Case 12/2026")
    assert AuditEvent.objects.get(action="handover.outcome_recorded").detail["outcome"] == "removed"
    with translation.override(dispatch.language):
        assert str(Dispatch.Outcome.REMOVED.label) in client.get(link).content.decode()


def test_an_outcome_without_a_choice_records_nothing(make_dispatch):
    dispatch = make_dispatch()
    response = Client().post(link_of(dispatch), {"action": "outcome", "outcome": "deleted"})
    assert response.status_code == 200
    assert Dispatch.objects.get(pk=dispatch.pk).outcome == ""


def test_the_link_page_refuses_a_post_without_the_csrf_token(make_dispatch):
    dispatch = make_dispatch()
    response = Client(enforce_csrf_checks=True).post(link_of(dispatch), {"action": "acknowledge"})
    assert response.status_code == 403
    assert Dispatch.objects.get(pk=dispatch.pk).acknowledged_at is None


def test_the_link_page_is_not_indexed_kept_or_passed_on(make_dispatch):
    dispatch = make_dispatch(urls=["https://abuse.example.net/x"])
    for response in (
        Client().get(link_of(dispatch)),
        Client().get("/handover/not-a-token/"),
    ):
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "strict-origin"  # never the path
        assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    text = Client().get(link_of(dispatch)).content.decode()
    assert "https://abuse.example.net/x" in text and 'href="https://abuse' not in text


def test_the_link_page_is_throttled_per_client(make_dispatch, settings):
    settings.SIGURNET_HANDOVER_REQUESTS_PER_CLIENT_PER_MINUTE = 3
    link = link_of(make_dispatch())
    client = Client()
    assert [client.get(link).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(link)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.get(link).status_code == 200


def test_the_token_is_never_written_to_the_logs(make_dispatch, caplog, analyst):
    dispatch = make_dispatch()
    token = token_in(dispatch.body)
    handover.revoke_link(dispatch, actor=analyst)
    with caplog.at_level(logging.DEBUG):
        assert Client().get(f"/handover/{token}/").status_code == 410
        assert Client().get(f"/handover/{token}x/").status_code == 404
    assert token not in caplog.text
    # Django logs every answer of 400 and more with its path: not these.
    assert not [r for r in caplog.records if r.name == "django.request"]
    # What Django itself logs with the path (a refused CSRF check) goes through the filter
    # that the console handler carries.
    record = logging.LogRecord(
        "django.security.csrf", logging.WARNING, "", 0, "Forbidden (%s): %s",
        ("CSRF token missing.", f"/handover/{token}/"), None,
    )  # fmt: skip
    RedactHandoverLinks().filter(record)
    assert token not in record.getMessage() and "/handover/[link]/" in record.getMessage()
    console = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert console and any(isinstance(f, RedactHandoverLinks) for f in console[0].filters)


# --- The partner view ---------------------------------------------------------------------


@pytest.fixture
def partner(signed_in):
    """A signed-in Partner contact: the contact person of the Serbian police unit."""
    client = signed_in("Partner contact", username="marko")
    police = home_police()
    police.contacts.update(user=client.user)
    return client


def test_a_partner_sees_only_their_institutions_dispatches_and_no_report(partner, make_dispatch):
    own = make_dispatch(urls=["https://own.example.com/1"])
    other_place = institution("prosecutor", name="Example Prosecutor")
    other = make_dispatch(to=other_place, kind="prosecutor", urls=["https://other.example.com/2"])
    page = partner.get("/partner/").content.decode()
    assert f"/partner/dispatch/{own.pk}/" in page and f"/partner/dispatch/{other.pk}/" not in page
    detail = partner.get(f"/partner/dispatch/{own.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    report = own.reports.get()
    assert "https://own.example.com/1" in text
    assert report.description not in text and "/staff/hotline/" not in text
    assert partner.get(f"/partner/dispatch/{other.pk}/").status_code == 404
    assert partner.get("/partner/referral/1/").status_code == 404
    assert partner.get("/staff/hotline/").status_code == 403
    assert partner.get(f"/staff/hotline/{report.reference}/").status_code == 403
    assert partner.get(f"/staff/hotline/dispatches/{own.pk}/").status_code == 403


def test_a_partner_acknowledges_and_records_an_outcome_in_the_partner_view(partner, make_dispatch):
    dispatch = make_dispatch()
    url = f"/partner/dispatch/{dispatch.pk}/"
    assert partner.post(url, {"action": "acknowledge"}).status_code == 303
    partner.post(url, {"action": "outcome", "outcome": "under_investigation"})
    dispatch.refresh_from_db()
    assert dispatch.acknowledged_via == "account" and dispatch.outcome == "under_investigation"
    event = AuditEvent.objects.get(action="handover.acknowledged")
    assert event.actor_id == partner.user.pk and event.detail["via"] == "account"


def test_the_partner_view_speaks_the_contact_persons_language_until_they_choose_one(
    partner, make_dispatch
):
    make_dispatch()
    with translation.override("sr-latn"):
        heading = gettext("Sent to your institution")
    assert heading != "Sent to your institution"
    assert heading in partner.get("/partner/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    partner.post("/staff/language/", {"language": "en", "next": "/partner/"})
    assert "Sent to your institution" in partner.get("/partner/").content.decode()


def test_a_partner_account_without_a_contact_person_is_told_so(signed_in):
    client = signed_in("Partner contact", username="nobody")
    page = client.get("/partner/").content.decode()
    assert "Your account is not linked to a contact person" in page
    assert not ContactPerson.objects.filter(user=client.user).exists()


def partner_pages(dispatch: Dispatch) -> list[tuple[str, str, str]]:
    """(url name, method, path) for every partner URL; the test below checks that this list
    names every pattern, so a new page cannot be added without its permission test."""
    return [
        ("list", "get", "/partner/"),
        ("detail", "get", f"/partner/dispatch/{dispatch.pk}/"),
    ]


def test_the_permission_table_covers_every_partner_url(make_dispatch):
    named = {name for name, _method, _path in partner_pages(make_dispatch())}
    assert named == {pattern.name for pattern in partner_patterns[0]}


@pytest.mark.parametrize("role", [role.name for role in ROLES if role.name != "Partner contact"])
def test_every_other_role_is_refused_the_partner_pages_and_sees_no_link(
    role, signed_in, make_dispatch
):
    dispatch = make_dispatch()
    client = signed_in(role)
    for _name, method, path in partner_pages(dispatch):
        assert getattr(client, method)(path).status_code == 403, path
    assert 'href="/partner/"' not in client.get("/staff/").content.decode()


def test_partner_pages_send_a_visitor_to_sign_in(make_dispatch):
    for _name, method, path in partner_pages(make_dispatch()):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_a_partner_contact_reaches_the_partner_pages_and_sees_the_link(partner, make_dispatch):
    dispatch = make_dispatch()
    for _name, method, path in partner_pages(dispatch):
        assert getattr(partner, method)(path).status_code == 200, path
    assert 'href="/partner/"' in partner.get("/staff/").content.decode()
