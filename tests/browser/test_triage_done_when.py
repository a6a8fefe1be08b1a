"""Issue 13's "done when" in a real browser: the four-eyes assessment of a picture report, the
question to an anonymous reporter answered in Cyrillic, and hostile text inert on every staff
page that can show it."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import translation
from PIL import Image

from sigurnet.core.models import AuditEvent
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline import services as hotline_services
from sigurnet.hotline.models import Assessment, ContentItem, Evidence, Message, Report, Status
from sigurnet.hotline.triage import services as triage
from tests.browser.test_triage_in_browser import PAYLOADS, sign_in

pytestmark = pytest.mark.browser

# The step's main button: Continue on the steps, Send on the check page (Back comes after it).
CONTINUE = "main form .form-buttons button.button:not([name='back'])"
CYRILLIC = re.compile(r"[\u0400-\u04FF]{4,}")


@pytest.fixture(autouse=True)
def _quick_form_and_evidence_dir(settings: Any, tmp_path: Path) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = str(tmp_path / "evidence")


def red_png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(picture, format="PNG")
    return picture.getvalue()


def centre_pixel(tab: Any) -> list[int]:
    """The RGB of the evidence picture's centre, as the browser decoded it."""
    return tab.locator("img.evidence-image").evaluate(
        """img => {
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(img.naturalWidth >> 1, img.naturalHeight >> 1, 1, 1).data;
            return [d[0], d[1], d[2]];
        }"""
    )


def file_in_browser(
    tab: Any, base_url: str, language: str, category: str, *, picture: bytes | None = None
) -> tuple[str, str]:
    """File a report through the public form; returns (reference, receipt)."""
    tab.goto(f"{base_url}/{language}/report/")
    tab.check(f"input[name='category'][value='{category}']")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/where/")
    tab.fill("input[name='platform']", "Instagram")
    tab.fill("input[name='account']", "@neko.nepoznat")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/details/")
    tab.fill("textarea[name='description']", "Video u objavi, ne znam tačnu adresu.")
    if picture is not None:
        tab.set_input_files(
            "input[name='evidence']",
            files=[{"name": "snimak.png", "mimeType": "image/png", "buffer": picture}],
        )
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/you/")
    tab.check("input[name='age_band'][value='13_17']")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/check/")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/done/")
    return tab.locator("strong.reference").inner_text(), tab.locator("#receipt").inner_text()


def report_events(report: Report, actor: Any) -> list[tuple[str, dict[str, Any]]]:
    """The audit trail of ``report`` by ``actor``, oldest first: (action, detail)."""
    events = AuditEvent.objects.filter(
        object_type="hotline.report", object_id=str(report.pk), actor_id=actor.pk
    ).order_by("occurred_at", "id")
    return [(e.action, e.detail) for e in events]


def signed_in_events(actor: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(actor_id=actor.pk, action__startswith="auth.")
        .order_by("occurred_at", "id")
        .values_list("action", flat=True)
    )


# --- Done when 1 --------------------------------------------------------------------------


