"""Issue 14's "done when" 1 in a real browser: one report from its assessment to the reporter
reading that the content was removed.

A reporter files a web address; an analyst assesses it as actionable, confirms the suggested
police unit and hosting provider on the forward page and sends; both e-mails arrive at an SMTP
sink; the provider's abuse desk opens the signed link from its e-mail, acknowledges and
records the removal; the re-checks find the address gone; the reporter reads "removed" with
the receipt code, in Cyrillic.

Nothing touches the internet: the host name resolves through a DNS server of the test's own
on loopback (to an address the bundled registry data places at home, inside the provider's
network), and the re-checks go through the configured proxy, an HTTP server on loopback that
answers for the reported address and then stops serving it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone, translation

from sigurnet.core.countries import country_name
from sigurnet.core.models import Institution
from sigurnet.core.selectors import get_profile
from sigurnet.hotline.forwarding import check_tasks
from sigurnet.hotline.models import (
    ContentCheck,
    ContentItem,
    Dispatch,
    DispatchKind,
    LegalBasis,
    Report,
    Status,
)
from tests.browser.test_third_party_requests import ForeignRequestDetector
from tests.browser.test_triage_in_browser import sign_in
from tests.core.test_outbox import Sink, smtp  # noqa: F401 - the SMTP sink fixture
from tests.dispatch_factories import home_police, institution, link_in
from tests.hotline.test_hosting_lookup import SERBIAN_V4, dns_zone  # noqa: F401 - the fixture
from tests.hotline.test_takedown_checks import Site

pytestmark = pytest.mark.browser

CONTINUE = "main form .form-buttons button.button:not([name='back'])"
HOST = "video.hoster.example"
URL = f"http://{HOST}/clip/7"
HOST_NETWORK = "147.91.0.0/16"  # where SERBIAN_V4 is
ABUSE_DESK = "abuse-desk@example.org"
REPORTER = "citalac@example.org"
CONFIRMATIONS = 3
# The receipt page and the reporter's message, in Serbian Cyrillic (the report's language).
REMOVED_SR = "Добре вести: оно што је било у пријави је уклоњено."  # noqa: RUF001
REMOVED_WORD_SR = "уклоњено"


@pytest.fixture
def proxy(settings: Any) -> Iterator[Site]:
    """The checks' proxy: an HTTP server on loopback that answers for absolute addresses."""
    site = Site()
    settings.SIGURNET_CHECK_PROXY = f"http://127.0.0.1:{site.port}"
    yield site
    site.stop()


@pytest.fixture(autouse=True)
def _settings(settings: Any, tmp_path: Path) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = str(tmp_path / "evidence")
    settings.SIGURNET_TAKEDOWN_DELAY_MINUTES = 0  # the notice to the host goes at once
    settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = CONFIRMATIONS
    settings.SIGURNET_CHECK_INTERVAL_MINUTES = 120
    settings.SIGURNET_CHECK_CONNECT_TIMEOUT = 3
    settings.SIGURNET_CHECK_READ_TIMEOUT = 3


def received(sink: Sink) -> list[EmailMessage]:
    with sink.lock:
        raw = list(sink.messages)
    return [message_from_bytes(data, policy=policy.default) for data in raw]


def sent_to(sink: Sink, address: str) -> list[EmailMessage]:
    return [m for m in received(sink) if address in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    return str(message.get_content())


def file_report(tab: Any, base_url: str, language: str) -> tuple[str, str]:
    """File a hate-speech report of ``URL`` through the public form, asking to be told what
    happened; returns (reference, receipt code)."""
    tab.goto(f"{base_url}/{language}/report/")
    tab.check("input[name='category'][value='hate_speech']")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/where/")
    tab.fill("[name='urls']", URL)
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/details/")
    tab.fill("textarea[name='description']", "Snimak poziva na nasilje prema komšijama.")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/you/")
    tab.fill("input[name='contact_email']", REPORTER)
    tab.check("input[name='contact_consent']")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/check/")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/done/")
    return tab.locator("strong.reference").inner_text(), tab.locator("#receipt").inner_text()


def open_receipt(tab: Any, base_url: str, language: str, receipt: str) -> str:
    """The reporter's status page for ``receipt``: its main text."""
    tab.goto(f"{base_url}/{language}/report/status/")
    tab.fill("input[name='receipt']", receipt)
    tab.locator("main form button[type='submit']").click()
    tab.wait_for_url(f"**/{language}/report/status/view/")
    return str(tab.locator("main").inner_text())


def recheck(item: ContentItem) -> ContentItem:
    """One run of the beat's re-check task with ``item`` due (its next check moved to now,
    as if the interval had passed)."""
    ContentItem.objects.filter(pk=item.pk).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    counts = check_tasks.recheck_due_items()
    assert counts["claimed"] == 1, counts
    return ContentItem.objects.get(pk=item.pk)


