"""Discover the public pages of one language by following links, starting at ``/<lang>/``.

The crawl speaks plain HTTP to the live server (no browser, no JavaScript): a page is public when
an anonymous visitor reaches it by following ``<a href>`` links from the language's home page.
Fragments and query strings are dropped, only same-origin paths under the language prefix are
followed, and the staff area, the admin, the CMS, uploads and static files are left out.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

LANGUAGES = ("en", "sr-latn", "sr", "bs")
# The value of <html lang> (and of hreflang in the language switch) for each URL prefix.
HTML_LANG = {"en": "en", "sr-latn": "sr-Latn", "sr": "sr-Cyrl", "bs": "bs"}
SKIPPED_PREFIXES = ("/staff/", "/admin/", "/cms/", "/media/", "/static/")
MAX_PAGES_PER_LANGUAGE = 60


@dataclass(frozen=True)
class Page:
    url: str  # absolute, on the live server
    path: str
    status: int


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


# Never through a proxy: the live server is on this machine.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _fetch(url: str) -> tuple[str, int, str, str]:
    """(final URL after redirects, status, content type, body) of a GET."""
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    try:
        with _opener.open(request, timeout=30) as response:
            body = response.read().decode(response.headers.get_content_charset() or "utf-8")
            return response.geturl(), response.status, response.headers.get_content_type(), body
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")
        return error.geturl() or url, error.code, error.headers.get_content_type(), body


def _in_scope(path: str, prefix: str) -> bool:
    return path.startswith(prefix) and not path.startswith(SKIPPED_PREFIXES)


def crawl(base_url: str, language: str, limit: int = MAX_PAGES_PER_LANGUAGE) -> list[Page]:
    """The public HTML pages of ``language`` reachable from ``/<language>/``, in crawl order.

    Pages that answer with an error status are included (with that status) so that the tests
    report broken links instead of silently skipping them.
    """
    origin = urlsplit(base_url)
    prefix = f"/{language}/"
    queue = [prefix]
    seen = {prefix}
    pages: list[Page] = []
    while queue and len(pages) < limit:
        path = queue.pop(0)
        final_url, status, content_type, body = _fetch(urljoin(base_url, path))
        final = urlsplit(final_url)
        if (final.scheme, final.netloc) != (origin.scheme, origin.netloc):
            continue
        if not _in_scope(final.path, prefix) or content_type != "text/html":
            continue
        if final.path != path:
            # A redirect: record the page under the path it really lives at, once.
            if any(page.path == final.path for page in pages):
                continue
            seen.add(final.path)
        pages.append(Page(url=urljoin(base_url, final.path), path=final.path, status=status))
        parser = _LinkParser()
        parser.feed(body)
        for href in parser.hrefs:
            target = urlsplit(urldefrag(urljoin(final_url, href)).url)
            if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
                continue
            if _in_scope(target.path, prefix) and target.path not in seen:
                seen.add(target.path)
                queue.append(target.path)
    return pages
