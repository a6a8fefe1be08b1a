"""Every public page shows the way to report, to get help, and the emergency number."""

from __future__ import annotations

import pytest
from django.test import Client

from sigurnet.core.models import DeploymentProfile
from sigurnet.core.services import save_profile

PUBLIC_PATHS = ["/", "/report/", "/help/"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sr-latn", "sr", "bs"])
@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_layout_shows_report_help_emergency_number_and_language_switch(language, path):
    page = Client().get(f"/{language}{path}").content.decode()
    assert f'href="/{language}/report/"' in page
    assert f'href="/{language}/help/"' in page
    assert 'href="tel:192"' in page
    assert page.count('hreflang="') == 4


@pytest.mark.django_db
def test_profile_changes_what_the_public_sees():
    save_profile(
        DeploymentProfile(
            centre_name="Sigurno dijete",
            country="BA",
            enabled_languages=["bs", "en"],
            emergency_number="122",
            helpline_phone="080 05 03 05",
            helpline_hours="8-16",
            hotline_email="prijava@example.org",
        )
    )
    page = Client().get("/bs/help/").content.decode()
    assert "Sigurno dijete" in page
    assert 'href="tel:122"' in page
    assert 'href="tel:080050305"' in page
    assert "prijava@example.org" in page


@pytest.mark.django_db
def test_public_pages_send_strict_security_headers():
    response = Client().get("/en/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_stylesheet_is_found_by_the_static_files_finders():
    from django.contrib.staticfiles import finders

    assert finders.find("css/site.css")
