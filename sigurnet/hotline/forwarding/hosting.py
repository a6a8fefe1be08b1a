"""Where a content item is hosted: its host's addresses, their country and network, and the
network's abuse address (docs/hosting-lookups.md).

``look_up(item)`` does the work and stores it in the item's ``HostingFacts``; it runs in the
Celery task ``forwarding.tasks.look_up_hosting`` (``queue_look_ups`` queues it when a report is
assessed actionable or harmful, ``look_up_again`` when an analyst asks), never in a web request
(in the quick start and the tests tasks run eagerly, in the calling process).

What leaves the machine: DNS queries for the host name (A and AAAA) to the configured resolvers
(``SIGURNET_DNS_RESOLVERS``; the system's resolver when empty) and, when ``SIGURNET_RDAP_URL``
is set, one RDAP query for the first public address to that server only (redirects are not
followed). The country comes from the registry data bundled with ``iptocc`` and the network
from the operator's MMDB file (``SIGURNET_ASN_DATABASE``): both are read locally. An address
that is not public (private, loopback, reserved, documentation) is recorded, its country is
unknown and it is never sent to the RDAP server.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
import iptocc
import maxminddb
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sigurnet.core.services import record_audit_event
from sigurnet.hotline.canonical import InvalidURL, canonicalize
from sigurnet.hotline.models import Assessment, ContentItem, HostingFacts, Report

log = logging.getLogger(__name__)

# Which assessments make a report's items worth looking up (then forwarded, or noticed).
LOOK_UP_OUTCOMES = frozenset({Assessment.Outcome.ACTIONABLE, Assessment.Outcome.HARMFUL})
# Facts younger than this are not looked up again when another report of the item is assessed.
FRESH_FOR = timedelta(hours=24)
# The largest RDAP answer read (a network's answer is a few kilobytes).
RDAP_MAX_BYTES = 512 * 1024


class HostingAction:
    """Audit trail action names. Stable: filters depend on them."""

    LOOKED_UP_AGAIN = "hotline.hosting_looked_up_again"


# How the audit trail names these actions (for ``register_audit_labels``).
HOSTING_ACTION_LABELS: dict[str, str | Promise] = {
    HostingAction.LOOKED_UP_AGAIN: _("Hosting looked up again"),
}

# What an error code means, for staff pages (``error`` holds the technical detail in English).
ERROR_MESSAGES: dict[str, str | Promise] = {
    "nxdomain": _("The host name does not exist (any more)."),
    "no_answer": _("The host name has no addresses."),
    "timeout": _("The DNS server did not answer in time."),
    "servfail": _("The DNS server could not answer."),
    "dns_error": _("The DNS look-up failed."),
    "dns_partial": _("Only some of the host's addresses could be looked up."),
    "dns_off": _("DNS look-ups are switched off (SIGURNET_DNS_RESOLVERS=off)."),
    "dns_config": _("SIGURNET_DNS_RESOLVERS names a DNS server that is not an address."),
    "bad_url": _("The item's address has no host that can be looked up."),
    "asn_database": _("The network database file (SIGURNET_ASN_DATABASE) cannot be read."),
    "rdap_http": _("The RDAP server answered with an error."),
    "rdap_timeout": _("The RDAP server did not answer in time."),
    "rdap_unreachable": _("The RDAP server could not be reached."),
    "rdap_elsewhere": _("The RDAP server does not hold this network (it points elsewhere)."),
    "rdap_not_found": _("The RDAP server knows no network for this address."),
    "rdap_bad_answer": _("The RDAP server's answer could not be read."),
    "rdap_no_abuse": _("The RDAP server names no abuse address for this network."),
}

# Worth trying again later by themselves (the task retries these with a growing delay).
RETRYABLE = frozenset(
    {"timeout", "servfail", "dns_partial", "rdap_http", "rdap_timeout", "rdap_unreachable"}
)


def error_message(code: str) -> str:
    """The error code in the reader's language ("" for no error)."""
    return str(ERROR_MESSAGES.get(code, code)) if code else ""


