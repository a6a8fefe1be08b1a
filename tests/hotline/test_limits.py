"""Limits on the public side: who counts as one client, the global limit, the windows, the cache
being down, evidence uploads, the memory of decoding pictures, and what contact details may hold."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from sigurnet.core import ratelimit
from sigurnet.hotline.models import Report

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
A_REPORT = {
    "category": "phishing_fraud",
    "urls": ["https://bank-login.example.com/verify"],
    "description": "A message says my account is blocked and asks for my PIN.",
}
START = 1_800_000_000 + 5  # 5 s into a clock minute


class Clock:
    """The limits' clock, moved by the test."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture(autouse=True)
def _quick_form(settings: Any, tmp_path: Any) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def api_report(address: str, client: Client | None = None) -> Any:
    return (client or Client()).post(
        REPORTS, json.dumps(A_REPORT), content_type="application/json", REMOTE_ADDR=address
    )


def web_report(client: Client) -> Any:
    """Fill in every step and press Send; the answer to Send."""
    for path, data in [
        ("", {"category": "cyberbullying"}),
        ("where/", {"urls": "https://example.com/post/1"}),
        ("details/", {"description": "They post mean things about my friend."}),
        ("you/", {}),
    ]:
        assert client.post(f"/en/report/{path}", data).status_code == 302, path
    return client.post("/en/report/check/")


# --- Who is one client ------------------------------------------------------------------------


def test_many_addresses_of_one_ipv6_64_are_one_client(settings, clock):
    assert settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE == 30
    codes = [api_report(f"2001:db8:7:9::{n:x}").status_code for n in range(1, 46)]
    assert codes[:30] == [201] * 30
    assert codes[30:] == [429] * 15
    assert Report.objects.count() == 30
    # Another /64, even next door, has its own count.
    assert api_report("2001:db8:7:a::1").status_code == 201
    assert api_report("2001:db8:7:a:ffff:ffff:ffff:ffff").status_code == 201


def test_an_ipv4_mapped_address_counts_as_the_ipv4_address(settings, clock):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    assert api_report("192.0.2.10").status_code == 201
    assert api_report("::ffff:192.0.2.10").status_code == 201
    assert api_report("::ffff:c000:20a").status_code == 429
    # Neighbouring IPv4 addresses are different clients.
    assert api_report("192.0.2.11").status_code == 201


def test_the_web_form_counts_an_ipv6_64_as_one_client(settings, clock):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:5::1")).status_code == 302
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:5::2")).status_code == 302
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:5:1:2:3:4")).status_code == 429
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:6::1")).status_code == 302


# --- The global limit, the window, the cache ----------------------------------------------------


def test_the_global_limit_refuses_reports_beyond_it_from_any_client(settings, clock):
    settings.SIGURNET_REPORTS_PER_MINUTE = 3
    assert [api_report(f"198.51.100.{n}").status_code for n in range(1, 4)] == [201] * 3
    refused = api_report("198.51.100.99")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    refused_web = web_report(Client(REMOTE_ADDR="198.51.100.100"))
    assert refused_web.status_code == 429
    assert Report.objects.count() == 3


def test_the_global_limit_counts_web_and_api_reports_together(settings, clock):
    settings.SIGURNET_REPORTS_PER_MINUTE = 2
    assert web_report(Client(REMOTE_ADDR="198.51.100.1")).status_code == 302
    assert api_report("198.51.100.2").status_code == 201
    assert web_report(Client(REMOTE_ADDR="198.51.100.3")).status_code == 429
    assert api_report("198.51.100.4").status_code == 429


def test_the_per_client_window_expires(settings, clock):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    assert api_report("203.0.113.5").status_code == 201
    assert api_report("203.0.113.5").status_code == 201
    refused = api_report("203.0.113.5")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "55"  # 5 s into the minute
    clock.now += 54
    assert api_report("203.0.113.5").status_code == 429
    clock.now += 1  # the next minute
    assert api_report("203.0.113.5").status_code == 201
    assert Report.objects.count() == 3


def test_the_global_window_expires(settings, clock):
    settings.SIGURNET_REPORTS_PER_MINUTE = 1
    assert api_report("203.0.113.6").status_code == 201
    assert api_report("203.0.113.7").status_code == 429
    clock.now += 60
    assert api_report("203.0.113.8").status_code == 201


@pytest.fixture
def cache_down(settings: Any) -> None:
    """The shared cache (Redis) does not answer: nothing listens on its port."""
    settings.CACHES = {
        "default": {
            "BACKEND": "sigurnet.core.cache.SharedPoolRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


def test_reports_go_through_the_api_when_the_cache_is_down(settings, cache_down):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 1
    settings.SIGURNET_REPORTS_PER_MINUTE = 1
    # Without counters nothing can be refused: every report is filed.
    assert [api_report("192.0.2.50").status_code for _ in range(3)] == [201] * 3
    assert Report.objects.count() == 3


def test_reports_go_through_the_web_form_when_the_cache_is_down(settings, cache_down):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 1
    settings.SIGURNET_REPORTS_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="192.0.2.51")
    for _attempt in range(2):
        response = web_report(client)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == "/en/report/done/"
    assert Report.objects.count() == 2


# --- What contact details may hold ----------------------------------------------------------


def test_bidirectional_marks_in_the_contact_details_are_refused_on_the_form():
    client = Client()
    client.post("/en/report/", {"category": "other"})
    client.post("/en/report/where/", {"urls": "https://example.org/y"})
    client.post("/en/report/details/", {"description": "x"})
    for data in (
        {"contact_email": "me\u202e@example.org", "contact_consent": "on"},
        {"contact_email": "me@exam\u2067ple.org", "contact_consent": "on"},
        {"contact_phone": "064\u2066 123 4567", "contact_consent": "on"},
    ):
        response = client.post("/en/report/you/", data)
        assert response.status_code == 400, data
        assert "characters we cannot read" in response.content.decode()
    response = client.post("/en/report/where/", {"urls": "https://example.org/a\u202eb"})
    assert response.status_code == 400
    assert "Line 1: This web address has characters we cannot read." in response.content.decode()
