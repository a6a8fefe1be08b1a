"""Removal tracking: is a reported item still online? (docs/takedown-checks.md)

A check sends one ``HEAD`` request (a ``GET`` of one byte, ``Range: bytes=0-0``, when the
server refuses HEAD with 405 or 501) through the configured proxy, with the configured user
agent and timeouts, and reads nothing but the status line and headers: no body is read or kept.
Redirects within the same host (``www.`` aside) are followed up to ``MAX_SAME_HOST_REDIRECTS``
times; a redirect to another host is recorded (the target host) and not followed.

What an answer counts as:

* online: 2xx, 304, 416 (the resource exists), or a redirect to another host;
* offline: 404, 410, 451, a name that does not exist (DNS), a refused connection;
* error: everything else (timeouts, 5xx, other 4xx, TLS failures, a DNS server that does not
  answer, a refused or failing proxy, an address that is not public). An error neither counts
  towards a removal nor resets the offline checks counted so far: it says nothing either way.

``SIGURNET_CHECK_OFFLINE_CONFIRMATIONS`` offline checks in a row (errors in between ignored)
confirm the removal: the item's ``removed_at`` is the time of the first of them (the figures'
removal time), ``removal_confirmed_at`` that of the last. An online answer for a removed item
reopens it. The reporters are told of a removal once per item (``_tell_reporters``).

Network and database never mix: ``probe`` only talks to the network (no database, callable
from any thread), ``record_check`` only writes (one short transaction). Items of accounts on a
platform (``kind`` account) have no address to ask: they are never checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import secrets
import socket
import ssl
import time
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sigurnet.hotline.models import ContentCheck, ContentItem, Report, ReportedURL, Status

log = logging.getLogger(__name__)

Result = ContentCheck.Result
State = ContentItem.State

# Redirects within one host that are followed (http -> https, a moved path).
MAX_SAME_HOST_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ONLINE_STATUSES = frozenset({304, 416})
OFFLINE_STATUSES = frozenset({404, 410, 451})
# A claimed item is due again after this long if its run died before recording the check.
CLAIM_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class CheckConfig:
    """The settings a check needs, read once per run (threads share it)."""

    proxy: str
    user_agent: str
    connect_timeout: float
    read_timeout: float
    allow_private: bool

    @classmethod
    def from_settings(cls) -> CheckConfig:
        return cls(
            proxy=settings.SIGURNET_CHECK_PROXY,
            user_agent=settings.SIGURNET_CHECK_USER_AGENT,
            connect_timeout=float(settings.SIGURNET_CHECK_CONNECT_TIMEOUT),
            read_timeout=float(settings.SIGURNET_CHECK_READ_TIMEOUT),
            allow_private=settings.SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES,
        )


@dataclass(frozen=True)
class Probe:
    """What one check found. ``reason`` is short and technical, and names no address."""

    result: str
    reason: str
    status_code: int | None = None
    method: str = ""
    redirect_host: str = ""
    at: datetime | None = None  # when the answer came


class _Answer(Exception):
    """Ends a probe early with its finding."""

    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


# --- The network part: no database ---------------------------------------------------------


def _same_host(a: str, b: str) -> bool:
    def bare(host: str) -> str:
        host = host.lower().rstrip(".")
        return host[4:] if host.startswith("www.") else host

    return bare(a) == bare(b)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int, config: CheckConfig) -> list[str]:
    """The addresses to connect to. A name that does not exist is offline; a resolver that
    does not answer is an error. With ``allow_private`` off, a name with any address that is not
    public (loopback, private ranges, link-local...) is not checked: a reported address must
    not make the platform knock on its own network's doors."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise _Answer(Result.OFFLINE, "dns: name not known") from None
        raise _Answer(Result.ERROR, "dns: no answer from the resolver") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not config.allow_private and not all(_is_public(a) for a in addresses):
        raise _Answer(Result.ERROR, "not a public address: not checked")
    return addresses