class LookUpFailed(Exception):
    """One step of a look-up failed: a code of ``ERROR_MESSAGES`` and the technical detail."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class PartialAddresses(LookUpFailed):
    """Some addresses were found, but A or AAAA failed (``found`` holds what was found)."""

    def __init__(self, found: list[str], detail: str) -> None:
        super().__init__("dns_partial", detail)
        self.found = found


# --- The host of an item -------------------------------------------------------------------


def item_host(item: ContentItem) -> str | None:
    """The host of a web address item (lower-case, punycode; an IP address as it is); None for
    an account on a platform, which has no host of its own (its platform answers for it)."""
    if item.kind != ContentItem.Kind.URL:
        return None
    try:
        return canonicalize(item.canonical).host
    except InvalidURL:
        return ""


def is_public(address: str) -> bool:
    """Whether an address is on the public internet (not private, loopback, link-local,
    reserved, shared or documentation)."""
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


# --- DNS -----------------------------------------------------------------------------------


def parse_resolver(entry: str) -> tuple[str, int]:
    """``"192.0.2.53"``, ``"192.0.2.53:5353"``, ``"2001:db8::53"``, ``"[2001:db8::53]:5353"``
    -> (address, port). Raises ``LookUpFailed("dns_config")`` for anything else."""
    text = entry.strip()
    port = 53
    if text.startswith("["):
        address, _bracket, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise LookUpFailed("dns_config", f"not a DNS server: {entry!r}")
            port = int(rest[1:])
    elif text.count(":") == 1:
        address, port_text = text.split(":")
        if not port_text.isdigit():
            raise LookUpFailed("dns_config", f"not a DNS server: {entry!r}")
        port = int(port_text)
    else:
        address = text
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise LookUpFailed("dns_config", f"not a DNS server: {entry!r}") from None
    if not 0 < port < 65536:
        raise LookUpFailed("dns_config", f"not a DNS server: {entry!r}")
    return address, port


def _resolver() -> dns.resolver.Resolver:
    configured = [entry for entry in settings.SIGURNET_DNS_RESOLVERS if entry.strip()]
    if [entry.strip().lower() for entry in configured] == ["off"]:
        raise LookUpFailed("dns_off", "SIGURNET_DNS_RESOLVERS is off")
    if configured:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(*parse_resolver(entry)) for entry in configured
        ]
    else:
        resolver = dns.resolver.Resolver()  # the system's: /etc/resolv.conf
    timeout = float(settings.SIGURNET_DNS_TIMEOUT)
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


# When neither A nor AAAA gave addresses, the failure that says the most.
_DNS_FAILURE_ORDER = ("timeout", "servfail", "dns_error", "no_answer")


def resolve_addresses(host: str) -> list[str]:
    """The host's IPv4 then IPv6 addresses (CNAMEs followed), through the configured resolver.

    Raises ``LookUpFailed``: "nxdomain", "no_answer" (neither kind of address), "timeout",
    "servfail", "dns_error"; ``PartialAddresses`` ("dns_partial", with the addresses found)
    when one kind failed (not merely absent) and the other gave addresses.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [address.compressed]
    resolver = _resolver()
    try:
        name = dns.name.from_text(host)
    except dns.exception.DNSException as exc:
        raise LookUpFailed("bad_url", f"{host}: {exc}") from None
    found: list[str] = []
    failures: list[tuple[str, str]] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            raise LookUpFailed("nxdomain", f"{host}: no such name") from None
        except dns.resolver.NoAnswer:
            failures.append(("no_answer", f"{host}: no {rdtype} record"))
            continue
        except dns.exception.Timeout as exc:
            failures.append(("timeout", f"{host} {rdtype}: {exc}"))
            continue
        except dns.resolver.NoNameservers as exc:
            failures.append(("servfail", f"{host} {rdtype}: {exc}"))
            continue
        except dns.exception.DNSException as exc:
            failures.append(("dns_error", f"{host} {rdtype}: {exc}"))
            continue
        for record in answer:
            text = ipaddress.ip_address(record.address).compressed
            if text not in found:
                found.append(text)
    if found:
        real = [failure for failure in failures if failure[0] != "no_answer"]
        if real:
            raise PartialAddresses(found, real[0][1])
        return found
    failures.sort(key=lambda failure: _DNS_FAILURE_ORDER.index(failure[0]))
    code, detail = failures[0]
    raise LookUpFailed(code, detail)