def row_text(tab: Any, selector: str, name: str) -> str:
    return str(tab.locator(selector, has_text=name).inner_text())


def test_a_report_goes_from_assessment_to_the_police_and_the_host_and_its_removal_is_read(
    chromium: Any,
    base_url: str,
    make_staff: Any,
    dns_zone: Any,  # noqa: F811 - the fixture
    proxy: Site,
    smtp: Any,  # noqa: F811 - the fixture
) -> None:
    sink = smtp(Sink())
    home = get_profile().country.upper()
    assert home == "RS"  # SERBIAN_V4 is at home: the police are suggested for it
    dns_zone.records[HOST] = {"A": [SERBIAN_V4]}
    proxy.answer(URL, 200)
    police = home_police()
    police_mail = police.contacts.get(is_primary=True).email
    prosecutor = Institution.objects.filter(country=home, kind="prosecutor").first()
    if prosecutor is None:  # a transactional test before this one emptied the registry
        prosecutor = institution("prosecutor", home, name="Example Prosecutor's Office")
    host = Institution.objects.create(
        name="Example Hosting d.o.o.",
        kind=Institution.Kind.HOSTING_PROVIDER,
        country=home,
        languages=["en"],
        intake_email=ABUSE_DESK,
        networks=[HOST_NETWORK],
    )
    basis = LegalBasis.objects.filter(country=home, active=True).first()
    if basis is None:
        basis = LegalBasis.objects.create(country=home, code="317", title="Izazivanje mržnje")
    analyst = make_staff("Hotline analyst", username="analiticarka")

    detector = ForeignRequestDetector(urlsplit(base_url).netloc)
    contexts = [
        chromium.new_context(),  # the reporter
        chromium.new_context(),  # the analyst
        chromium.new_context(java_script_enabled=False),  # the host's abuse desk
    ]
    for context in contexts:
        detector.attach(context)
    try:
        reporter, tab, desk = (context.new_page() for context in contexts)

        # --- The reporter files the address, in Cyrillic -------------------------------------
        reference, receipt = file_report(reporter, base_url, "sr")
        report = Report.objects.get(reference=reference)
        (item,) = report.content_items.all()
        assert item.kind == ContentItem.Kind.URL

        # --- The analyst takes and assesses it -----------------------------------------------
        sign_in(tab, base_url, analyst)
        tab.goto(f"{base_url}/staff/hotline/")
        row = tab.locator("table.triage-queue tbody tr", has_text=reference)
        row.get_by_role("button", name="I take it").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/")
        tab.get_by_role("link", name="Assess", exact=True).click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/assess/")
        tab.select_option("select[name='outcome']", "actionable")
        tab.select_option("select[name='priority']", "high")
        tab.select_option("select[name='category']", "hate_speech")
        tab.select_option("select[name='legal_basis']", str(basis.pk))
        tab.get_by_role("button", name="Save the assessment").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/")
        assert "is assessed" in tab.locator(".messages").inner_text()

        # The assessment looked the host up (through the loopback DNS server): at home, in
        # the provider's network.
        item.refresh_from_db()
        assert (item.hosting.outcome, item.hosting.country) == ("found", home)

        # --- Forward: the police and the host, not the prosecutor ----------------------------
        tab.get_by_role("link", name="Forward", exact=True).click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/forward/")
        choices = tab.locator("ul.choices li.choice")
        offered = choices.all_inner_texts()
        assert len(offered) == 3, offered
        home_name = country_name(home, "en")  # the staff page names the country
        assert f"Hosted at home ({home_name})" in row_text(tab, "li.choice", police.name)
        assert f"Hosted at home ({home_name})" in row_text(tab, "li.choice", prosecutor.name)
        host_row = row_text(tab, "li.choice", host.name)
        assert HOST_NETWORK in host_row and "Notice and takedown" in host_row
        assert "Written in: en." in host_row
        for choice in choices.all():
            assert choice.locator("input[type='checkbox']").is_checked()  # all ticked
        choices.filter(has_text=prosecutor.name).locator("input").uncheck()
        tab.get_by_role("button", name="Send the dispatches").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/forward/")
        assert "2 dispatches made." in tab.locator(".messages").inner_text()
        made = tab.locator("section[aria-labelledby='made-title']").inner_text()
        assert f"{police.name} · Sent" in made and f"{host.name} · Sent" in made
        assert prosecutor.name not in made
        assert "Sent on to the people who can act" in tab.locator("main h1").inner_text()

        # Both e-mails are at the mail server, each once; the reporter's words in neither.
        to_police, to_host = sent_to(sink, police_mail), sent_to(sink, ABUSE_DESK)
        assert (len(to_police), len(to_host)) == (1, 1), [m["To"] for m in received(sink)]
        notice = text_of(to_host[0])
        assert reference in str(to_host[0]["Subject"]) and reference in str(to_police[0]["Subject"])
        assert "Notice of illegal content on your network" in str(to_host[0]["Subject"])
        assert URL in notice and URL in text_of(to_police[0])
        assert "komšijama" not in notice and "komšijama" not in text_of(to_police[0])
        assert basis.code in notice  # the legal basis is named

        # The dispatch list says what went where.
        tab.get_by_role("link", name="Dispatches", exact=True).first.click()
        tab.wait_for_url("**/staff/hotline/dispatches/")
        listed = "table.triage-queue tbody tr"
        assert tab.locator(listed).count() == 2
        assert "Sent" in row_text(tab, listed, police.name)
        assert "Sent" in row_text(tab, listed, host.name)

        # The reporter's page already says it was sent on.
        with translation.override("sr"):
            forwarded = str(Status.FORWARDED.label)
        assert forwarded != str(Status.FORWARDED.label)  # Cyrillic, not the English
        page = open_receipt(reporter, base_url, "sr", receipt)
        assert forwarded in page and REMOVED_SR not in page

        # --- The abuse desk answers through the signed link, without JavaScript -------------
        desk.goto(base_url + link_in(notice))
        assert f"This page shows what we sent to {host.name}, and nothing else." in (
            desk.locator("main").inner_text()
        )
        assert URL in desk.locator("ol.reported-urls").inner_text()
        assert desk.locator(f"a[href*='{HOST}']").count() == 0  # text, never a link
        assert "komšijama" not in desk.locator("main").inner_text()
        desk.get_by_role("button", name="We have received it").click()
        desk.wait_for_url("**?done=acknowledged")
        assert "your acknowledgement is recorded" in desk.locator("[role='status']").inner_text()
        desk.locator("input[name='outcome'][value='removed']").check()
        desk.fill("textarea[name='note']", "Ticket 4711: taken down.")
        desk.get_by_role("button", name="Record the outcome").click()
        desk.wait_for_url("**?done=outcome")
        assert "the outcome is recorded" in desk.locator("[role='status']").inner_text()
        assert "Outcome recorded: Removed" in desk.locator("dl.facts").inner_text()

        tab.reload()
        assert "Outcome recorded: Removed" in row_text(tab, listed, host.name)
        assert "acknowledged" in row_text(tab, listed, host.name)
        assert "Sent" in row_text(tab, listed, police.name)

        # --- The re-checks: online, then the proxy stops serving it --------------------------
        assert recheck(item).state == ContentItem.State.ONLINE
        proxy.answer(URL, 404)
        for _ in range(CONFIRMATIONS - 1):
            assert recheck(item).state != ContentItem.State.REMOVED
        page = open_receipt(reporter, base_url, "sr", receipt)
        assert REMOVED_SR not in page  # not yet: not confirmed
        item = recheck(item)
        assert item.state == ContentItem.State.REMOVED
        offline = ContentCheck.objects.filter(item=item, result="offline").order_by("checked_at")
        times = list(offline.values_list("checked_at", flat=True))
        assert len(times) == CONFIRMATIONS
        assert item.removed_at == times[0]  # removed since the first offline check
        # Every check went to the proxy, asking for the reported address only.
        assert proxy.requests and {r["path"] for r in proxy.requests} == {URL}

        # --- The reporter reads that it was removed --------------------------------------------
        page = open_receipt(reporter, base_url, "sr", receipt)
        assert REMOVED_SR in page
        assert forwarded in page
        told = reporter.locator("ol.conversation li.from-hotline").all_inner_texts()
        assert len(told) == 1 and REMOVED_WORD_SR in told[0]
    finally:
        for context in contexts:
            context.close()

    # The reporter, who asked to be told, got the same news by e-mail, in their script.
    (news,) = [m for m in sent_to(sink, REPORTER) if reference in str(m["Subject"])]
    assert REMOVED_WORD_SR in text_of(news)
    # No page made a browser talk to any host but the site's own.
    assert detector.found == []
    assert detector.allowed

    dispatches = {d.kind: d for d in Dispatch.objects.filter(reports=report)}
    assert set(dispatches) == {DispatchKind.POLICE, DispatchKind.TAKEDOWN}
    takedown = dispatches[DispatchKind.TAKEDOWN]
    assert (takedown.institution, takedown.recipient) == (host, ABUSE_DESK)
    assert (takedown.status, takedown.outcome) == (Dispatch.Status.CLOSED, "removed")
    assert takedown.acknowledged_via == "link"
    assert dispatches[DispatchKind.POLICE].status == Dispatch.Status.SENT
    report.refresh_from_db()
    assert report.status == Status.FORWARDED
