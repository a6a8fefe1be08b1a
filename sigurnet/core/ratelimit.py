"""Rate limits on public forms and the API, kept in the cache.

A client is identified by a keyed hash of its address (``client_key``), never by the address
itself, and the counters expire with their window: nothing about a visitor outlives a few
minutes.
"""

from __future__ import annotations

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


def client_key(request: HttpRequest) -> str:
    """A short-lived pseudonym of the client's address (its keyed hash, shortened)."""
    return blind_index(client_ip(request) or "unknown", "ratelimit")[:32]


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


def reset(scope: str, key: str, limit: Limit) -> None:
    start, _remaining = _window(limit)
    try:
        cache.delete(f"rl:{scope}:{key}:{start}")
    except Exception:
        log.warning("Rate limit cache unavailable; could not reset %s", scope)
