"""Error pages are pages of the site, in the visitor's language, for the public and for staff."""

from __future__ import annotations

import re

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from sigurnet import urls as site_urls


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


# The site's URLs and error handlers, with two views that fail.
urlpatterns = [
    *site_urls.urlpatterns,
    *i18n_patterns(path("boom/", _boom), path("forbidden/", _forbidden)),
    path("staff/boom/", _boom),
]
# The site's handlers (Django's own when the site sets none).
handler400 = getattr(site_urls, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(site_urls, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(site_urls, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(site_urls, "handler500", "django.views.defaults.server_error")


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found
    return found.group(1).strip()


PUBLIC_LAYOUT = ('class="emergency"', 'class="language-switch"', 'class="main-nav"')


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "lang"),
    [
        ("en", "Page not found", 'lang="en"'),
        ("sr-latn", "Stranica nije pronađena", 'lang="sr-Latn"'),
        ("sr", "Страница није пронађена", 'lang="sr-Cyrl"'),
        ("bs", "Stranica nije pronađena", 'lang="bs"'),
    ],
)
def test_a_missing_page_is_a_page_of_the_site_in_the_visitors_language(
    settings, language, heading, lang
):
    settings.DEBUG = False
    response = Client().get(f"/{language}/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert f"<h1>{heading}</h1>" in page
    assert title(page).startswith(heading)
    assert lang in page
    for part in PUBLIC_LAYOUT:
        assert part in page
    assert f'href="/{language}/report/"' in page


@pytest.mark.django_db
def test_a_missing_staff_page_uses_the_staff_layout(settings):
    settings.DEBUG = False
    response = Client().get("/staff/no-such-page/", HTTP_ACCEPT_LANGUAGE="sr-Latn")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Stranica nije pronađena</h1>" in page
    assert 'class="staff"' in page
    assert 'class="emergency"' not in page
    assert 'href="/staff/"' in page


@pytest.mark.django_db
def test_a_missing_admin_page_uses_the_staff_layout(settings, signed_in):
    settings.DEBUG = False
    client = signed_in("Administrator")
    response = client.get("/admin/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Page not found</h1>" in page
    assert 'class="staff"' in page


@pytest.mark.django_db
def test_a_staff_page_outside_ones_role_says_so_in_the_staff_layout(settings, signed_in):
    settings.DEBUG = False
    client = signed_in("Hotline supervisor")  # uses the admin site, but not its accounts
    response = client.get("/admin/auth/user/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>You cannot open this page</h1>" in page
    assert "Ask an administrator" in page
    assert 'class="staff"' in page


@pytest.mark.django_db
def test_a_forbidden_public_page_is_a_page_of_the_site(failing_urls):
    response = Client().get("/sr-latn/forbidden/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Ne možeš da otvoriš ovu stranicu</h1>" in page
    for part in PUBLIC_LAYOUT:
        assert part in page


@pytest.mark.django_db
def test_a_server_error_is_a_page_of_the_site_in_the_visitors_language(failing_urls):
    response = Client(raise_request_exception=False).get("/sr/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Нешто није у реду</h1>" in page  # noqa: RUF001
    assert 'lang="sr-Cyrl"' in page
    assert 'href="/sr/help/"' in page


def test_a_server_error_page_needs_no_database(failing_urls):
    # No database at all here (no django_db mark): every query raises, even the middleware's.
    response = Client(raise_request_exception=False).get("/bs/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Nešto nije u redu</h1>" in page
    assert 'href="/bs/report/"' in page


@pytest.mark.django_db
def test_a_server_error_on_a_staff_page_has_no_public_navigation(failing_urls):
    response = Client(raise_request_exception=False).get("/staff/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Something went wrong</h1>" in page
    assert 'href="/en/report/"' not in page
    assert 'class="emergency"' not in page


@pytest.mark.django_db
def test_a_bad_request_is_a_page_of_the_site(settings):
    settings.DEBUG = False
    response = Client(HTTP_HOST="elsewhere.example.org").get("/sr-latn/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>Nismo mogli da pročitamo ovaj zahtev</h1>" in page


@pytest.mark.django_db
def test_a_failed_form_check_says_kindly_that_nothing_was_lost(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sr-latn/report/", {"category": "grooming"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Pošalji obrazac ponovo</h1>" in page
    assert "Ništa od onoga što je ranije poslato nije izgubljeno." in page
    for part in PUBLIC_LAYOUT:
        assert part in page
    assert "CSRF" not in page
