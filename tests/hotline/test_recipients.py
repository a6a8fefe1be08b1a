"""Suggested recipients of an assessed report, from where its content is hosted and the
institutions registry (seeded by the core migrations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone, translation

from sigurnet.core.models import DeploymentProfile, Institution
from sigurnet.core.services import save_profile
from sigurnet.hotline.forwarding.hosting import item_host
from sigurnet.hotline.forwarding.recipients import suggest_recipients
from sigurnet.hotline.models import ContentItem, HostingFacts

# The seed's names, with their en dashes.
RS_POLICE = (
    "Ministarstvo unutrašnjih poslova \u2013 Služba za borbu protiv visokotehnološkog kriminala"
)
RS_PROSECUTOR = (
    "Više javno tužilaštvo u Beogradu \u2013 Posebno odeljenje za borbu protiv "
    "visokotehnološkog kriminala"
)


def hosted(item: ContentItem, *addresses: tuple[str, str, int | None]) -> HostingFacts:
    """Facts as a look-up stores them: (address, country, AS number) per address."""
    entries = [
        {
            "address": address,
            "version": 6 if ":" in address else 4,
            "public": bool(country),
            "country": country,
            "asn": asn,
            "network_name": "",
        }
        for address, country, asn in addresses
    ]
    first = next((e for e in entries if e["public"]), None)
    return HostingFacts.objects.create(
        item=item,
        outcome=HostingFacts.Outcome.FOUND,
        host=item_host(item) or "",
        addresses=entries,
        country=first["country"] if first else "",
        asn=first["asn"] if first else None,
        looked_up_at=timezone.now(),
    )


@pytest.fixture
def report_at(make_report: Callable[..., Any]) -> Callable[..., Any]:
    """A report of one web address hosted at the given addresses."""

    def make(url: str, *addresses: tuple[str, str, int | None]) -> Any:
        report = make_report(urls=[url])
        if addresses:
            hosted(report.content_items.get(), *addresses)
        return report

    return make


def names(suggestions: list[Any]) -> list[tuple[str, str]]:
    return [(s.kind, s.institution.name) for s in suggestions]


@pytest.mark.django_db
def test_content_hosted_at_home_goes_to_the_police_and_the_prosecutor_for_high_tech_crime(
    report_at,
):
    report = report_at("https://shop.example.com/offer", ("147.91.8.1", "RS", None))

    with translation.override("en"):
        suggestions = suggest_recipients(report)

    assert names(suggestions) == [("police", RS_POLICE), ("prosecutor", RS_PROSECUTOR)]
    item = report.content_items.get()
    assert all(s.items == [item] for s in suggestions)
    assert suggestions[0].reason == "Hosted at home (Serbia): the police unit for high-tech crime."


@pytest.mark.django_db
def test_content_hosted_abroad_goes_to_that_countrys_partner_hotline(report_at):
    report = report_at("https://pics.example.net/album", ("145.100.0.1", "NL", None))
    suggestions = suggest_recipients(report)
    assert names(suggestions) == [("partner_hotline", "Offlimits (Meldpunt Kinderporno)")]
    assert suggestions[0].institution.country == "NL"


@pytest.mark.django_db
def test_home_is_the_country_of_the_deployment_profile(report_at):
    save_profile(
        DeploymentProfile(
            centre_name="Centar (test)",
            country="BA",
            enabled_languages=["en"],
            emergency_number="122",
        )
    )
    report = report_at("https://shop.example.com/offer", ("147.91.8.1", "RS", None))
    suggestions = suggest_recipients(report)
    # Serbia is abroad for a centre in Bosnia and Herzegovina: its hotline, not its police.
    assert [s.kind for s in suggestions] == ["partner_hotline"]
    assert suggestions[0].institution.country == "RS"


@pytest.mark.django_db
def test_an_address_of_unknown_country_suggests_no_police_and_no_partner_hotline(report_at):
    loopback = report_at("https://intranet.example.org/", ("127.0.0.1", "", None))
    not_looked_up = report_at("https://new.example.org/")
    assert suggest_recipients(loopback) == []
    assert suggest_recipients(not_looked_up) == []


@pytest.mark.django_db
def test_a_failed_look_up_suggests_nothing_by_country(report_at):
    report = report_at("https://gone.example.com/")
    HostingFacts.objects.create(
        item=report.content_items.get(),
        outcome=HostingFacts.Outcome.FAILED,
        host="gone.example.com",
        country="RS",  # never trusted from a failed look-up
        error_code="nxdomain",
        looked_up_at=timezone.now(),
    )
    assert suggest_recipients(report) == []


@pytest.mark.django_db
def test_the_hosting_provider_that_answers_for_the_network_gets_a_takedown_notice(report_at):
    by_as = Institution.objects.create(
        name="Test Hosting (AS)", kind="hosting_provider", country="NL", networks=["AS64501"]
    )
    by_range = Institution.objects.create(
        name="Test Hosting (range)",
        kind="hosting_provider",
        country="RS",
        networks=["147.91.0.0/16"],
    )
    Institution.objects.create(
        name="Other Hosting",
        kind="hosting_provider",
        country="RS",
        networks=["AS64999", "10.0.0.0/8"],
    )
    abroad = report_at("https://pics.example.net/album", ("145.100.0.1", "NL", 64501))
    home = report_at("https://shop.example.com/offer", ("147.91.8.1", "RS", 64500))

    abroad_suggestions = suggest_recipients(abroad)
    home_suggestions = suggest_recipients(home)

    assert ("takedown", by_as.name) in names(abroad_suggestions)
    assert ("takedown", by_range.name) not in names(abroad_suggestions)
    assert next(s for s in home_suggestions if s.kind == "takedown").institution == by_range
    assert "Other Hosting" not in [name for _kind, name in names(home_suggestions)]
    with translation.override("en"):
        takedown = next(s for s in suggest_recipients(abroad) if s.kind == "takedown")
    assert takedown.reason == "It answers for the network where the content is hosted (AS64501)."


@pytest.mark.django_db
def test_a_private_address_never_matches_a_hosting_providers_range(report_at):
    Institution.objects.create(
        name="Test Hosting", kind="hosting_provider", country="RS", networks=["127.0.0.0/8"]
    )
    report = report_at("https://intranet.example.org/", ("127.0.0.1", "", None))
    assert suggest_recipients(report) == []


@pytest.mark.django_db
def test_the_platform_that_answers_for_the_domain_gets_a_notice(report_at):
    forum = Institution.objects.create(
        name="Test Forum", kind="platform", country="RS", domains=["example.net"]
    )
    report = report_at("https://forum.example.net/t/17", ("145.100.0.1", "NL", None))
    elsewhere = report_at("https://example.org/t/17", ("145.100.0.1", "NL", None))

    assert ("platform", forum.name) in names(suggest_recipients(report))
    assert ("platform", forum.name) not in names(suggest_recipients(elsewhere))


@pytest.mark.django_db
def test_the_seeded_platforms_answer_for_their_own_domains(report_at):
    # Even before the look-up: the platform is known from the domain.
    report = report_at("https://www.instagram.com/p/demo123/")
    assert names(suggest_recipients(report)) == [
        ("platform", "Meta Platforms, Inc. (Facebook, Instagram, WhatsApp)")
    ]


@pytest.mark.django_db
def test_an_account_on_a_platform_goes_to_that_platform(make_report):
    report = make_report(urls=[], platform="TikTok", account="@demo.account")
    HostingFacts.objects.create(
        item=report.content_items.get(), outcome=HostingFacts.Outcome.NO_HOST
    )
    with translation.override("en"):
        suggestions = suggest_recipients(report)
    assert names(suggestions) == [("platform", "TikTok Technology Limited")]
    assert suggestions[0].reason == "The account is on TikTok."


@pytest.mark.django_db
def test_one_suggestion_per_institution_lists_every_item_it_concerns(make_report):
    report = make_report(
        urls=["https://shop.example.com/a", "https://shop.example.com/b", "https://x.example.org/"]
    )
    items = list(report.content_items.order_by("pk"))
    hosted(items[0], ("147.91.8.1", "RS", None))
    hosted(items[1], ("147.91.8.2", "RS", None))
    hosted(items[2], ("145.100.0.1", "NL", None))

    suggestions = suggest_recipients(report)

    police = next(s for s in suggestions if s.kind == "police")
    hotline = next(s for s in suggestions if s.kind == "partner_hotline")
    assert police.items == items[:2]
    assert hotline.items == [items[2]]
    assert [s.kind for s in suggestions] == ["police", "prosecutor", "partner_hotline"]


@pytest.mark.django_db
def test_an_inactive_institution_is_not_suggested(report_at):
    Institution.objects.filter(name=RS_PROSECUTOR).update(is_active=False)
    report = report_at("https://shop.example.com/offer", ("147.91.8.1", "RS", None))
    assert names(suggest_recipients(report)) == [("police", RS_POLICE)]


@pytest.mark.django_db
def test_suggesting_writes_nothing(report_at, django_assert_max_num_queries):
    report = report_at("https://shop.example.com/offer", ("147.91.8.1", "RS", None))
    with django_assert_max_num_queries(3) as captured:
        suggest_recipients(report)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in captured.captured_queries)


@pytest.mark.django_db
def test_the_demo_shows_suggestions_from_invented_hosting_facts():
    from sigurnet.core.demo import create_demo_data

    create_demo_data()

    sneakers = HostingFacts.objects.get(host="sneakers.example.net")
    report = sneakers.item.reports.order_by("received_at").first()
    kinds = names(suggest_recipients(report))
    assert ("partner_hotline", "Offlimits (Meldpunt Kinderporno)") in kinds
    assert ("takedown", "Example Cloud B.V. (demo)") in kinds

    account = HostingFacts.objects.filter(outcome="no_host").first()
    helpdesk = account.item.reports.first()
    assert ("platform", "Demo social network") in names(suggest_recipients(helpdesk))
    # The demo's facts are complete: no look-up was left to the network.
    assert not HostingFacts.objects.exclude(outcome__in=["found", "no_host"]).exists()


@pytest.mark.django_db
def test_the_forward_page_offers_the_home_police_while_the_hosting_country_is_unknown(report_at):
    """The forward page's list (``forwarding.selectors.suggestions``): an analyst is never
    left with nothing to confirm because an address could not be placed."""
    from sigurnet.hotline.forwarding import selectors as forwarding_selectors

    unplaced = report_at("https://intranet.example.org/", ("127.0.0.1", "", None))
    not_looked_up = report_at("https://new.example.org/")
    abroad = report_at("https://shop.example.nl/", ("145.100.0.1", "NL", None))

    home = {("police", RS_POLICE), ("prosecutor", RS_PROSECUTOR)}
    assert home <= set(names(forwarding_selectors.suggestions(unplaced)))
    assert home <= set(names(forwarding_selectors.suggestions(not_looked_up)))
    assert not home & set(names(forwarding_selectors.suggestions(abroad)))
