"""Administrators say which domains and networks an institution answers for (a platform, a
hosting provider): one per line in the admin, checked entry by entry."""

from __future__ import annotations

import pytest

from sigurnet.core.models import Institution

pytestmark = pytest.mark.django_db


def institution_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Test Hosting d.o.o.",
        "name_en": "",
        "kind": "hosting_provider",
        "country": "RS",
        "languages": "[]",
        "intake_method": "email",
        "intake_email": "abuse@hosting.example.org",
        "website": "hosting.example.org",
        "network": "",
        "notes": "",
        "source": "",
        "domains": "",
        "networks": "",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_an_administrator_enters_domains_and_networks_one_per_line(signed_in):
    client = signed_in("Administrator")
    response = client.post(
        "/admin/core/institution/add/",
        institution_form(
            domains="Hosting.Example.org\n\nvideo.example.net.\n",
            networks="AS64500\n192.0.2.0/24\n2001:db8::/32",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    institution = Institution.objects.get(name="Test Hosting d.o.o.")
    assert institution.domains == ["hosting.example.org", "video.example.net"]
    assert institution.networks == ["AS64500", "192.0.2.0/24", "2001:db8::/32"]
    assert institution.website == "https://hosting.example.org"

    page = client.get(f"/admin/core/institution/{institution.pk}/change/").content.decode()
    assert "AS64500\n192.0.2.0/24\n2001:db8::/32</textarea>" in page


def test_an_entry_that_is_not_a_network_or_a_domain_is_refused_by_name(signed_in):
    client = signed_in("Administrator")
    response = client.post(
        "/admin/core/institution/add/",
        institution_form(domains="https://example.org/", networks="AS64500\nhosting.example.org"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "https://example.org/ is not a domain name like example.com" in page
    assert "hosting.example.org is neither an AS number like AS64500" in page
    assert not Institution.objects.filter(name="Test Hosting d.o.o.").exists()
