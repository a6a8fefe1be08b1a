"""Every public page, in every language, passes axe-core with no serious or critical violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.crawl import LANGUAGES, Page

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def axe_violations(page: Any, axe_js: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_js))
    return page.evaluate(RUN_AXE, AXE_TAGS)


def describe(path: str, violation: dict[str, Any]) -> str:
    targets = ", ".join(violation["targets"][:10])
    more = len(violation["targets"]) - 10
    if more > 0:
        targets += f" (+{more} more)"
    return (
        f"{path}: [{violation['impact']}] {violation['id']}: {violation['help']}\n"
        f"    targets: {targets}\n    see {violation['helpUrl']}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_serious_accessibility_violations(
    language: str,
    chromium: Any,
    public_pages: Callable[[str], list[Page]],
    axe_js: Path,
) -> None:
    pages = public_pages(language)
    assert pages, f"the crawl found no page from /{language}/"
    # bypass_csp: the site's policy (script-src 'self') would refuse the injected axe script.
    context = chromium.new_context(bypass_csp=True, java_script_enabled=True)
    try:
        tab = context.new_page()
        problems: list[str] = []
        for page in pages:
            tab.goto(page.url, wait_until="load")
            for violation in axe_violations(tab, axe_js):
                if violation["impact"] in BLOCKING_IMPACTS:
                    problems.append(describe(page.path, violation))
    finally:
        context.close()
    checked = ", ".join(page.path for page in pages)
    assert not problems, (
        f"axe-core found serious/critical violations ({len(problems)}) on pages of /{language}/ "
        f"(checked: {checked}):\n" + "\n".join(problems)
    )


def test_axe_check_catches_a_violation_under_the_sites_policy(
    chromium: Any, base_url: str, axe_js: Path
) -> None:
    """The check above can fail: axe runs on a real page (strict CSP) and flags a broken image."""
    context = chromium.new_context(bypass_csp=True, java_script_enabled=True)
    try:
        tab = context.new_page()
        tab.goto(f"{base_url}/en/", wait_until="load")
        tab.locator("main").evaluate(
            "main => main.insertAdjacentHTML('beforeend', '<img src=\"/static/missing.png\">')"
        )
        blocking = {
            violation["id"]
            for violation in axe_violations(tab, axe_js)
            if violation["impact"] in BLOCKING_IMPACTS
        }
    finally:
        context.close()
    assert "image-alt" in blocking, blocking
