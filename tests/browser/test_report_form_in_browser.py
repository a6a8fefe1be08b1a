"""Filing a report in a real browser, with and without JavaScript, in Serbian (both scripts)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sigurnet.hotline.models import Category, Report

pytestmark = pytest.mark.browser

CATEGORIES = [value for value, _label in Category.choices]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings: Any, tmp_path: Path) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def file_in_browser(tab: Any, base_url: str, language: str, category: str) -> tuple[str, str]:
    tab.goto(f"{base_url}/{language}/report/")
    tab.check(f"input[name='category'][value='{category}']")
    tab.locator("form:has(input[name='category']) button[type='submit']").click()
    tab.wait_for_url(f"**/{language}/report/where/")
    tab.fill("textarea[name='urls']", f"https://example.com/{category}/1")
    tab.fill("input[name='platform']", "Instagram")
    tab.fill("input[name='account']", "@primer")
    tab.locator("main form button[type='submit']").click()
    tab.wait_for_url(f"**/{language}/report/details/")
    tab.fill("textarea[name='description']", f"Opis: {category}, čćžšđ")
    tab.locator("main form button.button[type='submit']").click()
    tab.wait_for_url(f"**/{language}/report/you/")
    tab.check("input[name='age_band'][value='13_17']")
    tab.locator("main form button[type='submit']").click()
    tab.wait_for_url(f"**/{language}/report/check/")
    tab.locator("main form button[type='submit']").click()
    tab.wait_for_url(f"**/{language}/report/done/")
    reference = tab.locator("strong.reference").inner_text()
    receipt = tab.locator("#receipt").inner_text()
    return reference, receipt


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
@pytest.mark.parametrize("language", ["sr-latn", "sr"])
def test_report_each_category_and_get_reference_and_receipt(
    chromium: Any, base_url: str, language: str, javascript: bool
) -> None:
    for category in CATEGORIES:
        context = chromium.new_context(java_script_enabled=javascript)
        try:
            tab = context.new_page()
            reference, receipt = file_in_browser(tab, base_url, language, category)
            assert RECEIPT.match(receipt), receipt
            report = Report.objects.get(reference=reference)
            assert (report.category, report.language) == (category, language)
            assert report.description.endswith("čćžšđ")
        finally:
            context.close()
    assert Report.objects.count() == len(CATEGORIES)


def test_cyrillic_pages_show_cyrillic(chromium: Any, base_url: str) -> None:
    context = chromium.new_context()
    try:
        tab = context.new_page()
        file_in_browser(tab, base_url, "sr", "cyberbullying")
        text = tab.locator("main").inner_text()
        assert re.search(r"[\u0400-\u04FF]{4,}", text), text[:500]
    finally:
        context.close()


def test_form_can_be_used_with_the_keyboard_alone(chromium: Any, base_url: str) -> None:
    context = chromium.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{base_url}/sr-latn/report/")
        tab.focus("input[name='category'][value='csam']")
        tab.keyboard.press("ArrowDown")  # moves to and selects the next category
        tab.keyboard.press("Enter")  # submits the form
        tab.wait_for_url("**/sr-latn/report/where/")
        tab.keyboard.press("Tab")  # skip link, then on through the page
        tab.focus("textarea[name='urls']")
        tab.keyboard.type("https://example.com/keyboard")
        tab.focus("main form button[type='submit']")
        tab.keyboard.press("Enter")
        tab.wait_for_url("**/sr-latn/report/details/")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["sr-latn", "sr"])
def test_errors_are_announced_and_focused_with_javascript(
    chromium: Any, base_url: str, language: str
) -> None:
    context = chromium.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{base_url}/{language}/report/")
        tab.locator("main form button[type='submit']").click()
        summary = tab.locator(".error-summary")
        assert summary.get_attribute("role") == "alert"
        assert tab.evaluate("document.activeElement.classList.contains('error-summary')")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["sr-latn", "sr"])
def test_every_step_of_the_form_passes_axe(
    chromium: Any, base_url: str, axe_js: Path, language: str
) -> None:
    context = chromium.new_context(bypass_csp=True)
    problems = []
    try:
        tab = context.new_page()
        steps = [
            ("", "input[name='category'][value='ncii']", None),
            ("where/", "textarea[name='urls']", "https://example.com/x"),
            ("details/", "textarea[name='description']", "opis"),
            ("you/", None, None),
            ("check/", None, None),
        ]
        for path, selector, value in steps:
            tab.goto(f"{base_url}/{language}/report/{path}")
            # Once empty (errors shown), then filled in.
            tab.locator("main form button[type='submit']").last.click()
            for state in ("errors", "filled"):
                tab.add_script_tag(path=str(axe_js))
                result = tab.evaluate(
                    "async () => await axe.run(document, {runOnly: ['wcag2a','wcag2aa',"
                    "'wcag21a','wcag21aa']})"
                )
                for violation in result["violations"]:
                    if violation["impact"] in ("serious", "critical"):
                        problems.append(f"{path or 'what/'} ({state}): {violation['id']}")
                if state == "errors" and selector:
                    if value is None:
                        tab.check(selector)
                    else:
                        tab.fill(selector, value)
            if path != "check/":
                tab.locator("main form button[type='submit']").last.click()
    finally:
        context.close()
    assert not problems, problems