def _dialer(addresses: list[str]) -> Callable[..., socket.socket]:
    """``socket.create_connection`` to the vetted addresses, in order (never a second look-up,
    which could answer differently)."""

    def dial(
        address: tuple[str, int], timeout: float | None = None, source: Any = None
    ) -> socket.socket:
        refused = True
        last: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source)
            except ConnectionRefusedError as exc:
                last = exc
            except OSError as exc:
                refused, last = False, exc
        if refused:
            raise ConnectionRefusedError("connection refused")
        assert last is not None
        raise last

    return dial


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _proxy_parts(proxy: str) -> tuple[str, int, dict[str, str]]:
    parts = urlsplit(proxy)
    headers: dict[str, str] = {}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + b64encode(credentials.encode()).decode()
    return parts.hostname or "", parts.port or 80, headers


def _connection(
    scheme: str, host: str, port: int, config: CheckConfig
) -> tuple[http.client.HTTPConnection, bool, dict[str, str]]:
    """An open connection for ``host``; whether it goes through the proxy; headers for it."""
    timeout = config.connect_timeout
    conn: http.client.HTTPConnection
    if config.proxy:
        proxy_host, proxy_port, proxy_headers = _proxy_parts(config.proxy)
        if scheme == "https":
            conn = http.client.HTTPSConnection(
                proxy_host, proxy_port, timeout=timeout, context=_tls_context()
            )
            conn.set_tunnel(host, port, headers={"User-Agent": config.user_agent, **proxy_headers})
            extra: dict[str, str] = {}
        else:
            conn = http.client.HTTPConnection(proxy_host, proxy_port, timeout=timeout)
            extra = proxy_headers
        try:
            conn.connect()
        except (ConnectionRefusedError, TimeoutError) as exc:
            conn.close()
            raise _Answer(Result.ERROR, f"proxy: {_network_reason(exc)}") from None
        except OSError as exc:
            conn.close()
            if isinstance(exc, ssl.SSLError):
                raise
            # http.client's "Tunnel connection failed: 502 ..." (the proxy could not reach it).
            raise _Answer(Result.ERROR, f"proxy: {str(exc)[:80]}") from None
        via_proxy = True
    else:
        addresses = _resolve(host, port, config)
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_tls_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        # Connect to the addresses just vetted, not to whatever a second look-up would say.
        conn._create_connection = _dialer(addresses)  # type: ignore[attr-defined]
        try:
            conn.connect()
        except ConnectionRefusedError:
            conn.close()
            raise _Answer(Result.OFFLINE, "connection refused") from None
        except BaseException:
            conn.close()
            raise
        via_proxy = False
        extra = {}
    if conn.sock is not None:
        conn.sock.settimeout(config.read_timeout)
    return conn, via_proxy, extra


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return type(exc).__name__


