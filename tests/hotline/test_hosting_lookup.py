"""Where reported content is hosted: DNS through our own server on loopback, the country from
the bundled registry data, the network from a tiny MMDB file, the abuse address from an RDAP
stub on loopback. Never the system resolver, never the internet."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import netaddr
import pytest
from celery.exceptions import Retry
from dnslib import AAAA, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer
from mmdb_writer import MMDBWriter

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.forwarding import hosting
from sigurnet.hotline.forwarding.tasks import look_up_hosting, sweep_hosting_look_ups
from sigurnet.hotline.models import Assessment, ContentItem, HostingFacts
from sigurnet.hotline.triage import selectors as triage_selectors
from sigurnet.hotline.triage import services as triage

# Public addresses that the registry data bundled with iptocc places in Serbia and in the
# Netherlands. Only our loopback DNS server ever answers with them.
SERBIAN_V4, SERBIAN_V6 = "147.91.8.1", "2001:4170::1"
DUTCH_V4, DUTCH_V6 = "145.100.0.1", "2001:610::1"


class Zone(BaseResolver):
    """Answers A and AAAA from ``records``; an unknown name is NXDOMAIN; a name whose value
    is "servfail" gets SERVFAIL."""

    def __init__(self) -> None:
        self.records: dict[str, Any] = {}
        self.questions: list[tuple[str, str]] = []
        self.port = 0

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.questions.append((name, qtype))
        entry = self.records.get(name)
        if entry is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif entry == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
        else:
            for address in entry.get(qtype, []):
                rdata = A(address) if qtype == "A" else AAAA(address)
                reply.add_answer(RR(request.q.qname, getattr(QTYPE, qtype), rdata=rdata, ttl=60))
        return reply


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dns_zone(settings: Any) -> Iterator[Zone]:
    """A DNS server of our own on 127.0.0.1 (UDP, a free port); the look-ups use it alone."""
    zone = Zone()
    port = zone.port = free_udp_port()
    server = DNSServer(
        zone, address="127.0.0.1", port=port, logger=DNSLogger(log="-", logf=lambda _s: None)
    )
    server.start_thread()
    settings.SIGURNET_DNS_RESOLVERS = [f"127.0.0.1:{port}"]
    settings.SIGURNET_DNS_TIMEOUT = 2
    try:
        yield zone
    finally:
        server.stop()
        server.server.server_close()


@pytest.fixture
def silent_dns(settings: Any) -> Iterator[int]:
    """A UDP socket on loopback that takes questions and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    settings.SIGURNET_DNS_RESOLVERS = [f"127.0.0.1:{port}"]
    settings.SIGURNET_DNS_TIMEOUT = 0.3
    try:
        yield port
    finally:
        sock.close()


@pytest.fixture
def asn_database(tmp_path: Path, settings: Any) -> Path:
    """A tiny MMDB file in GeoLite2-ASN format, configured as the operator's network database."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN")
    writer.insert_network(
        netaddr.IPSet(["147.91.0.0/16", "2001:4170::/32"]),
        {"autonomous_system_number": 64500, "autonomous_system_organization": "Test Net RS"},
    )
    writer.insert_network(
        netaddr.IPSet(["145.100.0.0/15"]),
        {"autonomous_system_number": 64501, "autonomous_system_organization": "Test Net NL"},
    )
    path = tmp_path / "asn.mmdb"
    writer.to_db_file(str(path))
    settings.SIGURNET_ASN_DATABASE = str(path)
    return path


def rdap_network(abuse: str) -> dict[str, Any]:
    """An RDAP answer shaped like RIPE's: the abuse contact under the organisation."""
    return {
        "objectClassName": "ip network",
        "handle": "147.91.0.0 - 147.91.255.255",
        "name": "TEST-NET-RS",
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["registrant"],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"]]],
                "entities": [
                    {
                        "objectClassName": "entity",
                        "roles": ["abuse"],
                        "vcardArray": [
                            "vcard",
                            [
                                ["version", {}, "text", "4.0"],
                                ["fn", {}, "text", "Abuse desk"],
                                ["email", {}, "text", abuse],
                            ],
                        ],
                    }
                ],
            }
        ],
    }


class RdapStub:
    def __init__(self) -> None:
        self.status = 200
        self.answer: dict[str, Any] = rdap_network("abuse@net-rs.example.org")
        self.paths: list[str] = []
        self.location = ""


@pytest.fixture
def rdap(settings: Any) -> Iterator[RdapStub]:
    """An RDAP server stub on loopback (http.server in a thread), configured as the server."""
    stub = RdapStub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stub.paths.append(self.path)
            body = json.dumps(stub.answer if stub.status == 200 else {}).encode()
            self.send_response(stub.status)
            if stub.location:
                self.send_header("Location", stub.location)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SIGURNET_RDAP_URL = f"http://127.0.0.1:{server.server_address[1]}/rdap/"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def url_item(make_report: Callable[..., Any]) -> Callable[[str], ContentItem]:
    def make(url: str) -> ContentItem:
        report = make_report(urls=[url])
        return report.content_items.get()

    return make