def test_picture_report_is_assessed_as_csam_and_confirmed_by_a_second_analyst(
    chromium: Any, base_url: str, make_staff, make_report
) -> None:
    # The public form takes no upload for CSAM, so the reporter files under "something else"
    # with a picture; the analyst corrects the category to CSAM in the assessment.
    first = make_staff("Hotline analyst", username="prva")
    second = make_staff("Hotline analyst", username="drugi")
    make_report(category="phishing_fraud")  # filtered out
    contexts = [chromium.new_context() for _ in range(3)]
    dialogs: list[str] = []
    try:
        reporter, tab, other = (context.new_page() for context in contexts)
        reference, _receipt = file_in_browser(
            reporter, base_url, "sr-latn", "other", picture=red_png()
        )
        report = Report.objects.get(reference=reference)
        assert report.evidence.count() == 1
        evidence = report.evidence.get()

        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(tab, base_url, first)
        tab.get_by_role("link", name="Hotline queue").first.click()
        tab.select_option("select[name='category']", "other")
        tab.locator("form.triage-filters button[type='submit']").click()
        tab.wait_for_url("**category=other**")
        rows = tab.locator("table.triage-queue tbody tr")
        assert rows.count() == 1
        assert reference in rows.inner_text()
        rows.get_by_role("button", name="I take it").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/")
        assert "You took report" in tab.locator(".messages").inner_text()

        # Blurred and grey until revealed; the revealed picture is the reporter's red one.
        image = tab.locator("img.evidence-image")
        assert "evidence-blurred" in (image.get_attribute("class") or "")
        assert "variant=full" not in (image.get_attribute("src") or "")
        assert image.evaluate("img => img.complete && img.naturalWidth") > 0
        red, green, blue = centre_pixel(tab)
        assert red == green == blue, (red, green, blue)
        tab.get_by_role("link", name="Reveal this picture").click()
        tab.wait_for_url("**?reveal=**")
        revealed = tab.locator("img.evidence-image")
        assert "evidence-blurred" not in (revealed.get_attribute("class") or "")
        assert revealed.evaluate("img => img.complete && img.naturalWidth") == 60
        red, green, blue = centre_pixel(tab)
        assert red > 150 and green < 80 and blue < 80, (red, green, blue)

        tab.get_by_role("link", name="Assess", exact=True).click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/assess/")
        tab.select_option("select[name='outcome']", "actionable")
        tab.select_option("select[name='priority']", "high")
        tab.select_option("select[name='category']", "csam")
        tab.select_option("select[name='legal_class']", "baseline")
        tab.select_option("select[name='victim_age']", "prepubescent")
        tab.select_option("select[name='victim_gender']", "unknown")
        tab.select_option("select[name='content_kind']", "image")
        tab.select_option("select[name='commercial']", "false")
        tab.get_by_role("button", name="Save the assessment").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/")
        assert "is assessed" in tab.locator(".messages").inner_text()
        assert "Waits for a second analyst" in tab.locator("main").inner_text()
        # The first analyst is not offered the confirmation of their own assessment.
        assert tab.get_by_role("button", name="Confirm this assessment").count() == 0

        sign_in(other, base_url, second)
        other.goto(f"{base_url}/staff/hotline/?category=csam")
        other.get_by_role("link", name=reference).click()
        other.wait_for_url(f"**/staff/hotline/{reference}/")
        other.get_by_role("button", name="Confirm this assessment").click()
        other.wait_for_url(f"**/staff/hotline/{reference}/")
        assert "You confirmed the assessment." in other.locator(".messages").inner_text()
        assert "Confirmed by drugi." in other.locator("main").inner_text()
        assert dialogs == []
    finally:
        for context in contexts:
            context.close()

    report.refresh_from_db()
    assert (report.status, report.category, report.assignee) == (Status.ASSESSED, "csam", first)
    assessment = Assessment.objects.get(report=report)
    assert (assessment.analyst, assessment.confirmed_by) == (first, second)
    assert assessment.needs_confirmation
    assert (assessment.outcome, assessment.category_before) == ("actionable", "other")
    assert (assessment.legal_class, assessment.victim_age) == ("baseline", "prepubescent")

    # Every step left its AuditEvent, with the report's id.
    for analyst in (first, second):
        assert signed_in_events(analyst)[:2] == ["auth.login", "auth.second_factor_verified"]
    by_first = report_events(report, first)
    actions = [action for action, _detail in by_first]
    assert actions[:2] == ["hotline.claimed", "hotline.status_changed"]
    assert by_first[1][1]["from"] == Status.RECEIVED
    assert by_first[1][1]["to"] == Status.IN_ASSESSMENT
    assert "hotline.report_viewed" in actions
    served = [d["variant"] for a, d in by_first if a == "hotline.evidence_served"]
    assert served[:1] == ["blurred"] and "full" in served
    revealed_ids = [d["evidence"] for a, d in by_first if a == "hotline.evidence_revealed"]
    assert revealed_ids == [evidence.pk]
    tail = [a for a in actions if a not in ("hotline.report_viewed", "hotline.evidence_served")]
    assert tail == [
        "hotline.claimed",
        "hotline.status_changed",
        "hotline.evidence_revealed",
        "hotline.category_corrected",
        "hotline.assessed",
        "hotline.status_changed",
    ]
    changes = [detail for action, detail in by_first if action == "hotline.status_changed"]
    assert changes[-1] == {
        "reference": reference,
        "from": Status.IN_ASSESSMENT,
        "to": Status.ASSESSED,
    }
    by_second = report_events(report, second)
    assert [a for a, _d in by_second if a != "hotline.evidence_served"] == [
        "hotline.report_viewed",  # the page, before the confirmation
        "hotline.assessment_confirmed",
        "hotline.report_viewed",  # the page, after it
    ]
    # The second analyst saw the picture blurred only: they never revealed it.
    assert {d["variant"] for a, d in by_second if a == "hotline.evidence_served"} == {"blurred"}


