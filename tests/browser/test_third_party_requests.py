"""No public page makes the visitor's browser talk to any host but the site's own.

Every request a page makes is recorded (documents, styles, scripts, images, fonts, favicons,
fetches). Requests to other hosts are aborted before they leave the machine, and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.crawl import LANGUAGES, Page

pytestmark = pytest.mark.browser

# Schemes that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about"}


class ForeignRequestDetector:
    """Records, and aborts, every request of a browser context to a host:port but ``own``."""

    def __init__(self, own_netloc: str) -> None:
        self.own = own_netloc.lower()
        self.current = ""  # what is being loaded, for the report
        self.found: list[tuple[str, str, str]] = []  # (page, resource type, URL)
        self.allowed: list[str] = []  # URLs on the site's own host:port

    def is_foreign(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            return False
        return parts.netloc.lower() != self.own

    def attach(self, context: Any) -> None:
        context.route("**/*", self._route)
        context.on("request", self._on_request)

    def _on_request(self, request: Any) -> None:
        if self.is_foreign(request.url):
            self.found.append((self.current, request.resource_type, request.url))
        else:
            self.allowed.append(request.url)

    def _route(self, route: Any) -> None:
        if self.is_foreign(route.request.url):
            route.abort("blockedbyclient")
        else:
            route.continue_()


def settle(tab: Any) -> None:
    """Let lazy images and late fonts load: scroll to the end, wait until the network is idle."""
    tab.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    tab.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_load_nothing_from_other_hosts(
    language: str, chromium: Any, base_url: str, public_pages: Callable[[str], list[Page]]
) -> None:
    pages = public_pages(language)
    assert pages, f"the crawl found no page from /{language}/"
    detector = ForeignRequestDetector(urlsplit(base_url).netloc)
    context = chromium.new_context(java_script_enabled=True)
    detector.attach(context)
    try:
        tab = context.new_page()
        for page in pages:
            detector.current = page.path
            tab.goto(page.url, wait_until="load")
            settle(tab)
    finally:
        context.close()
    # The recording works: at least every page and the site's own stylesheet were seen.
    assert len(detector.allowed) > len(pages), detector.allowed
    report = "\n".join(f"{path}: {kind} {url}" for path, kind, url in detector.found)
    assert not detector.found, f"pages of /{language}/ requested other hosts:\n{report}"


def test_detector_flags_requests_to_other_hosts(chromium: Any, base_url: str) -> None:
    """The check above can fail: a page with third-party resources is caught (and blocked)."""
    detector = ForeignRequestDetector(urlsplit(base_url).netloc)
    context = chromium.new_context(java_script_enabled=True)
    detector.attach(context)
    html = f"""<!DOCTYPE html>
<html lang="en"><head>
<link rel="stylesheet" href="https://cdn.example.com/x.css">
<link rel="stylesheet" href="{base_url}/static/css/site.css">
<style>
  @font-face {{ font-family: Remote; src: url(https://fonts.example.org/remote.woff2); }}
  p {{ font-family: Remote, sans-serif; }}
</style>
</head><body>
<p>Hello</p>
<img src="https://images.example.net/pixel.png" alt="">
<script src="https://tracker.example.org/t.js"></script>
</body></html>"""
    try:
        tab = context.new_page()
        detector.current = "set_content"
        tab.set_content(html, wait_until="load")
        settle(tab)
    finally:
        context.close()
    flagged = {url for _page, _kind, url in detector.found}
    assert flagged == {
        "https://cdn.example.com/x.css",
        "https://fonts.example.org/remote.woff2",
        "https://images.example.net/pixel.png",
        "https://tracker.example.org/t.js",
    }, detector.found
    assert f"{base_url}/static/css/site.css" in detector.allowed
