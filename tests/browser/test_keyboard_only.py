"""A report filed from the home page to the done page with the keyboard alone.

Only the keys a keyboard user presses: Tab, Shift+Tab, Space, Enter, the arrow keys, and typing
text into the field that has focus. No clicks, no ``focus()``, no ``fill()``: the test finds its
way by pressing Tab until the focused element is the one it wants, and it only *reads* which
element that is (``document.activeElement``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sigurnet.hotline.models import Report

pytestmark = pytest.mark.browser

# What the focused element is: read, never changed.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const labels = e.labels ? Array.from(e.labels).map((l) => l.innerText.trim()).join(' ') : '';
  return {
    tag: e.tagName.toLowerCase(),
    type: (e.getAttribute('type') || '').toLowerCase(),
    name: e.getAttribute('name') || '',
    value: e.value === undefined ? '' : String(e.value),
    text: (e.innerText || e.textContent || '').trim(),
    label: e.getAttribute('aria-label') || labels,
    checked: !!e.checked,
  };
}"""
MOST_TABS = 150  # more than any page of the form has stops
CONTINUE = re.compile(r"^\s*continue\s*$", re.I)
SEND = re.compile(r"^\s*send report\s*$", re.I)


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings: Any, tmp_path: Path) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def focused(tab: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None = tab.evaluate(FOCUSED)
    return result


def tab_to(tab: Any, wanted: Any, what: str, key: str = "Tab") -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focused element is ``wanted``."""
    seen = []
    for _press in range(MOST_TABS):
        tab.keyboard.press(key)
        element = focused(tab)
        if element is not None and wanted(element):
            return element
        seen.append(element and (element["tag"], element["name"] or element["text"][:30]))
    raise AssertionError(f"{what} not reached with {key} on {tab.url}; focus went: {seen}")


def is_button(pattern: re.Pattern[str]) -> Any:
    return lambda e: e["tag"] == "button" and bool(pattern.match(e["text"]))


def is_field(name: str) -> Any:
    return lambda e: e["name"] == name


def press_continue(tab: Any, next_path: str) -> None:
    tab_to(tab, is_button(CONTINUE), "the Continue button")
    tab.keyboard.press("Enter")
    tab.wait_for_url(f"**/en/report/{next_path}")


def choose_radio(tab: Any, name: str, value: str) -> None:
    """Tab into a radio group, then arrow keys (and Space) until ``value`` is chosen."""
    element = tab_to(tab, is_field(name), f"the {name} choices")
    for _press in range(20):
        if element["value"] == value:
            if not element["checked"]:
                tab.keyboard.press("Space")
            element = focused(tab) or element
            assert element["checked"], element
            return
        tab.keyboard.press("ArrowDown")
        element = focused(tab) or element
    raise AssertionError(f"{value} not reached with the arrow keys")


def file_with_keyboard(tab: Any, base_url: str) -> str:
    tab.goto(f"{base_url}/en/")
    tab_to(tab, lambda e: e["tag"] == "a" and e["text"] == "Report content", "Report content")
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/en/report/")

    choose_radio(tab, "category", "cyberbullying")
    press_continue(tab, "where/")

    tab_to(tab, is_field("urls"), "the web address box")
    tab.keyboard.type("https://example.com/keyboard/1")
    tab_to(tab, is_field("platform"), "the app box")
    # Back to the address with Shift+Tab: what was typed is still there.
    back = tab_to(tab, is_field("urls"), "the web address box again", key="Shift+Tab")
    assert back["value"] == "https://example.com/keyboard/1"
    tab_to(tab, is_field("platform"), "the app box again")
    tab.keyboard.type("Instagram")
    press_continue(tab, "details/")

    tab_to(tab, is_field("description"), "the description box")
    tab.keyboard.type("Someone writes mean things about me every day.")
    press_continue(tab, "you/")

    choose_radio(tab, "age_band", "13_17")
    press_continue(tab, "check/")

    tab_to(tab, is_button(SEND), "the Send report button")
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/en/report/done/")
    reference = tab.locator("strong.reference").inner_text().strip()
    assert reference
    return reference


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_report_is_filed_from_the_home_page_with_the_keyboard_alone(
    chromium: Any, base_url: str, javascript: bool
) -> None:
    context = chromium.new_context(java_script_enabled=javascript)
    try:
        tab = context.new_page()
        reference = file_with_keyboard(tab, base_url)
    finally:
        context.close()
    report = Report.objects.get(reference=reference)
    assert report.category == "cyberbullying"
    assert report.description == "Someone writes mean things about me every day."
    assert [u.submitted for u in report.reported_urls.all()] == ["https://example.com/keyboard/1"]