# --- Country, network ----------------------------------------------------------------------


def country_of(address: str) -> str:
    """ISO 3166 alpha-2 code of a public address from the bundled registry data; "" when the
    address is not public or the data does not place it."""
    if not is_public(address):
        return ""
    code = iptocc.country_code(address)
    return code.upper() if isinstance(code, str) and len(code) == 2 else ""


_readers: dict[str, tuple[float, Any]] = {}
_readers_lock = threading.Lock()


def _asn_reader(path: str) -> Any:
    """The MMDB reader of ``path``, opened once and again when the file changes (the operator
    replaces it with a newer edition)."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise LookUpFailed("asn_database", f"{path}: {exc.strerror}") from None
    with _readers_lock:
        cached = _readers.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            reader = maxminddb.open_database(path)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise LookUpFailed("asn_database", f"{path}: {exc}") from None
        if cached is not None:
            cached[1].close()
        _readers[path] = (mtime, reader)
        return reader


def network_of(address: str, path: str) -> tuple[int | None, str]:
    """(AS number, network name) of a public address from the operator's MMDB file, or
    (None, "") when ``path`` is empty, the address is not public or not in the file.

    Reads MaxMind's GeoLite2-ASN fields (``autonomous_system_number``,
    ``autonomous_system_organization``; DB-IP's "IP to ASN Lite" uses the same) and IPinfo's
    (``asn`` as "AS64500", ``as_name``).
    """
    if not path or not is_public(address):
        return None, ""
    try:
        record = _asn_reader(path).get(address)
    except ValueError as exc:  # an IPv6 address in an IPv4-only file
        log.info("ASN database has no entry for %s: %s", address, exc)
        return None, ""
    if not isinstance(record, dict):
        return None, ""
    number = record.get("autonomous_system_number", record.get("asn"))
    if isinstance(number, str):
        number = number.upper().removeprefix("AS")
        number = int(number) if number.isdigit() else None
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        number = None
    name = record.get("autonomous_system_organization", record.get("as_name", ""))
    return number, str(name or "")[:200]


# --- RDAP ----------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would send the address to another server than the configured one."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str):  # type: ignore[no-untyped-def]
        raise LookUpFailed("rdap_elsewhere", f"HTTP {code} to {newurl}"[:280])


def _rdap_opener() -> urllib.request.OpenerDirector:
    # No proxy from the environment: the address goes to the configured server only.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def abuse_contact(address: str) -> tuple[str, str]:
    """(abuse e-mail address, network name) for a public address from the RDAP server at
    ``SIGURNET_RDAP_URL``; ("", "") when none is configured or the address is not public.

    Raises ``LookUpFailed`` ("rdap_http", "rdap_timeout", "rdap_unreachable",
    "rdap_elsewhere", "rdap_not_found", "rdap_bad_answer", "rdap_no_abuse").
    """
    base = settings.SIGURNET_RDAP_URL
    if not base or not is_public(address):
        return "", ""
    url = f"{base.rstrip('/')}/ip/{address}"
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in settings.py
        url, headers={"Accept": "application/rdap+json, application/json"}
    )
    timeout = float(settings.SIGURNET_DNS_TIMEOUT)
    try:
        with _rdap_opener().open(request, timeout=timeout) as response:
            body = response.read(RDAP_MAX_BYTES + 1)
    except LookUpFailed:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise LookUpFailed("rdap_not_found", f"HTTP 404 for {address}") from None
        raise LookUpFailed("rdap_http", f"HTTP {exc.code} for {address}") from None
    except TimeoutError:
        raise LookUpFailed("rdap_timeout", f"no answer in {timeout:g} s") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise LookUpFailed("rdap_timeout", f"no answer in {timeout:g} s") from None
        raise LookUpFailed("rdap_unreachable", str(reason)[:280]) from None
    if len(body) > RDAP_MAX_BYTES:
        raise LookUpFailed("rdap_bad_answer", "answer too large")
    try:
        data = json.loads(body)
    except ValueError:
        raise LookUpFailed("rdap_bad_answer", "not JSON") from None
    if not isinstance(data, dict):
        raise LookUpFailed("rdap_bad_answer", "not an RDAP object")
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    email = _abuse_email(data.get("entities"))
    if not email:
        raise LookUpFailed("rdap_no_abuse", f"no abuse entity for {address}")
    return email, str(name)[:200]


def _abuse_email(entities: Any, depth: int = 0) -> str:
    """The first e-mail address of an entity with the "abuse" role, nested entities included
    (RIPE puts the abuse contact under the organisation)."""
    if not isinstance(entities, list) or depth > 4:
        return ""
    for entity in entities:
        if isinstance(entity, dict) and "abuse" in (entity.get("roles") or []):
            email = _vcard_email(entity.get("vcardArray"))
            if email:
                return email
    for entity in entities:
        if isinstance(entity, dict):
            email = _abuse_email(entity.get("entities"), depth + 1)
            if email:
                return email
    return ""


def _vcard_email(vcard: Any) -> str:
    # jCard (RFC 7095): ["vcard", [["email", {}, "text", "abuse@example.net"], ...]]
    if not isinstance(vcard, list) or len(vcard) != 2 or not isinstance(vcard[1], list):
        return ""
    for prop in vcard[1]:
        if isinstance(prop, list) and len(prop) >= 4 and prop[0] == "email":
            value = prop[3]
            if isinstance(value, str):
                value = value.strip().removeprefix("mailto:")
                try:
                    validate_email(value)
                except ValidationError:
                    continue
                return value[:254]
    return ""


# --- The look-up ---------------------------------------------------------------------------


def _address_facts(addresses: Iterable[str], asn_database: str) -> list[dict[str, Any]]:
    facts = []
    for address in addresses:
        public = is_public(address)
        asn, network_name = network_of(address, asn_database) if public else (None, "")
        facts.append(
            {
                "address": address,
                "version": ipaddress.ip_address(address).version,
                "public": public,
                "country": country_of(address),
                "asn": asn,
                "network_name": network_name,
            }
        )
    return facts


def look_up(item: ContentItem) -> HostingFacts:
    """Look up where ``item`` is hosted now and store it in its ``HostingFacts`` (created when
    missing); return them. Does network work: call it from a Celery task only.

    Guarantees: every fact is replaced and stamped with ``looked_up_at``; ``attempts`` grows by
    one; a failure is stored (``outcome`` "failed", ``error_code``, ``error``) rather than
    raised; a failure of a later step (network database, RDAP) keeps what the earlier ones
    found (``outcome`` "found" with the error of that step). An account on a platform is
    recorded as "no_host".
    """
    facts, _created = HostingFacts.objects.get_or_create(item=item)
    facts.attempts += 1
    facts.looked_up_at = timezone.now()
    facts.addresses, facts.country, facts.asn = [], "", None
    facts.network_name = facts.abuse_email = facts.error_code = facts.error = ""
    host = item_host(item)
    if host is None:
        facts.host = ""
        facts.outcome = HostingFacts.Outcome.NO_HOST
        facts.save()
        return facts
    facts.host = host
    errors: list[LookUpFailed] = []
    try:
        if not host:
            raise LookUpFailed("bad_url", "no host in the canonical address")
        try:
            addresses = resolve_addresses(host)
        except PartialAddresses as partial:
            addresses = partial.found
            errors.append(partial)
        try:
            facts.addresses = _address_facts(addresses, settings.SIGURNET_ASN_DATABASE)
        except LookUpFailed as failed:  # the network database file
            errors.append(failed)
            facts.addresses = _address_facts(addresses, "")
    except LookUpFailed as failed:
        facts.outcome = HostingFacts.Outcome.FAILED
        facts.error_code, facts.error = failed.code, failed.detail[:300]
        facts.save()
        log.info("Hosting look-up of item %s failed: %s", item.pk, failed)
        return facts

    facts.outcome = HostingFacts.Outcome.FOUND
    first = next((entry for entry in facts.addresses if entry["public"]), None)
    if first is not None:
        facts.country = first["country"]
        facts.asn = first["asn"]
        facts.network_name = first["network_name"]
        try:
            facts.abuse_email, rdap_name = abuse_contact(first["address"])
        except LookUpFailed as failed:
            errors.append(failed)
        else:
            facts.network_name = facts.network_name or rdap_name
    if errors:
        facts.error_code, facts.error = errors[0].code, errors[0].detail[:300]
        log.info("Hosting look-up of item %s partly failed: %s", item.pk, errors[0])
    facts.save()
    return facts


def needs_look_up(facts: HostingFacts | None) -> bool:
    """Whether an item with these facts should be looked up when a report of it is assessed:
    never looked up, failed or partly failed, or older than ``FRESH_FOR``."""
    if facts is None or facts.looked_up_at is None:
        return True
    if facts.outcome == HostingFacts.Outcome.NO_HOST:
        return False
    if facts.outcome != HostingFacts.Outcome.FOUND or facts.error_code:
        return True
    return facts.looked_up_at < timezone.now() - FRESH_FOR


def _queue(item_ids: list[int], *, again: bool) -> None:
    """Queue the look-up task for each item after the current transaction commits."""
    from sigurnet.hotline.forwarding.tasks import look_up_hosting

    def send() -> None:
        for item_id in item_ids:
            try:
                look_up_hosting.delay(item_id, again=again)
            except Exception:  # broker down: sweep_hosting_look_ups queues it again later
                log.exception("Could not queue the hosting look-up of item %s", item_id)

    transaction.on_commit(send)


def mark_queued(item_ids: list[int]) -> None:
    """Create missing ``HostingFacts`` as pending and stamp ``queued_at`` (the sweep re-queues
    a look-up that never ran), starting ``attempts`` anew."""
    now = timezone.now()
    existing = set(
        HostingFacts.objects.filter(item_id__in=item_ids).values_list("item_id", flat=True)
    )
    HostingFacts.objects.bulk_create(
        [
            HostingFacts(item_id=item_id, queued_at=now)
            for item_id in item_ids
            if item_id not in existing
        ],
        ignore_conflicts=True,
    )
    HostingFacts.objects.filter(item_id__in=existing).update(queued_at=now, attempts=0)


def queue_look_ups(report: Report) -> list[int]:
    """Queue the hosting look-up of the report's content items after the current transaction
    commits, when its newest assessment is actionable or harmful (otherwise nothing).

    Call it where a report is assessed (``triage.services.assess``, inside its transaction).
    Items already looked up within ``FRESH_FOR`` are left as they are. Returns the ids of the
    items queued.
    """
    newest = report.assessments.order_by("-created_at", "-id").only("outcome").first()
    if newest is None or newest.outcome not in LOOK_UP_OUTCOMES:
        return []
    items = ContentItem.objects.filter(reported_urls__report=report).distinct()
    facts = {
        facts.item_id: facts
        for facts in HostingFacts.objects.filter(item__in=items).only(
            "item_id", "outcome", "looked_up_at", "error_code"
        )
    }
    item_ids = sorted(
        item_id
        for item_id in items.values_list("pk", flat=True)
        if needs_look_up(facts.get(item_id))
    )
    if item_ids:
        mark_queued(item_ids)
        _queue(item_ids, again=False)
    return item_ids


def look_up_again(
    item: ContentItem, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> HostingFacts:
    """Queue the item's look-up again (an analyst's "look up again"), whatever its facts say;
    audited. Returns the facts as they are until the task has run (pending for a new item)."""
    with transaction.atomic():
        mark_queued([item.pk])
        record_audit_event(
            HostingAction.LOOKED_UP_AGAIN,
            actor=actor,
            request=request,
            object_type="hotline.contentitem",
            object_id=item.pk,
        )
        _queue([item.pk], again=True)
    return HostingFacts.objects.get(item=item)
