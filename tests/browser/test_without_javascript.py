"""With JavaScript off, every public page still works: content, the two main paths, the
emergency number and the language switch all come from the server's HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from sigurnet.core.selectors import DEFAULT_PROFILE
from tests.browser.crawl import HTML_LANG, LANGUAGES, Page

pytestmark = pytest.mark.browser

EMERGENCY_NUMBER = DEFAULT_PROFILE["emergency_number"]  # "192": no profile saved in tests
LINK_HREFS = "els => els.map((e) => e.getAttribute('href'))"


def paths_for(language: str) -> dict[str, str]:
    with translation.override(language):
        return {name: reverse(name) for name in ("home", "report", "get-help")}


def link_paths(tab: Any, links: Any) -> list[str]:
    """The paths that the located links lead to (resolved against the page, without fragment)."""
    hrefs = links.evaluate_all(LINK_HREFS)
    return [urlsplit(urljoin(tab.url, href)).path for href in hrefs if href]


def page_problems(tab: Any, page: Page, language: str) -> list[str]:
    problems: list[str] = []
    response = tab.goto(page.url, wait_until="load")
    status = response.status if response else None
    if status != 200:
        return [f"status {status}"]
    html_lang = tab.locator("html").get_attribute("lang")
    if html_lang != HTML_LANG[language]:
        problems.append(f"<html lang={html_lang!r}>, expected {HTML_LANG[language]!r}")
    headings = tab.locator("h1")
    if headings.count() < 1 or not headings.first.inner_text().strip():
        problems.append("no <h1> with text")

    paths = paths_for(language)
    links = link_paths(tab, tab.locator("a[href]"))
    for name in ("report", "get-help"):
        if paths[name] not in links:
            problems.append(f"no link to {paths[name]}")

    tel_links = tab.locator("a[href^='tel:']").evaluate_all(LINK_HREFS)
    if f"tel:{EMERGENCY_NUMBER}" not in tel_links:
        problems.append(f"no tel:{EMERGENCY_NUMBER} link (tel links: {tel_links})")
    if EMERGENCY_NUMBER not in tab.locator("body").inner_text():
        problems.append(f"emergency number {EMERGENCY_NUMBER} not shown")

    switches = tab.locator("nav:has(a[hreflang])")
    if switches.count() != 1:
        problems.append(f"expected one language switch, found {switches.count()}")
        return problems
    switch_links = switches.first.locator("a[href]")
    hreflangs = [switch_links.nth(i).get_attribute("hreflang") for i in range(switch_links.count())]
    if sorted(hreflangs, key=str) != sorted(HTML_LANG.values()):
        problems.append(f"language switch links {hreflangs}, expected {list(HTML_LANG.values())}")
        return problems
    targets = dict(zip(hreflangs, link_paths(tab, switch_links), strict=True))
    for code, value in HTML_LANG.items():
        if not targets[value].startswith(f"/{code}/"):
            problems.append(f"switch link {value} leads to {targets[value]}")
    if targets[HTML_LANG[language]] != page.path:
        problems.append(
            f"the switch's link to this language leads to {targets[HTML_LANG[language]]}, "
            f"not to this page"
        )
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_work_without_javascript(
    language: str, chromium: Any, public_pages: Callable[[str], list[Page]]
) -> None:
    pages = public_pages(language)
    found = {page.path for page in pages}
    expected = set(paths_for(language).values())
    assert expected <= found, f"the crawl from /{language}/ missed {sorted(expected - found)}"

    context = chromium.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        failures = {page.path: page_problems(tab, page, language) for page in pages}
    finally:
        context.close()
    report = "\n".join(
        f"{path}: {'; '.join(problems)}" for path, problems in failures.items() if problems
    )
    assert not report, f"pages of /{language}/ without JavaScript:\n{report}"


def test_language_switch_keeps_the_current_page(chromium: Any, base_url: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        response = tab.goto(f"{base_url}/en/report/")
        assert response is not None and response.status == 200
        with tab.expect_navigation():
            tab.locator("nav a[hreflang='sr-Cyrl']").click()
        assert urlsplit(tab.url).path == "/sr/report/", tab.url
        assert tab.locator("html").get_attribute("lang") == "sr-Cyrl"
        assert tab.locator("h1").count() >= 1
    finally:
        context.close()
