"""Hosting facts in front of the analyst: the report's page says where each address is hosted
(host, addresses, country by name, network, abuse address, when it was looked up, or what went
wrong, in words), what the removal checks found, and offers "Look up again".

The facts come from our own DNS server, MMDB file and RDAP stub on loopback
(``test_hosting_lookup``'s fixtures); what arrives from outside is shown as text."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone, translation

from sigurnet.core.countries import DATA, country_label, country_name
from sigurnet.core.models import AuditEvent, Institution
from sigurnet.hotline.forwarding import checks, recipients
from sigurnet.hotline.forwarding.hosting import HostingAction
from sigurnet.hotline.models import ContentItem, HostingFacts
from tests.conftest import STAFF_PASSWORD, current_code
from tests.core.test_staff_languages import choose_language
from tests.dispatch_factories import assess, institution
from tests.hotline.test_hosting_lookup import (  # noqa: F401 - fixtures
    DUTCH_V4,
    SERBIAN_V4,
    SERBIAN_V6,
    asn_database,
    dns_zone,
    rdap,
)

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com/offer"
CDN = "https://cdn.example.net/p/1.jpg"


@pytest.fixture
def lead(make_staff):
    """The analyst who assesses the reports (not the one who reads the page)."""
    return make_staff("Hotline analyst", username="lead")


@pytest.fixture
def reader(signed_in):
    return signed_in("Hotline analyst", username="reader")


def page(client: Client, report) -> str:
    response = client.get(f"/staff/hotline/{report.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str) -> str:
    """The hosting section of the report's page."""
    start = html.index('id="hosting-title"')
    return html[start : html.index("</section>", start)]


def text(html: str) -> str:
    """What a reader sees of ``html``: no tags, spaces squeezed (entities left as they are)."""
    squeezed = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return squeezed.replace("( ", "(").replace(" )", ")")


def assessed(make_report, lead, callbacks, urls=(SHOP,)):
    """A report assessed actionable; its hosting look-ups ran (after the commit, eagerly)."""
    report = make_report(urls=list(urls))
    with callbacks(execute=True):
        assess(report, lead)
    return report


def look_up_path(report, item) -> str:
    return f"/staff/hotline/{report.reference}/items/{item.pk}/look-up/"


# --- What the page shows -------------------------------------------------------------------


def test_the_report_page_shows_where_each_address_is_hosted(
    dns_zone,  # noqa: F811
    asn_database,  # noqa: F811
    rdap,  # noqa: F811
    make_report,
    lead,
    reader,
    django_capture_on_commit_callbacks,
):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4], "AAAA": [SERBIAN_V6]}
    dns_zone.records["cdn.example.net"] = {"A": [DUTCH_V4]}
    report = assessed(make_report, lead, django_capture_on_commit_callbacks, urls=(SHOP, CDN))

    html = section(page(reader, report))

    item_ids = [url.content_item_id for url in report.reported_urls.order_by("position")]
    shop = html[: html.index(f'id="hosting-{item_ids[1]}"')]
    assert "shop.example.com" in shop
    assert SERBIAN_V4 in shop and SERBIAN_V6 in shop
    assert "Serbia (RS)" in shop  # the name, not only the code
    assert "AS64500" in shop and "Test Net RS" in shop
    assert "abuse@net-rs.example.org" in shop
    facts = HostingFacts.objects.get(item__reported_urls__report=report, host="shop.example.com")
    assert timezone.localtime(facts.looked_up_at).strftime("%Y-%m-%d %H:%M") in shop
    cdn = html[html.index(f'id="hosting-{item_ids[1]}"') :]
    assert DUTCH_V4 in cdn and "Netherlands (NL)" in cdn and "Test Net NL" in cdn
    # Nothing was checked yet: the report is assessed, not forwarded.
    assert "Not checked yet" in cdn


def test_the_country_is_named_in_the_staff_members_language(
    dns_zone,  # noqa: F811
    make_report,
    lead,
    reader,
    django_capture_on_commit_callbacks,
):
    dns_zone.records["shop.example.com"] = {"A": [DUTCH_V4]}
    report = assessed(make_report, lead, django_capture_on_commit_callbacks)
    path = f"/staff/hotline/{report.reference}/"

    choose_language(reader, "sr-latn", path)
    assert "Holandija (NL)" in section(page(reader, report))
    choose_language(reader, "sr", path)
    assert "Холандија (NL)" in section(page(reader, report))


def test_an_address_not_looked_up_yet_says_so(make_report, reader):
    report = make_report(urls=[SHOP])  # not assessed: nothing looked up

    html = section(page(reader, report))

    assert "Not looked up yet." in html
    assert "Not checked yet" in html