@pytest.mark.django_db
def test_a_name_on_a_serbian_address_is_hosted_in_serbia(dns_zone, url_item):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4], "AAAA": [SERBIAN_V6]}
    item = url_item("https://shop.example.com/offer")

    facts = hosting.look_up(item)

    facts.refresh_from_db()
    assert facts.outcome == HostingFacts.Outcome.FOUND
    assert facts.host == "shop.example.com"
    assert facts.country == "RS"
    assert [(a["address"], a["version"], a["country"]) for a in facts.addresses] == [
        (SERBIAN_V4, 4, "RS"),
        (SERBIAN_V6, 6, "RS"),
    ]
    assert facts.looked_up_at is not None
    assert facts.attempts == 1
    assert facts.error_code == ""
    # No network database and no RDAP server configured: no network facts, and no error.
    assert facts.asn is None and facts.abuse_email == ""
    assert ("shop.example.com", "A") in dns_zone.questions
    assert ("shop.example.com", "AAAA") in dns_zone.questions


@pytest.mark.django_db
def test_an_ipv6_only_name_on_a_dutch_address_is_hosted_in_the_netherlands(dns_zone, url_item):
    dns_zone.records["cdn.example.net"] = {"AAAA": [DUTCH_V6]}
    facts = hosting.look_up(url_item("https://cdn.example.net/a.jpg"))
    assert facts.outcome == HostingFacts.Outcome.FOUND
    assert facts.country == "NL"
    assert [a["address"] for a in facts.addresses] == [DUTCH_V6]


@pytest.mark.django_db
def test_the_operators_asn_database_gives_the_network(dns_zone, asn_database, url_item):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    dns_zone.records["pics.example.net"] = {"A": [DUTCH_V4], "AAAA": [SERBIAN_V6]}

    serbian = hosting.look_up(url_item("https://shop.example.com/offer"))
    mixed = hosting.look_up(url_item("https://pics.example.net/album"))

    assert (serbian.asn, serbian.network_name) == (64500, "Test Net RS")
    # The item's network and country are those of its first address; each address has its own.
    assert (mixed.asn, mixed.network_name, mixed.country) == (64501, "Test Net NL", "NL")
    assert [(a["asn"], a["country"]) for a in mixed.addresses] == [(64501, "NL"), (64500, "RS")]


@pytest.mark.django_db
def test_a_missing_asn_database_is_recorded_and_the_rest_is_kept(
    dns_zone, url_item, settings, tmp_path
):
    settings.SIGURNET_ASN_DATABASE = str(tmp_path / "not-there.mmdb")
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    facts = hosting.look_up(url_item("https://shop.example.com/offer"))
    assert facts.outcome == HostingFacts.Outcome.FOUND
    assert facts.country == "RS" and facts.asn is None
    assert facts.error_code == "asn_database"


@pytest.mark.django_db
def test_rdap_gives_the_networks_abuse_address(dns_zone, rdap, url_item):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    facts = hosting.look_up(url_item("https://shop.example.com/offer"))
    assert facts.abuse_email == "abuse@net-rs.example.org"
    assert facts.network_name == "TEST-NET-RS"
    assert facts.error_code == ""
    # What was sent to the RDAP server: the address, nothing about the report.
    assert rdap.paths == [f"/rdap/ip/{SERBIAN_V4}"]


@pytest.mark.django_db
def test_a_private_address_is_recorded_with_an_unknown_country_and_never_sent_out(
    dns_zone, rdap, asn_database, url_item
):
    dns_zone.records["intranet.example.org"] = {"A": ["127.0.0.1", "10.1.2.3"], "AAAA": ["::1"]}
    facts = hosting.look_up(url_item("https://intranet.example.org/"))
    assert facts.outcome == HostingFacts.Outcome.FOUND
    assert [a["address"] for a in facts.addresses] == ["127.0.0.1", "10.1.2.3", "::1"]
    assert not any(a["public"] for a in facts.addresses)
    assert facts.country == "" and facts.asn is None and facts.abuse_email == ""
    assert rdap.paths == []


@pytest.mark.django_db
def test_an_address_in_the_url_is_not_resolved(dns_zone, url_item):
    facts = hosting.look_up(url_item(f"http://{DUTCH_V4}/x"))
    assert facts.country == "NL"
    assert [a["address"] for a in facts.addresses] == [DUTCH_V4]
    assert dns_zone.questions == []


