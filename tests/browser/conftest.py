"""Browser tests: Debian's Chromium driven by Playwright against Django's live server.

One headless Chromium serves the whole session. Without ``/usr/bin/chromium`` the tests are
skipped with the install command, unless ``SIGURNET_REQUIRE_BROWSER=1`` (CI), which makes a
missing browser an error. Never ``playwright install``: it downloads a browser build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.crawl import Page, crawl

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "apt-get install -y chromium"
AXE_JS = Path(__file__).resolve().parent.parent / "assets" / "axe" / "axe.min.js"
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    if os.environ.get("SIGURNET_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SIGURNET_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; install it with: {INSTALL_HINT}")
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def chromium(playwright_driver: Any) -> Iterator[Any]:
    """The session's one headless Chromium (Debian's; Playwright passes --no-sandbox)."""
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def base_url(live_server: Any) -> str:
    """The live server's root, e.g. ``http://localhost:40123`` (no trailing slash)."""
    return str(live_server.url).rstrip("/")


_crawled: dict[tuple[str, str], list[Page]] = {}


@pytest.fixture
def public_pages(base_url: str) -> Callable[[str], list[Page]]:
    """``public_pages(lang)``: the pages a visitor reaches from ``/<lang>/`` (crawled once)."""

    def pages(language: str) -> list[Page]:
        key = (base_url, language)
        if key not in _crawled:
            _crawled[key] = crawl(base_url, language)
        return _crawled[key]

    return pages


@pytest.fixture
def axe_js() -> Path:
    if not AXE_JS.exists():
        pytest.fail(f"vendored axe-core missing at {AXE_JS}", pytrace=False)
    return AXE_JS
