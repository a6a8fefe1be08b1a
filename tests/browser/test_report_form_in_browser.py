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
# The step's main button: Continue on the steps, Send on the check page (Back comes after it).
CONTINUE = "main form .form-buttons button.button:not([name='back'])"


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings: Any, tmp_path: Path) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def file_in_browser(tab: Any, base_url: str, language: str, category: str) -> tuple[str, str]:
    tab.goto(f"{base_url}/{language}/report/")
    tab.check(f"input[name='category'][value='{category}']")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/where/")
    tab.fill("textarea[name='urls']", f"https://example.com/{category}/1")
    tab.fill("input[name='platform']", "Instagram")
    tab.fill("input[name='account']", "@primer")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/details/")
    tab.fill("textarea[name='description']", f"Opis: {category}, čćžšđ")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/you/")
    tab.check("input[name='age_band'][value='13_17']")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/check/")
    tab.locator(CONTINUE).click()
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
        tab.focus(CONTINUE)
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
        tab.locator(CONTINUE).click()
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
            tab.locator(CONTINUE).click()
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
                tab.locator(CONTINUE).click()
    finally:
        context.close()
    assert not problems, problems


def reach_details(tab: Any, base_url: str, language: str) -> None:
    tab.goto(f"{base_url}/{language}/report/")
    tab.check("input[name='category'][value='cyberbullying']")
    tab.locator(CONTINUE).click()
    tab.fill("textarea[name='urls']", "https://example.com/counter")
    tab.locator(CONTINUE).click()
    tab.wait_for_url(f"**/{language}/report/details/")


def test_the_counter_counts_what_is_typed_and_speaks_only_near_the_limit(
    chromium: Any, base_url: str
) -> None:
    context = chromium.new_context()
    try:
        tab = context.new_page()
        reach_details(tab, base_url, "en")
        box = tab.locator("textarea[name='description']")
        counter = tab.locator("#id_description_counter")
        assert counter.inner_text() == "5000 characters left"
        assert "id_description_counter" in (box.get_attribute("aria-describedby") or "").split()
        assert counter.get_attribute("aria-live") is None
        live = tab.locator("#id_description_counter + [aria-live='polite']")
        box.type("abc")
        assert counter.inner_text() == "4997 characters left"
        tab.wait_for_timeout(1200)
        assert live.inner_text() == ""  # far from the limit: nothing is spoken
        box.fill("x" * 4990)
        box.type("y")
        assert counter.inner_text() == "9 characters left"
        tab.wait_for_function(
            "el => el.textContent === '9 characters left'", arg=live.element_handle()
        )
        box.fill("x" * 5001)
        box.type("z")
        assert counter.inner_text() == "2 characters too many"
        # Nothing was cut: the server says what is too long and keeps the text.
        tab.locator(CONTINUE).click()
        assert "2 characters too long" in tab.locator(".error-summary").inner_text()
        assert len(box.input_value()) == 5002
    finally:
        context.close()


def test_the_counter_speaks_serbian_plurals(chromium: Any, base_url: str) -> None:
    context = chromium.new_context()
    try:
        tab = context.new_page()
        reach_details(tab, base_url, "sr-latn")
        counter = tab.locator("#id_description_counter")
        texts = {}
        for length in (4999, 4998, 4995):
            tab.fill("textarea[name='description']", "x" * length)
            texts[5000 - length] = counter.inner_text()
        assert len(set(texts.values())) == 3, texts  # jedan znak, dva znaka, pet znakova
        assert all(str(left) in text for left, text in texts.items()), texts
    finally:
        context.close()


def test_after_a_failed_submit_focus_is_on_the_summary_at_the_top_of_main(
    chromium: Any, base_url: str
) -> None:
    context = chromium.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{base_url}/en/report/")
        tab.locator(CONTINUE).click()
        assert tab.title().startswith("Error: ")
        assert tab.evaluate("document.activeElement.classList.contains('error-summary')")
        assert tab.evaluate("document.querySelector('main').firstElementChild.className") == (
            "error-summary"
        )
        # The link in the summary takes the keyboard to the first category.
        tab.keyboard.press("Tab")
        tab.keyboard.press("Enter")
        assert tab.evaluate("document.activeElement.id") == "id_category_0"
    finally:
        context.close()


# Text at 200 %: the site sizes everything in rem, so this is what a reader's larger default
# font does (CSSOM, which the site's style-src policy allows, unlike an injected <style>).
LARGE_TEXT = "document.documentElement.style.setProperty('font-size', '200%', 'important')"


def too_wide(tab: Any) -> list[str]:
    """The elements that stick out to the right (empty when nothing scrolls sideways)."""
    return list(
        tab.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              if (document.documentElement.scrollWidth <= width) return [];
              return [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .map(el => el.tagName.toLowerCase() + '.' + el.className + ': '
                     + (el.textContent || '').trim().slice(0, 40));
            }"""
        )
    )


def test_nothing_scrolls_sideways_on_a_small_phone_with_large_text(
    chromium: Any, base_url: str, settings: Any
) -> None:
    from sigurnet.core.models import DeploymentProfile
    from sigurnet.core.services import save_profile

    save_profile(
        DeploymentProfile(
            centre_name="Centar za bezbedan internet",
            country="RS",
            enabled_languages=["en", "sr-latn", "sr", "bs"],
            emergency_number="192",
            hotline_email="prijava-nezakonitog-sadrzaja@centar-za-bezbedan-internet.example.org",
        )
    )
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        tab = context.new_page()
        wide, broken = [], []
        for path in ("/sr/", "/sr/report/", "/sr-latn/report/"):
            tab.goto(base_url + path)
            tab.evaluate(LARGE_TEXT)
            if sticking_out := too_wide(tab):
                wide.append((path, sticking_out[-5:]))
        tab.check("input[name='category'][value='cyberbullying']")
        tab.locator(CONTINUE).click()
        tab.fill("textarea[name='urls']", "https://example.com/" + "a" * 120)
        tab.locator(CONTINUE).click()
        tab.fill("textarea[name='description']", "Dugačak" * 40)
        tab.locator(CONTINUE).click()
        tab.locator(CONTINUE).click()
        tab.wait_for_url("**/report/check/")
        for path in ("/sr/report/check/", "/sr-latn/report/check/"):
            tab.goto(base_url + path)
            tab.evaluate(LARGE_TEXT)
            if sticking_out := too_wide(tab):
                wide.append((path, sticking_out[-5:]))
            # "Change" stays one word on one line beside the long answers.
            lines = tab.evaluate(
                """() => [...document.querySelectorAll('.summary .change a')].map(a => {
                     const range = document.createRange();
                     range.selectNodeContents(a.firstChild);
                     return range.getClientRects().length;
                   })"""
            )
            assert lines, path
            if any(count != 1 for count in lines):
                broken.append((path, lines))
    finally:
        context.close()
    assert not wide, wide
    assert not broken, broken