def _ask(url: str, method: str, config: CheckConfig) -> tuple[int, str, bool, Any]:
    """One request; the status, the Location header, whether via proxy, the headers."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn, via_proxy, extra = _connection(scheme, host, port, config)
    try:
        if via_proxy and scheme == "http":
            # The absolute form, as a proxy needs it; never the fragment.
            authority = parts.netloc.rsplit("@", 1)[-1]
            target = f"http://{authority}{target}"
        headers = {
            "User-Agent": config.user_agent,
            "Accept": "*/*",
            "Connection": "close",
            **extra,
        }
        if method == "GET":
            headers["Range"] = "bytes=0-0"
        conn.request(method, target, headers=headers)
        response = conn.getresponse()
        try:
            return response.status, response.getheader("Location") or "", via_proxy, response.msg
        finally:
            # Nothing of the body is read: the connection is closed with it unread.
            response.close()
    finally:
        conn.close()


def _squid_offline(headers: Any) -> str:
    """A Squid proxy says in a header why it could not reach the site (plain HTTP only)."""
    error = (headers.get("X-Squid-Error") or "") if headers is not None else ""
    if error.startswith("ERR_DNS_FAIL"):
        return "dns: name not known (proxy)"
    if error.startswith("ERR_CONNECT_FAIL") and error.endswith(" 111"):
        return "connection refused (proxy)"
    return ""


def probe(url: str, config: CheckConfig | None = None) -> Probe:
    """Ask whether ``url`` is still there. Talks only to the network (or the proxy), reads no
    body, never raises. ``at`` is when the answer came."""
    found = _probe(url, config or CheckConfig.from_settings())
    return replace(found, at=timezone.now())


def _probe(url: str, config: CheckConfig) -> Probe:
    method = "HEAD"
    status: int | None = None
    try:
        current = url
        for _hop in range(MAX_SAME_HOST_REDIRECTS + 1):
            parts = urlsplit(current)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                return Probe(Result.ERROR, "not an http(s) address", status, method)
            method = "HEAD"
            status, location, via_proxy, headers = _ask(current, method, config)
            if status in (405, 501):
                method = "GET"
                status, location, via_proxy, headers = _ask(current, method, config)
            if status in REDIRECT_STATUSES and location:
                target = urljoin(current, location.strip())
                target_host = urlsplit(target).hostname or ""
                if not _same_host(target_host, parts.hostname):
                    return Probe(
                        Result.ONLINE,
                        "redirect to another host (not followed)",
                        status,
                        method,
                        redirect_host=target_host[:253],
                    )
                current = target
                continue
            if 200 <= status < 400 or status in ONLINE_STATUSES:
                return Probe(Result.ONLINE, f"http {status}", status, method)
            if status in OFFLINE_STATUSES:
                return Probe(Result.OFFLINE, f"http {status}", status, method)
            if via_proxy and (reason := _squid_offline(headers)):
                return Probe(Result.OFFLINE, reason, status, method)
            return Probe(Result.ERROR, f"http {status}", status, method)
        return Probe(Result.ERROR, "too many redirects", status, method)
    except _Answer as answer:
        return Probe(answer.result, answer.reason, status, method)
    except ssl.SSLCertVerificationError as exc:
        return Probe(Result.ERROR, f"tls: certificate not valid ({exc.verify_code})", None, method)
    except ssl.SSLError as exc:
        return Probe(Result.ERROR, f"tls: {exc.reason or type(exc).__name__}"[:200], None, method)
    except (http.client.HTTPException, ValueError) as exc:
        return Probe(Result.ERROR, f"bad answer: {type(exc).__name__}", None, method)
    except OSError as exc:
        return Probe(Result.ERROR, _network_reason(exc), None, method)
    except Exception as exc:  # a check must never stop the run
        log.exception("Unexpected failure checking a content item")
        return Probe(Result.ERROR, f"failed: {type(exc).__name__}", None, method)


# --- The database part: no network -----------------------------------------------------------


def check_interval() -> timedelta:
    minutes = settings.SIGURNET_CHECK_INTERVAL_MINUTES or 120
    return timedelta(minutes=minutes)


ITEM_CHECK_FIELDS = [
    "state",
    "consecutive_offline",
    "offline_since",
    "removed_at",
    "removal_confirmed_at",
    "last_checked_at",
    "last_check_result",
    "checks_until",
    "next_check_at",
    "check_claim",
]


def _apply(item: ContentItem, found: Probe, checked_at: datetime) -> str:
    """Change ``item`` for one check; the check's event (removed, reopened or none)."""
    confirmations = max(1, settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS)
    stop_after = timedelta(days=settings.SIGURNET_CHECK_STOP_AFTER_DAYS)
    event: str = ContentCheck.Event.NONE
    if found.result == Result.ONLINE:
        if item.state == State.REMOVED:
            event = ContentCheck.Event.REOPENED
            item.removed_at = None
            item.removal_confirmed_at = None
            # Checks resume for a full period from now.
            item.checks_until = checked_at + stop_after
        item.state = State.ONLINE
        item.consecutive_offline = 0
        item.offline_since = None
    elif found.result == Result.OFFLINE:
        if item.consecutive_offline == 0 or item.offline_since is None:
            item.offline_since = checked_at
        item.consecutive_offline = min(item.consecutive_offline + 1, 32767)
        if item.state != State.REMOVED and item.consecutive_offline >= confirmations:
            event = ContentCheck.Event.REMOVED
            item.state = State.REMOVED
            item.removed_at = item.offline_since
            item.removal_confirmed_at = checked_at
    # An error changes nothing of the above: it neither confirms nor resets.
    item.last_checked_at = checked_at
    item.last_check_result = found.result
    if item.checks_until is None:
        item.checks_until = checked_at + stop_after
    item.next_check_at = checked_at + check_interval()
    item.check_claim = ""
    return event


