"""Every public page carries "Exit this page": a plain link to a neutral page on another site."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from tests.browser.crawl import LANGUAGES, SKIPPED_PREFIXES, _LinkParser

EXIT_URL = "https://weather.example.net/today"


class _ExitLinks(HTMLParser):
    """The attributes of every ``<a data-quick-exit>`` and the position of the skip link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str | None]] = []
        self.order: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and "data-quick-exit" in found:
            self.links.append(found)
            self.order.append("exit")
        elif tag == "a" and "skip-link" in (found.get("class") or ""):
            self.order.append("skip")
        elif tag == "header":
            self.order.append("header")


def exit_links(page: str) -> _ExitLinks:
    parser = _ExitLinks()
    parser.feed(page)
    return parser


def crawl_with_client(client: Client, language: str) -> dict[str, str]:
    """Path -> HTML of every page an anonymous visitor reaches by links from /<language>/."""
    prefix = f"/{language}/"
    queue, seen, pages = [prefix], {prefix}, {}
    while queue:
        path = queue.pop(0)
        response = client.get(path, follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        pages[response.request["PATH_INFO"]] = page
        parser = _LinkParser()
        parser.feed(page)
        for href in parser.hrefs:
            target = urlsplit(urldefrag(href).url)
            if target.netloc or not target.path.startswith(prefix):
                continue
            if target.path.startswith(SKIPPED_PREFIXES) or target.path in seen:
                continue
            seen.add(target.path)
            queue.append(target.path)
    return pages


def assert_has_quick_exit(page: str, where: str) -> None:
    parser = exit_links(page)
    assert len(parser.links) == 1, f"{where}: {len(parser.links)} exit links"
    link = parser.links[0]
    assert link["href"] == EXIT_URL, where
    assert "noreferrer" in (link["rel"] or "").split(), where
    # At the top: right after the skip link, before the header and the page.
    assert parser.order[:3] == ["skip", "exit", "header"], (where, parser.order)
    assert 'id="quick-exit-hint"' in page and link["aria-describedby"] == "quick-exit-hint", where


@pytest.fixture(autouse=True)
def _exit_url(settings, tmp_path):
    settings.SIGURNET_QUICK_EXIT_URL = EXIT_URL
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def walk_the_report_form(client: Client, language: str) -> dict[str, str]:
    """Path -> HTML of each step of the report form, the check page and the done page."""
    steps = [
        ("report/", {"category": "cyberbullying"}),
        ("report/where/", {"urls": "https://example.com/post/1"}),
        ("report/details/", {"description": "They post mean things."}),
        ("report/you/", {"age_band": "13_17"}),
        ("report/check/", {}),
    ]
    pages = {}
    for step, data in steps:
        path = f"/{language}/{step}"
        pages[path] = client.get(path).content.decode()
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.content.decode()[:2000])
    pages[response["Location"]] = client.get(response["Location"]).content.decode()
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_has_the_quick_exit_link(language):
    client = Client()
    pages = crawl_with_client(client, language)
    for path in (f"/{language}/", f"/{language}/report/", f"/{language}/help/"):
        assert path in pages, sorted(pages)
    pages.update(walk_the_report_form(client, language))
    assert f"/{language}/report/done/" in pages, sorted(pages)
    for path, page in pages.items():
        assert_has_quick_exit(page, path)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_have_the_quick_exit_link(settings, language):
    settings.DEBUG = False
    missing = Client().get(f"/{language}/no-such-page/")
    assert missing.status_code == 404
    assert_has_quick_exit(missing.content.decode(), "404")
    bad = Client(HTTP_HOST="elsewhere.example.org").get(f"/{language}/")
    assert bad.status_code == 400
    assert_has_quick_exit(bad.content.decode(), "400")
    csrf = Client(enforce_csrf_checks=True).post(f"/{language}/report/", {})
    assert csrf.status_code == 403
    assert_has_quick_exit(csrf.content.decode(), "403")
    settings.ROOT_URLCONF = "tests.core.test_error_pages"
    broken = Client(raise_request_exception=False).get(f"/{language}/boom/")
    assert broken.status_code == 500
    assert_has_quick_exit(broken.content.decode(), "500")


@pytest.mark.django_db
def test_staff_pages_have_no_quick_exit(settings):
    settings.DEBUG = False
    page = Client().get("/staff/login/").content.decode()
    assert not exit_links(page).links
    assert not exit_links(Client().get("/staff/no-such-page/").content.decode()).links


@pytest.mark.django_db
def test_the_hint_says_the_exit_does_not_clear_history_and_the_help_page_explains(settings):
    page = Client().get("/en/").content.decode()
    assert "It does not clear your browsing history." in page
    # The claim about Back is true only with the script, so it is hidden until the script runs.
    keys = r'id="quick-exit-keys" data-quick-exit-keys hidden>You can also press Esc'
    assert re.search(keys, page)
    assert 'href="/en/help/#hide-your-visit"' in page
    help_page = Client().get("/en/help/").content.decode()
    assert 'id="hide-your-visit"' in help_page
    assert "It does not delete your history." in help_page
    assert "private window" in help_page


def test_the_default_destination_is_another_site():
    from sigurnet import settings as site_settings

    assert urlsplit(site_settings.SIGURNET_QUICK_EXIT_URL).scheme == "https"
    assert urlsplit(site_settings.SIGURNET_QUICK_EXIT_URL).hostname not in ("", None, "localhost")