# --- Done when 2 --------------------------------------------------------------------------


def test_anonymous_reporter_answers_the_address_question_in_cyrillic(
    chromium: Any, base_url: str, make_staff
) -> None:
    analyst = make_staff("Hotline analyst", username="analiticar")
    contexts = [chromium.new_context() for _ in range(3)]
    try:
        filing, tab, follow = (context.new_page() for context in contexts)
        reference, receipt = file_in_browser(filing, base_url, "sr", "cyberbullying")
        report = Report.objects.get(reference=reference)
        addresses = report.reported_urls.filter(content_item__kind=ContentItem.Kind.URL)
        assert (report.language, addresses.count()) == ("sr", 0)

        sign_in(tab, base_url, analyst)
        tab.goto(f"{base_url}/staff/hotline/")
        row = tab.locator("table.triage-queue tbody tr", has_text=reference)
        row.get_by_role("button", name="I take it").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/")
        tab.get_by_role("link", name="Ask the reporter").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/ask/")
        tab.select_option("select[name='question']", "address")
        tab.get_by_role("button", name="Use this question").click()
        tab.wait_for_url("**question=address**")
        question = tab.input_value("textarea[name='text']")
        assert CYRILLIC.search(question) and "https://" in question, question
        tab.get_by_role("button", name="Send the question").click()
        tab.wait_for_url(f"**/staff/hotline/{reference}/")
        assert "receipt page" in tab.locator(".messages").inner_text()
        report.refresh_from_db()
        assert report.status == Status.NEEDS_INFO

        # The reporter, in a browser that never saw the staff pages, follows with the receipt.
        assert contexts[2].cookies() == []
        follow.goto(f"{base_url}/sr/report/status/")
        follow.fill("input[name='receipt']", receipt)
        follow.locator("main form button[type='submit']").click()
        follow.wait_for_url("**/sr/report/status/view/")
        asked = follow.locator("ol.conversation li.from-hotline").inner_text()
        assert question.strip() in asked
        assert CYRILLIC.search(follow.locator("main h2").first.inner_text())
        follow.fill("textarea[name='text']", "Ево адресе профила.")
        follow.fill("textarea[name='urls']", "https://example.com/profil/12345")
        follow.locator("main form button.button[type='submit']").click()
        follow.wait_for_url("**/sr/report/status/view/?sent=1")
        assert follow.locator("ol.conversation li.from-you").count() == 1

        # Back in the analyst's queue, in assessment and flagged as answered.
        tab.goto(f"{base_url}/staff/hotline/")
        row = tab.locator("table.triage-queue tbody tr", has_text=reference)
        assert row.locator("strong.answered").inner_text() == "answered"
        with translation.override("en"):  # the analyst's browser asks for English
            assert row.locator(".status").inner_text() == str(Status.IN_ASSESSMENT.label)
        assert row.locator(".status").get_attribute("class") == "status status-in_assessment"
        tab.goto(f"{base_url}/staff/hotline/{reference}/")
        assert "https://example.com/profil/12345" in tab.locator("ol.reported-urls").inner_text()
    finally:
        for context in contexts:
            context.close()

    report.refresh_from_db()
    assert report.status == Status.IN_ASSESSMENT
    assert report.assignee == analyst
    conversation = report.messages.order_by("created_at", "id")
    assert [m.direction for m in conversation] == [
        Message.Direction.FROM_HOTLINE,
        Message.Direction.FROM_REPORTER,
    ]
    assert conversation.last().body == "Ево адресе профила.\n\nhttps://example.com/profil/12345"
    back = AuditEvent.objects.filter(
        object_id=str(report.pk), action="hotline.status_changed", actor_id__isnull=True
    )
    assert [(e.detail["from"], e.detail["to"]) for e in back] == [
        (Status.NEEDS_INFO, Status.IN_ASSESSMENT)
    ]
    asked_events = AuditEvent.objects.filter(
        object_id=str(report.pk), action="hotline.reporter_asked", actor_id=analyst.pk
    )
    assert asked_events.count() == 1


