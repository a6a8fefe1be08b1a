"""Rate limits on public forms and the API, kept in the cache.

A client is identified by a keyed hash of its address (``client_key``), never by the address
itself, and the counters expire with their window: nothing about a visitor outlives a few
minutes. An IPv6 client is its /64 network: one household or phone is given a whole /64 and can
pick a new address in it for every request.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from sigurnet.core.crypto import blind_index
from sigurnet.core.net import client_ip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events per ``seconds`` in one scope."""

    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends; 0 when allowed


IPV6_CLIENT_PREFIX = 64


def client_network(address: str) -> str:
    """What counts as one client: an IPv4 address (also written as IPv4-mapped IPv6), or the
    /64 network of an IPv6 address. Text that is no address is kept as it is."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def client_key(request: HttpRequest) -> str:
    """A short-lived pseudonym of the client (its keyed hash, shortened): see ``client_network``."""
    return blind_index(client_network(client_ip(request) or "unknown"), "ratelimit")[:32]


def _window(limit: Limit) -> tuple[int, int]:
    now = int(time.time())
    start = now - now % limit.seconds
    return start, start + limit.seconds - now


def hit(scope: str, key: str, limit: Limit) -> Verdict:
    """Count one event; refuse it when the window already holds ``limit.count`` events."""
    start, remaining = _window(limit)
    cache_key = f"rl:{scope}:{key}:{start}"
    try:
        # add() creates the counter only if absent; incr() is atomic on Redis and in-process.
        cache.add(cache_key, 0, timeout=limit.seconds + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=limit.seconds + 1)
            count = 1
    except Exception:
        # The cache is down. Refusing everyone would lose reports; let them through.
        log.warning("Rate limit cache unavailable; allowing %s", scope)
        return Verdict(True, 0)
    if count > limit.count:
        return Verdict(False, max(remaining, 1))
    return Verdict(True, 0)


def peek(scope: str, key: str, limit: Limit) -> Verdict:
    """Whether the next event would be refused, without counting one."""
    start, remaining = _window(limit)
    try:
        count = cache.get(f"rl:{scope}:{key}:{start}", 0)
    except Exception:
        log.warning("Rate limit cache unavailable; allowing %s", scope)
        return Verdict(True, 0)
    if count >= limit.count:
        return Verdict(False, max(remaining, 1))
    return Verdict(True, 0)
