""" "Exit this page" in a real browser: a plain link without JavaScript; with it, Escape three
times leaves too, and Back does not return to the page that was left."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_report_form_in_browser import LARGE_TEXT, too_wide

pytestmark = pytest.mark.browser

EXIT_URL = "https://weather.example.net/today"
EXIT = "a[data-quick-exit]"


@pytest.fixture(autouse=True)
def _exit_url(settings: Any) -> None:
    settings.SIGURNET_QUICK_EXIT_URL = EXIT_URL


def new_tab(chromium: Any, javascript: bool, **options: Any) -> tuple[Any, Any, list[dict]]:
    """A tab whose visits to the exit page are answered locally (nothing leaves the machine)."""
    context = chromium.new_context(java_script_enabled=javascript, **options)
    visits: list[dict] = []

    def answer(route: Any) -> None:
        visits.append(route.request.headers)
        route.fulfill(
            status=200,
            content_type="text/html",
            body="<!DOCTYPE html><title>Weather</title><p>Sunny</p>",
        )

    context.route("https://weather.example.net/**", answer)
    return context, context.new_page(), visits


def test_escape_three_times_leaves_and_back_does_not_return(chromium: Any, base_url: str) -> None:
    context, tab, visits = new_tab(chromium, javascript=True)
    try:
        tab.goto(f"{base_url}/sr-latn/help/")
        tab.keyboard.press("Escape")
        tab.keyboard.press("Escape")
        tab.wait_for_timeout(300)
        assert tab.url.startswith(base_url), "two presses must not leave"
        tab.keyboard.press("Escape")
        tab.wait_for_url(EXIT_URL)
        assert tab.title() == "Weather"
        assert visits and "referer" not in visits[0]
        tab.go_back()
        assert not tab.url.startswith(base_url), tab.url
    finally:
        context.close()


def test_the_link_with_javascript_replaces_the_page_in_the_history(
    chromium: Any, base_url: str
) -> None:
    context, tab, visits = new_tab(chromium, javascript=True)
    try:
        tab.goto(f"{base_url}/en/report/")
        # The Escape hint is true with the script, and is then part of the link's description.
        assert tab.locator("#quick-exit-keys").evaluate("element => element.hidden") is False
        described = tab.get_attribute(EXIT, "aria-describedby")
        assert described == "quick-exit-hint quick-exit-keys"
        tab.click(EXIT)
        tab.wait_for_url(EXIT_URL)
        assert visits and "referer" not in visits[0]
        tab.go_back()
        assert not tab.url.startswith(base_url), tab.url
    finally:
        context.close()


def test_without_javascript_the_exit_is_a_link_that_sends_no_referrer(
    chromium: Any, base_url: str
) -> None:
    context, tab, visits = new_tab(chromium, javascript=False)
    try:
        tab.goto(f"{base_url}/bs/")
        assert tab.locator("#quick-exit-keys").evaluate("element => element.hidden") is True
        tab.keyboard.press("Tab")  # the skip link
        tab.keyboard.press("Tab")  # the exit, second on the page
        tab.keyboard.press("Enter")
        tab.wait_for_url(EXIT_URL)
        assert tab.title() == "Weather"
        assert visits and "referer" not in visits[0]
    finally:
        context.close()


def test_the_exit_fits_a_small_phone_with_large_text(chromium: Any, base_url: str) -> None:
    context, tab, _visits = new_tab(
        chromium, javascript=True, viewport={"width": 320, "height": 640}
    )
    try:
        wide = []
        for path in ("/en/", "/sr/", "/sr/help/", "/bs/report/", "/sr-latn/no-such-page/"):
            tab.goto(base_url + path)
            tab.evaluate(LARGE_TEXT)
            box = tab.locator(EXIT).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, (path, box)
            if sticking_out := too_wide(tab):
                wide.append((path, sticking_out[-5:]))
    finally:
        context.close()
    assert not wide, wide