@pytest.mark.django_db
def test_an_account_on_a_platform_has_no_host_to_look_up(dns_zone, make_report):
    report = make_report(urls=[], platform="TikTok", account="@demo.account")
    item = report.content_items.get()
    facts = hosting.look_up(item)
    assert facts.outcome == HostingFacts.Outcome.NO_HOST
    assert facts.host == "" and facts.addresses == [] and facts.error_code == ""
    assert dns_zone.questions == []


@pytest.mark.django_db
def test_a_name_that_does_not_exist_is_recorded_and_can_be_looked_up_again(
    dns_zone, url_item, make_staff, django_capture_on_commit_callbacks
):
    item = url_item("https://gone.example.com/page")

    facts = hosting.look_up(item)

    assert facts.outcome == HostingFacts.Outcome.FAILED
    assert facts.error_code == "nxdomain"
    assert "gone.example.com" in facts.error
    assert facts.looked_up_at is not None
    assert facts.addresses == [] and facts.country == ""
    failed_at = facts.looked_up_at

    dns_zone.records["gone.example.com"] = {"A": [SERBIAN_V4]}
    analyst = make_staff("Hotline analyst")
    with django_capture_on_commit_callbacks(execute=True):
        hosting.look_up_again(item, actor=analyst)

    facts.refresh_from_db()
    assert facts.outcome == HostingFacts.Outcome.FOUND
    assert facts.country == "RS"
    assert facts.error_code == "" and facts.error == ""
    assert facts.looked_up_at > failed_at
    assert facts.attempts == 1  # "look up again" starts a new look-up
    event = AuditEvent.objects.get(action=hosting.HostingAction.LOOKED_UP_AGAIN)
    assert (event.actor_name, event.object_id) == (analyst.username, str(item.pk))


@pytest.mark.django_db
def test_a_silent_dns_server_is_a_timeout_and_can_be_looked_up_again(
    silent_dns, url_item, settings, make_staff, django_capture_on_commit_callbacks
):
    item = url_item("https://slow.example.com/")
    facts = hosting.look_up(item)
    assert facts.outcome == HostingFacts.Outcome.FAILED
    assert facts.error_code == "timeout"
    assert facts.looked_up_at is not None

    zone = Zone()
    zone.records["slow.example.com"] = {"A": [DUTCH_V4]}
    port = free_udp_port()
    server = DNSServer(zone, address="127.0.0.1", port=port, logger=DNSLogger(log="-"))
    server.start_thread()
    try:
        settings.SIGURNET_DNS_RESOLVERS = [f"127.0.0.1:{port}"]
        with django_capture_on_commit_callbacks(execute=True):
            hosting.look_up_again(item, actor=make_staff("Hotline analyst"))
    finally:
        server.stop()
        server.server.server_close()
    facts.refresh_from_db()
    assert (facts.outcome, facts.country, facts.error_code) == ("found", "NL", "")


@pytest.mark.django_db
def test_a_dns_server_failure_is_recorded(dns_zone, url_item):
    dns_zone.records["broken.example.com"] = "servfail"
    facts = hosting.look_up(url_item("https://broken.example.com/"))
    assert (facts.outcome, facts.error_code) == ("failed", "servfail")


@pytest.mark.django_db
def test_a_name_without_addresses_is_recorded(dns_zone, url_item):
    dns_zone.records["empty.example.com"] = {}
    facts = hosting.look_up(url_item("https://empty.example.com/"))
    assert (facts.outcome, facts.error_code) == ("failed", "no_answer")


@pytest.mark.django_db
def test_an_rdap_error_keeps_the_addresses_and_can_be_looked_up_again(
    dns_zone, rdap, url_item, make_staff, django_capture_on_commit_callbacks
):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    rdap.status = 500
    item = url_item("https://shop.example.com/offer")

    facts = hosting.look_up(item)

    assert facts.outcome == HostingFacts.Outcome.FOUND
    assert facts.country == "RS"
    assert facts.abuse_email == ""
    assert facts.error_code == "rdap_http"
    assert "500" in facts.error
    assert hosting.error_message("rdap_http") == "The RDAP server answered with an error."

    rdap.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        hosting.look_up_again(item, actor=make_staff("Hotline analyst"))
    facts.refresh_from_db()
    assert facts.abuse_email == "abuse@net-rs.example.org"
    assert facts.error_code == ""


@pytest.mark.django_db
def test_an_rdap_redirect_to_another_server_is_not_followed(dns_zone, rdap, url_item, settings):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    rdap.status = 301
    base = settings.SIGURNET_RDAP_URL.removesuffix("/rdap/")
    rdap.location = f"{base}/elsewhere/ip/{SERBIAN_V4}"  # stands for another registry's server
    facts = hosting.look_up(url_item("https://shop.example.com/offer"))
    assert facts.error_code == "rdap_elsewhere"
    assert facts.country == "RS"
    assert rdap.paths == [f"/rdap/ip/{SERBIAN_V4}"]