# --- Done when 4 --------------------------------------------------------------------------

# What an injected payload would leave in the page if it were parsed as markup.
INJECTED = """() => ({
    img: document.querySelectorAll("img[src='x'], img[src$='/x']").length,
    onerror: document.querySelectorAll('[onerror]').length,
    script: [...document.scripts].filter(s => (s.textContent || '').includes('alert(')).length,
    jslink: document.querySelectorAll("a[href^='javascript' i], [src^='javascript' i]").length,
})"""
NOTHING = {"img": 0, "onerror": 0, "script": 0, "jslink": 0}


def hostile_reports(make_report, supervisor) -> dict[str, Any]:
    """Two open reports of the same hostile account and address (so the grouped view shows
    them), one with a hostile evidence name and a hostile answer from the reporter, and one
    assessed with hostile notes."""
    hostile = {
        "description": "\n".join(PAYLOADS),
        "platform": PAYLOADS[1],
        "account": PAYLOADS[0] + PAYLOADS[2],
        "location_hint": PAYLOADS[2],
        "urls": [
            f"https://x.example/{PAYLOADS[1]}",
            f"https://x.example/?q={PAYLOADS[0]}&next={PAYLOADS[2]}",
        ],
    }
    first = make_report(category="cyberbullying", **hostile)
    make_report(category="cyberbullying", **hostile)
    clean = evidence_files.inspect(red_png())
    picture = Evidence.objects.create(
        report=first,
        storage_name=evidence_files.write_encrypted(clean),
        original_name=PAYLOADS[1],
        content_type=clean.content_type,
        size=len(clean.content),
    )
    hotline_services.add_reporter_message(first, text=" ".join(PAYLOADS), urls=[])
    triage.claim(first, actor=supervisor)  # so that it can be assessed and asked below
    assessed = make_report(category="hate_speech", **hostile)
    triage.claim(assessed, actor=supervisor)
    triage.assess(
        assessed,
        outcome="not_actionable",
        priority="normal",
        category="hate_speech",
        notes=" ".join(PAYLOADS),
        actor=supervisor,
    )
    item = ContentItem.objects.get(kind=ContentItem.Kind.ACCOUNT, reports=first)
    return {"first": first, "assessed": assessed, "picture": picture, "item": item}


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["site-csp", "no-csp"])
def test_hostile_text_is_inert_on_every_staff_page(
    chromium: Any, base_url: str, make_staff, make_report, bypass_csp: bool
) -> None:
    # With the site's CSP as served an injected inline script could not run anyway; without
    # it (no-csp), a missing escape would fire the dialog, so the escaping itself is tested.
    supervisor = make_staff("Hotline supervisor", username="nadzornica")
    admin = make_staff("Administrator", username="administratorka")
    made = hostile_reports(make_report, supervisor)
    first, assessed = made["first"], made["assessed"]
    one, done = first.reference, assessed.reference
    hotline_pages = [
        "/staff/",
        "/staff/hotline/",
        f"/staff/hotline/?q={quote(PAYLOADS[1])}",
        f"/staff/hotline/?item={made['item'].pk}",
        "/staff/hotline/items/",
        "/staff/hotline/domains/",
        f"/staff/hotline/items/{made['item'].pk}/assess/",
        f"/staff/hotline/{one}/",
        f"/staff/hotline/{one}/?reveal={made['picture'].pk}",
        f"/staff/hotline/{done}/",
        f"/staff/hotline/{one}/assess/",
        f"/staff/hotline/{one}/ask/?question=where",
    ]
    admin_pages = [
        "/staff/audit/",
        f"/staff/audit/?object_id={first.pk}&actor={quote(PAYLOADS[1])}",
        f"/staff/audit/?object_type={quote(PAYLOADS[0])}",
        "/admin/",
    ]
    contexts = [chromium.new_context(bypass_csp=bypass_csp) for _ in range(2)]
    dialogs: list[str] = []
    found: dict[str, Any] = {}
    shown: dict[str, str] = {}
    try:
        tab, admin_tab = (context.new_page() for context in contexts)
        for page in (tab, admin_tab):
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(tab, base_url, supervisor)
        sign_in(admin_tab, base_url, admin)

        def check(page: Any, path: str) -> None:
            page.wait_for_load_state("load")
            page.wait_for_timeout(50)  # let an onerror handler run if one was injected
            found[path] = page.evaluate(INJECTED)

        for path in hotline_pages:
            response = tab.goto(f"{base_url}{path}")
            assert response is not None and response.status == 200, path
            check(tab, path)
            shown[path] = tab.locator("main").inner_text()

        # Forms that echo what was typed: the assessment's "duplicate of" and the question.
        tab.goto(f"{base_url}/staff/hotline/{one}/assess/")
        tab.select_option("select[name='outcome']", "duplicate")
        tab.fill("input[name='duplicate_of']", PAYLOADS[1])
        tab.get_by_role("button", name="Save the assessment").click()
        tab.wait_for_load_state("load")
        assert tab.input_value("input[name='duplicate_of']") == PAYLOADS[1]
        check(tab, "assess (echoed)")
        tab.goto(f"{base_url}/staff/hotline/{one}/ask/")
        tab.fill("textarea[name='text']", " ".join(PAYLOADS))
        tab.get_by_role("button", name="Send the question").click()
        tab.wait_for_url(f"**/staff/hotline/{one}/")
        check(tab, "report with the question")
        assert tab.locator("article.message").count() == 2

        for path in admin_pages:
            response = admin_tab.goto(f"{base_url}{path}")
            assert response is not None and response.status == 200, path
            check(admin_tab, path)
        admin_tab.goto(f"{base_url}/staff/audit/?object_id={first.pk}")
        assert f"#{first.pk}" in admin_tab.locator("table.data tbody").inner_text()
    finally:
        for context in contexts:
            context.close()

    assert dialogs == []
    assert {path: counts for path, counts in found.items() if counts != NOTHING} == {}
    # Not vacuous: the payloads reached these pages, and were shown as text.
    for path in (f"/staff/hotline/{one}/", f"/staff/hotline/{done}/"):
        assert all(payload in shown[path] for payload in PAYLOADS), shown[path]
    assert PAYLOADS[0] in shown["/staff/hotline/items/"]
    assert PAYLOADS[0] in shown[f"/staff/hotline/items/{made['item'].pk}/assess/"]