def record_checks(
    found: list[tuple[int, Probe]], *, checked_at: datetime | None = None
) -> list[ContentCheck]:
    """Record checks of items and what follows from each, in one short transaction: the
    offline count, a confirmed removal (and telling the reporters), or the reopening of a
    removed item that is back. The next check of each is due one interval after it. An item
    deleted meanwhile is left out. The time of a check is when its answer came
    (``Probe.at``), else ``checked_at``, else now."""
    default_time = checked_at or timezone.now()
    with transaction.atomic():
        # Locked in one order, so that two recorders never wait for each other in a circle.
        items = {
            item.pk: item
            for item in ContentItem.objects.select_for_update()
            .filter(pk__in=[item_id for item_id, _found in found])
            .only("pk", "kind", *ITEM_CHECK_FIELDS)
            .order_by("pk")
        }
        made: list[ContentCheck] = []
        removed: list[ContentItem] = []
        for item_id, probe_found in found:
            item = items.get(item_id)
            if item is None:
                continue
            at = checked_at or probe_found.at or default_time
            event = _apply(item, probe_found, at)
            made.append(
                ContentCheck(
                    item=item,
                    checked_at=at,
                    result=probe_found.result,
                    method=probe_found.method,
                    status_code=probe_found.status_code,
                    reason=probe_found.reason[:200],
                    redirect_host=probe_found.redirect_host,
                    event=event,
                )
            )
            if event == ContentCheck.Event.REMOVED:
                removed.append(item)
        _update_items(list(items.values()))
        made = ContentCheck.objects.bulk_create(made)
        for item in removed:
            _tell_reporters(item, default_time)
    return made


# PostgreSQL types of ``ITEM_CHECK_FIELDS``, for the one-statement update.
_ITEM_CHECK_TYPES = {
    "state": "text",
    "consecutive_offline": "integer",
    "offline_since": "timestamptz",
    "removed_at": "timestamptz",
    "removal_confirmed_at": "timestamptz",
    "last_checked_at": "timestamptz",
    "last_check_result": "text",
    "checks_until": "timestamptz",
    "next_check_at": "timestamptz",
    "check_claim": "text",
}