@pytest.mark.django_db
def test_the_task_retries_a_passing_failure_and_not_a_final_one(
    dns_zone, silent_dns, url_item, settings
):
    # The silent server: the look-up times out, and the task retries (here at once: the tests
    # run tasks eagerly, and the retry's delay is the worker's business).
    item = url_item("https://slow.example.com/")
    look_up_hosting.push_request(args=[item.pk], kwargs={}, called_directly=False, retries=0)
    try:
        with pytest.raises(Retry):
            look_up_hosting.run(item.pk)
    finally:
        look_up_hosting.pop_request()
    assert HostingFacts.objects.get(item=item).attempts == 2  # the try and its retry

    settings.SIGURNET_DNS_RESOLVERS = [f"127.0.0.1:{dns_zone.port}"]
    gone = url_item("https://gone.example.com/")
    look_up_hosting.push_request(args=[gone.pk], kwargs={}, called_directly=False, retries=0)
    try:
        assert look_up_hosting.run(gone.pk) == "failed"  # NXDOMAIN: no retry
    finally:
        look_up_hosting.pop_request()
    assert HostingFacts.objects.get(item=gone).attempts == 1


def _assess(report: Any, outcome: str, analyst: Any) -> None:
    triage.claim(report, actor=analyst)
    triage.assess(
        report,
        outcome=outcome,
        priority=Assessment.Priority.NORMAL,
        category=report.category,
        legal_basis=triage_selectors.legal_bases().first(),
        actor=analyst,
    )


@pytest.mark.django_db
def test_look_ups_are_queued_after_an_actionable_or_harmful_assessment_only(
    dns_zone, make_report, make_staff, django_capture_on_commit_callbacks
):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    analyst = make_staff("Hotline analyst")
    not_actionable = make_report(urls=["https://shop.example.com/a"])
    actionable = make_report(urls=["https://shop.example.com/b"])

    # The assessment itself queues the look-up, to run once its transaction commits.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _assess(not_actionable, Assessment.Outcome.NOT_ACTIONABLE, analyst)
        _assess(actionable, Assessment.Outcome.ACTIONABLE, analyst)
        # Nothing is looked up before the transaction commits.
        assert not HostingFacts.objects.filter(looked_up_at__isnull=False).exists()
    assert callbacks  # the look-up waited for the commit

    item = actionable.content_items.get()
    facts = HostingFacts.objects.get(item=item)
    assert (facts.outcome, facts.country) == ("found", "RS")
    assert not HostingFacts.objects.filter(item=not_actionable.content_items.get()).exists()
    # Asking again for a report whose assessment is not actionable queues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert hosting.queue_look_ups(not_actionable) == []

    # Another report of the same item, assessed soon after: the facts are fresh.
    again = make_report(urls=["https://shop.example.com/b"])
    with django_capture_on_commit_callbacks(execute=True):
        _assess(again, Assessment.Outcome.HARMFUL, analyst)
        assert hosting.queue_look_ups(again) == []
    assert HostingFacts.objects.get(item=item).attempts == facts.attempts


@pytest.mark.django_db
def test_the_sweep_queues_a_look_up_that_never_ran(dns_zone, url_item):
    dns_zone.records["shop.example.com"] = {"A": [SERBIAN_V4]}
    item = url_item("https://shop.example.com/offer")
    hosting.mark_queued([item.pk])  # queued, but the broker lost it
    HostingFacts.objects.filter(item=item).update(
        queued_at=HostingFacts.objects.get(item=item).queued_at - timedelta(hours=1)
    )
    recent = url_item("https://shop.example.com/recent")
    hosting.mark_queued([recent.pk])

    assert sweep_hosting_look_ups() == 1

    assert HostingFacts.objects.get(item=item).country == "RS"
    assert HostingFacts.objects.get(item=recent).outcome == HostingFacts.Outcome.PENDING


@pytest.mark.django_db
def test_the_tests_never_use_the_system_resolver(url_item):
    # tests/settings.py switches DNS off unless a test brings its own server.
    facts = hosting.look_up(url_item("https://shop.example.com/offer"))
    assert (facts.outcome, facts.error_code) == ("failed", "dns_off")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ],
)
def test_resolvers_are_addresses_with_an_optional_port(entry, expected):
    assert hosting.parse_resolver(entry) == expected


@pytest.mark.parametrize(
    "entry", ["dns.example.org", "192.0.2.53:x", "[2001:db8::53]x", "1.2.3.4:0"]
)
def test_a_resolver_that_is_not_an_address_is_refused(entry):
    with pytest.raises(hosting.LookUpFailed) as failed:
        hosting.parse_resolver(entry)
    assert failed.value.code == "dns_config"