def test_a_failed_look_up_says_what_went_wrong_in_words(
    dns_zone,  # noqa: F811
    make_report,
    lead,
    reader,
    django_capture_on_commit_callbacks,
):
    report = assessed(make_report, lead, django_capture_on_commit_callbacks)  # no such name

    html = section(page(reader, report))

    assert "The look-up failed:" in html
    assert "The host name does not exist (any more)." in html
    assert "shop.example.com: no such name" in html  # the detail, for the technically minded


def test_an_account_on_a_platform_has_nothing_to_look_up_and_no_checks(
    make_report, lead, reader, django_capture_on_commit_callbacks
):
    report = make_report(urls=[], platform="TikTok", account="@primer.nalog")
    report = assessed(lambda **_kw: report, lead, django_capture_on_commit_callbacks)

    html = section(page(reader, report))

    assert "an account on a platform has no host of its own" in html
    assert "Look up again" not in html
    assert "Last check" not in html


def test_removal_checks_show_removed_since_the_last_check_and_how_many(
    make_report, reader, settings
):
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = 3
    report = make_report(urls=[SHOP])
    item = report.content_items.get()
    first = timezone.now() - timedelta(hours=6)
    online = checks.Probe(result="online", reason="http 200", status_code=200, method="HEAD")
    gone = checks.Probe(result="offline", reason="http 404", status_code=404, method="HEAD")
    checks.record_checks([(item.pk, online)], checked_at=first)
    checks.record_checks([(item.pk, gone)], checked_at=first + timedelta(hours=2))
    between = text(section(page(reader, report)))
    since = timezone.localtime(first + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    assert f"Offline at 1 check in a row since {since}; removed after 3." in between
    checks.record_checks([(item.pk, gone)], checked_at=first + timedelta(hours=4))
    checks.record_checks([(item.pk, gone)], checked_at=first + timedelta(hours=6))

    html_after = section(page(reader, report))

    item.refresh_from_db()
    assert item.state == ContentItem.State.REMOVED
    assert f"Removed since {since}" in html_after  # the first of the offline checks
    last = timezone.localtime(first + timedelta(hours=6)).strftime("%Y-%m-%d %H:%M")
    assert f"Last check {last} · Offline (http 404)" in text(html_after)
    assert "Checks kept 4" in text(html_after)


def test_an_item_online_at_its_last_check_says_online(make_report, reader):
    report = make_report(urls=[SHOP])
    item = report.content_items.get()
    checks.record_checks(
        [(item.pk, checks.Probe(result="online", reason="http 200", status_code=200))]
    )

    html = section(page(reader, report))

    assert "Online? Online Last check" in text(html)
    assert "Online (http 200) Checks kept 1" in text(html)


# --- What comes from outside is text -------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_names_that_come_from_dns_rdap_or_the_network_database_are_escaped(make_report, reader):
    report = make_report(urls=[SHOP])
    item = report.content_items.get()
    HostingFacts.objects.create(
        item=item,
        outcome=HostingFacts.Outcome.FOUND,
        host="shop.example.com",
        addresses=[
            {
                "address": "198.51.100.7",
                "version": 4,
                "public": True,
                "country": "NL",
                "asn": 64501,
                "network_name": "Net " + HOSTILE,
            }
        ],
        country="NL",
        asn=64501,
        network_name="Org " + HOSTILE,
        abuse_email=f'"{HOSTILE}"@example.org',
        looked_up_at=timezone.now(),
        error_code="rdap_bad_answer",
        error="detail " + HOSTILE,
    )

    html = page(reader, report)

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 4


# --- Look up again -------------------------------------------------------------------------


def test_look_up_again_looks_the_item_up_anew_and_is_audited(
    dns_zone,  # noqa: F811
    make_report,
    lead,
    reader,
    django_capture_on_commit_callbacks,
):
    report = assessed(make_report, lead, django_capture_on_commit_callbacks)  # no such name
    item = report.content_items.get()
    assert "The look-up failed:" in section(page(reader, report))
    assert 'action="' + look_up_path(report, item) + '"' in page(reader, report)
    dns_zone.records["shop.example.com"] = {"A": [DUTCH_V4]}  # the name exists now

    with django_capture_on_commit_callbacks(execute=True):
        response = reader.post(look_up_path(report, item))

    assert response.status_code == 302
    assert response["Location"] == f"/staff/hotline/{report.reference}/#hosting-{item.pk}"
    followed = reader.get(response["Location"]).content.decode()
    assert "A new look-up of where it is hosted is queued." in followed
    html = section(followed)
    assert "The look-up failed:" not in html
    assert DUTCH_V4 in html and "Netherlands (NL)" in html
    event = AuditEvent.objects.get(action=HostingAction.LOOKED_UP_AGAIN)
    assert event.actor_id == reader.user.pk
    assert event.object_id == str(item.pk)


def test_a_look_up_asked_for_but_not_run_yet_says_it_waits(make_report, reader):
    report = make_report(urls=[SHOP])
    item = report.content_items.get()

    reader.post(look_up_path(report, item))  # the commit callbacks do not run: it waits

    html = section(page(reader, report))
    assert "A new look-up is waiting to run" in html
    assert "Not looked up yet." in html


@pytest.fixture
def report_reader(make_staff):
    """A staff member who may read reports but not change them (a custom group)."""
    group, _created = Group.objects.get_or_create(name="Report readers (test)")
    group.permissions.set([Permission.objects.get(codename="view_report")])
    user = make_staff("Hotline analyst", username="onlyreads")
    user.groups.set([group])
    client = Client()
    client.post("/staff/login/", {"username": user.username, "password": STAFF_PASSWORD})
    client.post("/staff/login/verify/", {"token": current_code(user)})
    return client


def test_look_up_again_needs_the_permission_to_change_reports(
    make_report, report_reader, django_capture_on_commit_callbacks
):
    report = make_report(urls=[SHOP])
    item = report.content_items.get()
    html = page(report_reader, report)
    assert "Not looked up yet." in section(html)
    assert "Look up again" not in html  # no button for them

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = report_reader.post(look_up_path(report, item))

    assert response.status_code == 403
    assert callbacks == []
    assert not HostingFacts.objects.filter(item=item).exists()
    assert not AuditEvent.objects.filter(action=HostingAction.LOOKED_UP_AGAIN).exists()


def test_look_up_again_refuses_an_item_of_another_report(make_report, reader):
    report = make_report(urls=[SHOP])
    other = make_report(urls=[CDN]).content_items.get()

    response = reader.post(look_up_path(report, other))

    assert response.status_code == 404
    assert not HostingFacts.objects.filter(item=other).exists()


def test_look_up_again_is_a_post_with_the_csrf_token(make_report, make_staff):
    report = make_report(urls=[SHOP])
    item = report.content_items.get()
    user = make_staff("Hotline analyst", username="careful")
    client = Client(enforce_csrf_checks=True)

    def with_token(path: str, data: dict[str, str]):
        return client.post(path, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    client.get("/staff/login/")
    with_token("/staff/login/", {"username": user.username, "password": STAFF_PASSWORD})
    with_token("/staff/login/verify/", {"token": current_code(user)})
    assert "Look up again" in page(client, report)

    assert client.get(look_up_path(report, item)).status_code == 405
    assert client.post(look_up_path(report, item)).status_code == 403  # no CSRF token
    assert not HostingFacts.objects.filter(item=item).exists()
    assert with_token(look_up_path(report, item), {}).status_code == 302
    assert HostingFacts.objects.filter(item=item).exists()


# --- Country names -------------------------------------------------------------------------


def test_suggestion_reasons_name_the_country_in_the_staff_language(
    dns_zone,  # noqa: F811
    make_report,
    lead,
    django_capture_on_commit_callbacks,
):
    dns_zone.records["shop.example.com"] = {"A": [DUTCH_V4]}
    hotline_nl = institution(Institution.Kind.PARTNER_HOTLINE, "NL", name="Meldpunt (test)")
    report = assessed(make_report, lead, django_capture_on_commit_callbacks)

    reasons = {}
    for language in ("en", "sr-latn", "sr", "bs"):
        with translation.override(language):
            (suggestion,) = [
                s for s in recipients.suggest_recipients(report) if s.institution == hotline_nl
            ]
            reasons[language] = suggestion.reason

    assert reasons["en"] == "Hosted in Netherlands (NL): that country's INHOPE partner hotline."
    assert "Holandija (NL)" in reasons["sr-latn"]
    assert "Холандија (NL)" in reasons["sr"]
    assert "Holandija (NL)" in reasons["bs"]


def test_every_country_has_its_name_in_every_language():
    names = json.loads(DATA.read_text(encoding="utf-8"))
    assert len(names) >= 249  # every ISO 3166-1 code, and the registries' EU, AP
    for code, entry in names.items():
        assert len(code) == 2 and code.isupper()
        assert entry["en"] and entry["sr-latn"]
    assert country_name("DE", "sr-latn") == "Nemačka"
    assert country_name("DE", "bs") == "Njemačka"  # ijekavian where it differs
    assert country_name("DE", "sr") == "Немачка"
    assert country_name("RS", "en") == "Serbia"
    assert country_label("ZZ", "en") == "ZZ"  # unknown: the code as it is
    assert country_label("", "en") == ""