def _update_items(items: list[ContentItem]) -> None:
    """Write the check fields of ``items``. On PostgreSQL one UPDATE from arrays (a round trip
    per item was most of a run's time; Django's ``bulk_update`` builds CASE expressions that
    cost more than the queries); elsewhere one plain UPDATE per item."""
    if not items:
        return
    if connection.vendor != "postgresql":
        for item in items:
            ContentItem.objects.filter(pk=item.pk).update(
                **{name: getattr(item, name) for name in ITEM_CHECK_FIELDS}
            )
        return
    columns = ITEM_CHECK_FIELDS  # plain fields: the column is the field's name
    table = connection.ops.quote_name(ContentItem._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(column)} = v.{connection.ops.quote_name(column)}"
        for column in columns
    )
    arrays = ", ".join(
        ["%s::bigint[]"] + [f"%s::{_ITEM_CHECK_TYPES[name]}[]" for name in ITEM_CHECK_FIELDS]
    )
    names = ", ".join(connection.ops.quote_name(c) for c in ["id", *columns])
    sql = (
        f"UPDATE {table} AS i SET {assignments} "  # noqa: S608 (names from the model, values bound)
        f"FROM unnest({arrays}) AS v({names}) WHERE i.id = v.id"
    )
    params = [[item.pk for item in items]] + [
        [getattr(item, name) for item in items] for name in ITEM_CHECK_FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def record_check(item_id: int, found: Probe, *, checked_at: datetime | None = None) -> ContentCheck:
    """``record_checks`` for one item (which must exist)."""
    made = record_checks([(item_id, found)], checked_at=checked_at)
    if not made:
        raise ContentItem.DoesNotExist(item_id)
    return made[0]


def _tell_reporters(item: ContentItem, now: datetime) -> None:
    """Tell the reporters of a removed item: each report all of whose items are now removed
    gets the triage's "removed" feedback as a message on its receipt page, e-mailed where the
    reporter gave an address and agreed. Once per report (``Report.removal_told_at``), however
    often an item comes back and goes again; a report with an item still online is told when
    its last item goes. Runs in ``record_check``'s transaction, after the item's row was
    updated (and so locked)."""
    from sigurnet.hotline.services import add_hotline_message
    from sigurnet.hotline.triage import services as triage

    # Lock the reports (in one order) before reading their other items: two items of one
    # report removed at the same moment then tell it exactly once, not twice or never.
    reports = list(
        Report.objects.select_for_update()
        .filter(
            pk__in=ReportedURL.objects.filter(content_item=item).values("report_id"),
            removal_told_at__isnull=True,
        )
        .order_by("pk")
    )
    for report in reports:
        if report.content_items.exclude(state=State.REMOVED).exists():
            continue
        Report.objects.filter(pk=report.pk).update(removal_told_at=now)
        text = triage.feedback_text("removed", report.language or settings.LANGUAGE_CODE)
        message = add_hotline_message(report, text=text, author_id=None)
        emailed = triage._email_reporter(report, message, kind=triage.MAIL_FEEDBACK)
        # The audit trail's "Feedback sent to the reporter", by nobody: the platform sent it.
        triage._audit(
            triage.TriageAction.FEEDBACK_SENT,
            report,
            actor=None,
            request=None,
            detail={"message": message.pk, "emailed": emailed, "automatic": "removed"},
        )


def check_item(item: ContentItem) -> ContentCheck | None:
    """Check one item now and record it; None for an account (no address to ask). Call it
    outside any transaction: it waits for the network."""
    if item.kind != ContentItem.Kind.URL:
        return None
    found = probe(item.canonical)
    check = record_check(item.pk, found)
    item.refresh_from_db()
    return check


def still_online(item: ContentItem) -> bool:
    """For the notice schedule, just before each notice: check the item now (and record it);
    False when it is offline (one offline answer is enough to leave it out of this notice) or
    removed and not back. An error or an account (which cannot be checked) count as online: a
    notice is better sent than silently dropped. Call it outside any transaction."""
    check = check_item(item)
    if check is None:
        return item.state != State.REMOVED
    if check.result == Result.OFFLINE:
        return False
    return item.state != State.REMOVED


# --- Which items, and the run ------------------------------------------------------------------


def _due_on_the_item(now: datetime) -> Q:
    """The part of "due" that lives on the item's own row (re-checked by the claiming UPDATE,
    so that two runs never claim one item)."""
    return (
        Q(kind=ContentItem.Kind.URL)
        & ~Q(state=State.REMOVED)
        & (Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        & (Q(checks_until__isnull=True) | Q(checks_until__gt=now))
    )


def due_items(now: datetime | None = None) -> QuerySet[ContentItem]:
    """Items to check now: web addresses of forwarded reports, not removed, whose next check
    is due, within ``SIGURNET_CHECK_STOP_AFTER_DAYS`` of their first check."""
    now = now or timezone.now()
    forwarded = ReportedURL.objects.filter(report__status=Status.FORWARDED).values(
        "content_item_id"
    )
    return ContentItem.objects.filter(_due_on_the_item(now), pk__in=forwarded)


def _due_candidates(now: datetime, limit: int) -> list[int]:
    """Never-checked items first (newly forwarded), then the most overdue. Two queries: one
    ordered scan of "NULL first" read every item each time, most of them never forwarded."""
    due = due_items(now)
    fresh = list(due.filter(next_check_at__isnull=True).values_list("pk", flat=True)[:limit])
    if len(fresh) >= limit:
        return fresh
    overdue = due.filter(next_check_at__lte=now).order_by("next_check_at", "pk")
    return fresh + list(overdue.values_list("pk", flat=True)[: limit - len(fresh)])


def claim_due_items(*, limit: int, now: datetime | None = None) -> list[ContentItem]:
    """Claim up to ``limit`` due items for this run and return them (address decrypted).

    The claim is one conditional UPDATE that sets a token of this run and pushes
    ``next_check_at`` ``CLAIM_LEASE`` ahead, only where the item is still due: a run that
    overlaps finds the row no longer due (PostgreSQL re-checks the condition after waiting for
    the other run's row lock) and claims something else. An item whose run died is due again
    when the lease ends."""
    now = now or timezone.now()
    candidates = _due_candidates(now, limit)
    if not candidates:
        return []
    token = secrets.token_hex(16)
    ContentItem.objects.filter(_due_on_the_item(now), pk__in=candidates).update(
        check_claim=token, next_check_at=now + CLAIM_LEASE
    )
    return list(
        ContentItem.objects.filter(pk__in=candidates, check_claim=token)
        .only("pk", "kind", "canonical")
        .order_by("pk")
    )


def delete_old_checks(now: datetime | None = None) -> int:
    """Checks are kept for ``SIGURNET_CHECK_STOP_AFTER_DAYS``, the length of an item's
    checking; the ones that confirmed a removal or reopened an item stay with the item."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGURNET_CHECK_STOP_AFTER_DAYS)
    old = ContentCheck.objects.filter(checked_at__lt=cutoff, event="")
    deleted = 0
    while True:
        batch = list(old.values_list("pk", flat=True)[:5000])
        if not batch:
            return deleted
        deleted += ContentCheck.objects.filter(pk__in=batch).delete()[0]


# Results recorded together in one transaction (or after RECORD_EVERY seconds, if fewer).
RECORD_BATCH = 64
RECORD_EVERY = 0.5


def run_due_checks(
    *,
    concurrency: int | None = None,
    time_limit: float | None = None,
    config: CheckConfig | None = None,
) -> Counter[str]:
    """Check every due item (``due_items``), ``concurrency`` at a time, and record each.

    Threads only wait for the network (``probe``); this thread claims small batches and
    records the results in batches (``RECORD_BATCH``, one short transaction each), so no
    transaction is open while a request is on its way. Claims are topped up while requests are
    in flight, so the pool stays busy. No new claims after ``time_limit`` seconds (default: one
    interval); what is left is due for the next run. Counts of the results, and "claimed".
    """
    concurrency = max(1, concurrency or settings.SIGURNET_CHECK_CONCURRENCY)
    limit = time_limit if time_limit is not None else check_interval().total_seconds()
    deadline = time.monotonic() + limit
    config = config or CheckConfig.from_settings()
    counts: Counter[str] = Counter()
    in_flight: dict[Future[Probe], int] = {}
    answered: list[tuple[int, Probe]] = []
    exhausted = False
    last_recorded = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="content-check") as pool:
        while True:
            if not exhausted and len(in_flight) < concurrency and time.monotonic() < deadline:
                batch = claim_due_items(limit=concurrency * 2)
                exhausted = not batch
                counts["claimed"] += len(batch)
                for item in batch:
                    in_flight[pool.submit(probe, item.canonical, config)] = item.pk
            if not in_flight and not answered:
                break
            if in_flight:
                done, _pending = wait(
                    list(in_flight), timeout=RECORD_EVERY, return_when=FIRST_COMPLETED
                )
                for future in done:
                    answered.append((in_flight.pop(future), future.result()))  # never raises
            if answered and (
                len(answered) >= RECORD_BATCH
                or not in_flight
                or time.monotonic() - last_recorded >= RECORD_EVERY
            ):
                _record_safely(answered)
                counts.update(found.result for _item_id, found in answered)
                answered = []
                last_recorded = time.monotonic()
    return counts


def _record_safely(answered: list[tuple[int, Probe]]) -> None:
    try:
        record_checks(answered)
        return
    except Exception:
        log.exception("Could not record %s checks together; recording one by one", len(answered))
    for item_id, found in answered:
        try:
            record_checks([(item_id, found)])
        except Exception:
            # One item's failure must not stop the others; it is due again after the lease.
            log.exception("Could not record the check of content item %s", item_id)
