"""Who an assessed report should go to, from where its content is hosted and the institutions
registry. A pure read: the analyst confirms, removes or adds recipients.

The rules (issue 14):

* Content hosted at home (the deployment profile's country): the police unit and the
  prosecutor's office for high-tech crime - the registry's active police and prosecutor
  institutions of that country.
* Content hosted abroad: the INHOPE partner hotline(s) of that country (registry kind
  ``partner_hotline``). Never for an address whose country is unknown (private, loopback,
  reserved, or not looked up yet).
* In every case, the hosting provider or platform when the registry knows one for that network
  (``Institution.networks``: AS numbers, address ranges) or domain (``Institution.domains``; a
  domain covers its subdomains). An account on a platform has no host: its platform is found by
  the platform's name as the reporter typed it (a domain's first label, ``tiktok`` for
  ``tiktok.com``, or the institution's name).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from sigurnet.core.countries import country_label, country_name
from sigurnet.core.models import Institution, parse_network
from sigurnet.core.selectors import get_profile
from sigurnet.hotline.forwarding.hosting import item_host
from sigurnet.hotline.models import ContentItem, HostingFacts, Report

# The kinds of suggestion: ``hotline.Dispatch.Kind`` values.
POLICE = "police"
PROSECUTOR = "prosecutor"
PARTNER_HOTLINE = "partner_hotline"
TAKEDOWN = "takedown"
PLATFORM = "platform"

KIND_ORDER = (POLICE, PROSECUTOR, PARTNER_HOTLINE, TAKEDOWN, PLATFORM)
# What a registry entry that answers for a network or a domain is sent.
REGISTRY_KINDS = {
    Institution.Kind.HOSTING_PROVIDER: TAKEDOWN,
    Institution.Kind.PLATFORM: PLATFORM,
}


@dataclass
class Suggestion:
    """One suggested recipient: which institution, as which kind of dispatch, for which of the
    report's content items, and why (in the active language)."""

    institution: Institution
    kind: str
    items: list[ContentItem] = field(default_factory=list)
    reason: str = ""


def _facts(item: ContentItem) -> HostingFacts | None:
    try:
        return item.hosting
    except HostingFacts.DoesNotExist:
        return None


def _squeeze(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _domain_covers(domain: str, host: str) -> bool:
    domain = domain.lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def _network_match(institution: Institution, facts: HostingFacts) -> str:
    """The entry of ``institution.networks`` that one of the facts' public addresses or AS
    numbers falls in ("" if none), e.g. "AS64500" or "192.0.2.0/24"."""
    networks = [parse_network(entry) for entry in institution.networks or []]
    for address in facts.addresses or []:
        if not address.get("public"):
            continue
        ip = ipaddress.ip_address(address["address"])
        asn = address.get("asn")
        for network in networks:
            if isinstance(network, int):
                if asn is not None and network == asn:
                    return f"AS{network}"
            elif network is not None and ip.version == network.version and ip in network:
                return str(network)
    return ""


def _platform_match(institution: Institution, platform: str) -> bool:
    """Whether the platform's name, as the reporter typed it, names this institution."""
    wanted = _squeeze(platform.strip().removeprefix("www."))
    if not wanted:
        return False
    for domain in institution.domains or []:
        if wanted in (_squeeze(domain), _squeeze(domain.split(".")[0])):
            return True
    names = {_squeeze(institution.name), _squeeze(institution.name_en)}
    return wanted in names


def suggest_recipients(report: Report) -> list[Suggestion]:
    """The recipients suggested for ``report``'s content items (see the module's rules), one
    per institution and kind, police first, then prosecutor, partner hotline, hosting provider
    and platform. Reads only."""
    items = list(
        ContentItem.objects.filter(reported_urls__report=report)
        .distinct()
        .select_related("hosting")
        .order_by("pk")
    )
    if not items:
        return []
    home = get_profile().country.upper()
    registry = list(
        Institution.objects.filter(is_active=True).filter(
            Q(kind__in=[Institution.Kind.POLICE, Institution.Kind.PROSECUTOR], country=home)
            | Q(kind=Institution.Kind.PARTNER_HOTLINE)
            | Q(kind__in=list(REGISTRY_KINDS))
        )
    )
    found: dict[tuple[int, str], Suggestion] = {}

    def suggest(institution: Institution, kind: str, item: ContentItem, reason: str) -> None:
        suggestion = found.setdefault(
            (institution.pk, kind), Suggestion(institution=institution, kind=kind, reason=reason)
        )
        if item not in suggestion.items:
            suggestion.items.append(item)

    for item in items:
        facts = _facts(item)
        country = facts.country if facts and facts.outcome == HostingFacts.Outcome.FOUND else ""
        if country and country == home:
            for institution in registry:
                if institution.country != home:
                    continue
                if institution.kind == Institution.Kind.POLICE:
                    reason = _(
                        "Hosted at home (%(country)s): the police unit for high-tech crime."
                    ) % {"country": country_name(country)}
                    suggest(institution, POLICE, item, reason)
                elif institution.kind == Institution.Kind.PROSECUTOR:
                    reason = _(
                        "Hosted at home (%(country)s): the prosecutor's office for high-tech crime."
                    ) % {"country": country_name(country)}
                    suggest(institution, PROSECUTOR, item, reason)
        elif country:
            for institution in registry:
                if (
                    institution.kind == Institution.Kind.PARTNER_HOTLINE
                    and institution.country == country
                ):
                    reason = _("Hosted in %(country)s: that country's INHOPE partner hotline.") % {
                        "country": country_label(country)
                    }
                    suggest(institution, PARTNER_HOTLINE, item, reason)

        host = (facts.host if facts and facts.host else item_host(item)) or ""
        for institution in registry:
            kind = REGISTRY_KINDS.get(institution.kind)  # type: ignore[call-overload]
            if kind is None:
                continue
            if item.kind == ContentItem.Kind.ACCOUNT:
                if _platform_match(institution, report.platform):
                    reason = _("The account is on %(platform)s.") % {"platform": report.platform}
                    suggest(institution, kind, item, reason)
                continue
            domain = next((d for d in institution.domains or [] if _domain_covers(d, host)), "")
            if domain:
                reason = _("It answers for %(domain)s, where the content is.") % {"domain": domain}
                suggest(institution, kind, item, reason)
                continue
            network = _network_match(institution, facts) if facts else ""
            if network:
                reason = _(
                    "It answers for the network where the content is hosted (%(network)s)."
                ) % {"network": network}
                suggest(institution, kind, item, reason)

    return sorted(
        found.values(),
        key=lambda s: (KIND_ORDER.index(s.kind), s.institution.country, s.institution.name),
    )
