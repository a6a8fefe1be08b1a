"""Intake benchmark: many reporters at once, through the API and through the web form.

It starts nothing itself. It drives a Sigurnet that is already running (PostgreSQL, Redis,
gunicorn as in docs/deployment.md, or uvicorn) on this machine, with N concurrent simulated
clients that each send complete reports, one after another, until the duration or the report
count is reached.
Then it prints reports per second, latency percentiles and errors per phase, and checks in the
database that every reference the server acknowledged is really stored (must be 0 missing).

    .venv/bin/python bench/intake.py --base-url http://127.0.0.1:8100 --clients 16 \\
        --duration 30 --forwarded-for --database-url postgres://postgres@127.0.0.1/sigurnet_bench

What one report costs:

* API: one ``POST /api/v1/reports`` (JSON). Its latency is that request's.
* Web: the five steps of the form with a cookie jar and Django's CSRF token, exactly like a
  browser without JavaScript: ``GET /en/report/``, ``POST`` what / where / details / you,
  ``POST /en/report/check/`` (302 to the done page) and ``GET /en/report/done/``, whose page
  shows the reference. The report's latency is the final ``POST /en/report/check/``; the whole
  flow's time is printed as well. ``--web-pages browser`` also loads every step's page after
  its redirect, as a real browser does (11 requests instead of 7).

The server under test must run with ``SIGURNET_FORM_MIN_SECONDS=0``: the form refuses reports
sent faster than a person could type them (a defence against bots, not a throughput limit), and
this script is such a bot. See bench/README.md and docs/performance.md.

Traffic goes to a loopback address only; every loop is bounded by ``--duration``/``--reports``
and by ``--time-limit``, so the script always stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import random
import re
import resource
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any

# Non-urgent categories: no Celery notice is queued for them (urgent ones would queue one in
# Redis after the commit, which works without a running worker too).
CATEGORIES = ("phishing_fraud", "cyberbullying", "hate_speech", "impersonation", "other")
PLATFORMS = ("Viber", "TikTok", "Instagram", "Facebook", "Telegram", "Roblox")
DESCRIPTION_WORDS = (
    "message account blocked bank card pin link verify profile photos threat insults group "
    "chat school video comment fake page money password login parcel delivery prize"
)
WORDS = DESCRIPTION_WORDS.split()
REFERENCE_RE = re.compile(r'<strong class="reference">\s*([^<\s]+)\s*</strong>')


class BenchError(Exception):
    """One report failed; ``kind`` groups failures in the summary."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


# --- HTTP ----------------------------------------------------------------------------------


class Client:
    """One simulated reporter's browser or API client: a connection and a cookie jar.

    Cookies are kept by hand: Django marks them ``Secure`` in production settings, and a
    standard cookie jar would not send them back over plain HTTP on the loopback interface.
    """

    def __init__(self, host: str, port: int, timeout: float, keepalive: bool) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.keepalive = keepalive
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.forwarded_for = ""
        self.requests = 0

    def new_identity(self, forwarded_for: str) -> None:
        """Another person: empty cookie jar, another address (when --forwarded-for)."""
        self.cookies = {}
        self.forwarded_for = forwarded_for

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "",
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        headers = {"Accept-Language": "en", "User-Agent": "sigurnet-bench/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if content_type:
            headers["Content-Type"] = content_type
        if not self.keepalive:
            headers["Connection"] = "close"
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.requests += 1
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except TimeoutError as exc:
            self.close()
            raise BenchError(f"{method} {_route(path)}: timeout", str(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise BenchError(f"{method} {_route(path)}: {type(exc).__name__}", str(exc)) from exc
        self._store_cookies(response)
        if not self.keepalive or response.will_close:
            self.close()
        return response.status, response, data

    def _store_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.msg.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, Any, bytes]:
        data = dict(fields, csrfmiddlewaretoken=self.cookies.get("csrftoken", ""))
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(data).encode(),
            "application/x-www-form-urlencoded",
        )


def _route(path: str) -> str:
    return path.split("?", 1)[0]


def _expect(status: int, wanted: int, what: str, body: bytes = b"") -> None:
    if status != wanted:
        hint = ""
        if status == 400 and body[:1] == b"{":
            hint = body[:200].decode(errors="replace")
        raise BenchError(f"{what}: HTTP {status}", hint)


def _redirect_target(response: Any, what: str, wanted_suffix: str) -> str:
    location = response.getheader("Location", "")
    path = urllib.parse.urlsplit(location).path or location
    if not path.endswith(wanted_suffix):
        raise BenchError(f"{what}: redirected elsewhere", location)
    return path


# --- What a reporter sends -----------------------------------------------------------------


@dataclass
class ReportData:
    category: str
    urls: list[str]
    platform: str
    account: str
    location_hint: str
    seen_on: str
    description: str
    age_band: str


def make_report(rnd: random.Random, settings: Settings) -> ReportData:
    token = f"{rnd.getrandbits(48):012x}"
    urls = [f"https://login-{token[:6]}.example.com/verify/{token}?utm_source=sms"]
    if rnd.random() < settings.hot_share:
        # A few addresses that many people report at once (a phishing wave), in any order.
        count = min(settings.hot_per_report, settings.hot_urls)
        urls += [
            f"https://hot-{n}.example.net/offer"
            for n in rnd.sample(range(settings.hot_urls), count)
        ]
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 60)))
    return ReportData(
        category=rnd.choice(CATEGORIES),
        urls=urls,
        platform=rnd.choice(PLATFORMS),
        account=f"@user{rnd.randrange(100000)}",
        location_hint="In a group chat." if rnd.random() < 0.3 else "",
        seen_on=(date.today() - timedelta(days=rnd.randint(1, 20))).isoformat(),
        description=f"Benchmark report {token}. {words}.",
        age_band=rnd.choice(("", "13_17", "18_plus")),
    )


def api_report(client: Client, report: ReportData, _settings: Settings) -> tuple[str, float]:
    """One report through the API: returns (reference, latency of the POST)."""
    body = json.dumps(
        {
            "category": report.category,
            "urls": report.urls,
            "where": {
                "platform": report.platform,
                "account": report.account,
                "how_to_find": report.location_hint,
            },
            "seen_at": report.seen_on,
            "description": report.description,
            "language": "en",
            "age_band": report.age_band,
            "contact": {"email": "", "phone": "", "consent": False},
        }
    ).encode()
    start = time.perf_counter()
    status, _response, data = client.request("POST", "/api/v1/reports", body, "application/json")
    latency = time.perf_counter() - start
    _expect(status, 201, "API POST /reports", data)
    try:
        reference = str(json.loads(data)["reference"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BenchError("API: no reference in the answer", data[:200].decode()) from exc
    return reference, latency


def web_report(client: Client, report: ReportData, settings: Settings) -> tuple[str, float]:
    """One report through the web form: returns (reference, latency of POST /report/check/)."""
    prefix = settings.language_prefix
    browser = settings.web_pages == "browser"
    status, _r, _d = client.request("GET", f"{prefix}/report/")
    _expect(status, 200, "web GET /report/")
    if "csrftoken" not in client.cookies:
        raise BenchError("web: no csrftoken cookie")
    steps: list[tuple[str, dict[str, str], str]] = [
        ("/report/", {"category": report.category}, "/report/where/"),
        (
            "/report/where/",
            {
                "urls": "\n".join(report.urls),
                "platform": report.platform,
                "account": report.account,
                "location_hint": report.location_hint,
                "seen_on": report.seen_on,
            },
            "/report/details/",
        ),
        ("/report/details/", {"description": report.description}, "/report/you/"),
        ("/report/you/", {"age_band": report.age_band}, "/report/check/"),
    ]
    for step, fields, following in steps:
        status, response, _d = client.post_form(f"{prefix}{step}", fields)
        _expect(status, 302, f"web POST {step}")
        target = _redirect_target(response, f"web POST {step}", following)
        if browser:
            status, _r, _d = client.request("GET", target)
            _expect(status, 200, f"web GET {following}")
    start = time.perf_counter()
    status, response, _d = client.post_form(f"{prefix}/report/check/", {})
    latency = time.perf_counter() - start
    _expect(status, 302, "web POST /report/check/")
    done = _redirect_target(response, "web POST /report/check/", "/report/done/")
    status, _r, page = client.request("GET", done)
    _expect(status, 200, "web GET /report/done/")
    match = REFERENCE_RE.search(page.decode("utf-8", errors="replace"))
    if not match:
        raise BenchError("web: no reference on the done page")
    return match.group(1), latency


FLOWS: dict[str, Callable[[Client, ReportData, Settings], tuple[str, float]]] = {
    "api": api_report,
    "web": web_report,
}


# --- Running a phase -----------------------------------------------------------------------


@dataclass
class Settings:
    host: str
    port: int
    timeout: float
    keepalive: bool
    forwarded_for: bool
    reports_per_reporter: int
    language_prefix: str
    web_pages: str
    hot_share: float
    hot_urls: int
    hot_per_report: int
    seed: int
    watch_pids: list[int] = field(default_factory=list)


@dataclass
class Sample:
    kind: str
    latency: float  # the report's request (API POST, or the web form's final POST)
    flow: float  # every request of the report
    requests: int


@dataclass
class PhaseResult:
    name: str
    clients: dict[str, int]
    wall: float = 0.0
    cpu: float = 0.0  # this process's CPU seconds (the load generator's own cost)
    machine_busy: float | None = None  # share of all cores busy during the phase (Linux)
    watched: dict[int, float] = field(default_factory=dict)  # --watch-pid tree: CPU seconds

    @property
    def watched_cpu(self) -> float | None:
        return sum(self.watched.values()) if self.watched else None

    samples: list[Sample] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    missing: int | None = None
    duplicates: int = 0


class Phase:
    """Hands out reports to the worker threads until the time or the count runs out."""

    def __init__(
        self, result: PhaseResult, duration: float | None, reports: int | None, limit: float
    ) -> None:
        self.result = result
        self.duration = duration
        self.reports = reports
        self.limit = limit
        self.lock = threading.Lock()
        self.issued = 0
        self.start = 0.0

    def claim(self) -> bool:
        with self.lock:
            elapsed = time.monotonic() - self.start
            if elapsed >= self.limit:
                return False
            if self.duration is not None and elapsed >= self.duration:
                return False
            if self.reports is not None and self.issued >= self.reports:
                return False
            self.issued += 1
            return True

    def record(self, sample: Sample, reference: str) -> None:
        with self.lock:
            self.result.samples.append(sample)
            self.result.references.append(reference)

    def fail(self, kind: str, error: BenchError) -> None:
        key = f"{kind}: {error.kind}"
        with self.lock:
            self.result.errors[key] += 1
            self.result.error_examples.setdefault(key, str(error))


class Addresses:
    """Distinct client addresses from 10.0.0.0/8, one per simulated reporter."""

    def __init__(self, seed: int) -> None:
        self.lock = threading.Lock()
        self.next = random.Random(seed).randrange(1, 1 << 23)

    def take(self) -> str:
        with self.lock:
            self.next = (self.next + 1) % ((1 << 24) - 2) or 1
            number = self.next
        return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def worker(index: int, kind: str, phase: Phase, settings: Settings, addresses: Addresses) -> None:
    rnd = random.Random(f"{settings.seed}-{phase.result.name}-{index}")
    client = Client(settings.host, settings.port, settings.timeout, settings.keepalive)
    flow = FLOWS[kind]
    sent_by_reporter = settings.reports_per_reporter
    try:
        while phase.claim():
            if sent_by_reporter >= settings.reports_per_reporter:
                client.new_identity(addresses.take() if settings.forwarded_for else "")
                sent_by_reporter = 0
            sent_by_reporter += 1
            report = make_report(rnd, settings)
            requests_before = client.requests
            start = time.perf_counter()
            try:
                reference, latency = flow(client, report, settings)
            except BenchError as exc:
                phase.fail(kind, exc)
                client.cookies = {}
                continue
            except Exception as exc:
                phase.fail(kind, BenchError(type(exc).__name__, str(exc)))
                client.close()
                continue
            sample = Sample(
                kind=kind,
                latency=latency,
                flow=time.perf_counter() - start,
                requests=client.requests - requests_before,
            )
            phase.record(sample, reference)
    finally:
        client.close()


def run_phase(
    name: str,
    kinds: list[str],
    settings: Settings,
    addresses: Addresses,
    duration: float | None,
    reports: int | None,
    time_limit: float,
) -> PhaseResult:
    result = PhaseResult(name=name, clients=dict(Counter(kinds)))
    phase = Phase(result, duration, reports, time_limit)
    threads = [
        threading.Thread(
            target=worker,
            args=(i, kind, phase, settings, addresses),
            name=f"{name}-{kind}-{i}",
            daemon=True,
        )
        for i, kind in enumerate(kinds)
    ]
    cpu_before = _cpu_seconds()
    machine_before = _machine_ticks()
    watched_before = _tree_cpu_seconds(settings.watch_pids)
    phase.start = time.monotonic()
    for thread in threads:
        thread.start()
    # The workers stop claiming at the limit; allow one request timeout for the last ones.
    give_up = phase.start + time_limit + settings.timeout * 12 + 5
    for thread in threads:
        thread.join(max(0.0, give_up - time.monotonic()))
    result.wall = time.monotonic() - phase.start
    result.cpu = _cpu_seconds() - cpu_before
    machine_after = _machine_ticks()
    watched_after = _tree_cpu_seconds(settings.watch_pids)
    result.watched = {
        pid: watched_after[pid] - watched_before[pid]
        for pid in watched_before
        if pid in watched_after
    }
    if machine_before and machine_after:
        total = machine_after[0] - machine_before[0]
        idle = machine_after[1] - machine_before[1]
        result.machine_busy = 1 - idle / total if total > 0 else None
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        result.errors["worker still running at the time limit"] += stuck
    with phase.lock:  # stuck daemon threads must not change the figures any more
        result.samples = list(result.samples)
        result.references = list(result.references)
    return result


def _tree_cpu_seconds(roots: list[int]) -> dict[int, float]:
    """CPU seconds used so far by each of these processes with its descendants (Linux /proc).

    Each process counts its own time and that of its children that have already exited
    (cutime, cstime): short-lived PostgreSQL backends are still counted once gone.
    """
    if not roots:
        return {}
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        # after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 1-based
        stats[int(entry)] = (int(fields[1]), sum(int(v) for v in fields[11:15]) / ticks)
    totals = {}
    for root in set(roots) & stats.keys():
        tree = {root}
        grew = True
        while grew:
            more = {pid for pid, (parent, _cpu) in stats.items() if parent in tree} - tree
            tree |= more
            grew = bool(more)
        totals[root] = sum(stats[pid][1] for pid in tree)
    return totals


def _process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
            return f"{handle.read().strip()}[{pid}]"
    except OSError:
        return f"[{pid}]"


def _machine_ticks() -> tuple[int, int] | None:
    """(all, idle) CPU ticks of the whole machine from /proc/stat, or None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    return sum(fields[:8]), fields[3] + fields[4]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- Checking and printing -----------------------------------------------------------------


def check_references(database_url: str, results: list[PhaseResult]) -> None:
    """Count, per phase, the acknowledged references that are not in hotline_report."""
    import psycopg  # the project's own dependency (psycopg 3)

    wanted = sorted({ref for result in results for ref in result.references})
    found: set[str] = set()
    with psycopg.connect(database_url, connect_timeout=10) as conn, conn.cursor() as cur:
        for i in range(0, len(wanted), 5000):
            cur.execute(
                "SELECT reference FROM hotline_report WHERE reference = ANY(%s)",
                (wanted[i : i + 5000],),
            )
            found.update(row[0] for row in cur.fetchall())
    seen: Counter[str] = Counter()
    for result in results:
        seen.update(result.references)
    for result in results:
        result.missing = sum(1 for ref in result.references if ref not in found)
        result.duplicates = sum(1 for ref in set(result.references) if seen[ref] > 1)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_rows(result: PhaseResult) -> list[dict[str, Any]]:
    rows = []
    kinds = sorted(result.clients)
    for kind in [*kinds, "all"] if len(kinds) > 1 else kinds:
        samples = [s for s in result.samples if kind in ("all", s.kind)]
        errors = sum(
            n for key, n in result.errors.items() if kind == "all" or key.startswith(f"{kind}:")
        )
        latencies = [s.latency * 1000 for s in samples]
        flows = [s.flow * 1000 for s in samples]
        requests = sum(s.requests for s in samples)
        # The server's CPU cannot be split between API and web reports of a mixed phase.
        whole_phase = kind == "all" or len(kinds) == 1
        server_cpu = (
            1000 * result.watched_cpu / len(samples)
            if result.watched_cpu is not None and samples and whole_phase
            else None
        )
        rows.append(
            {
                "phase": result.name,
                "kind": kind,
                "clients": sum(result.clients.values()) if kind == "all" else result.clients[kind],
                "reports": len(samples),
                "errors": errors,
                "reports_per_s": len(samples) / result.wall if result.wall else 0.0,
                "http_requests_per_s": requests / result.wall if result.wall else 0.0,
                "p50_ms": percentile(latencies, 0.50),
                "p95_ms": percentile(latencies, 0.95),
                "p99_ms": percentile(latencies, 0.99),
                "max_ms": max(latencies, default=0.0),
                "flow_p50_ms": percentile(flows, 0.50),
                "flow_p95_ms": percentile(flows, 0.95),
                "flow_p99_ms": percentile(flows, 0.99),
                "missing": result.missing,
                "duplicates": result.duplicates,
                "wall_s": result.wall,
                "loadgen_cpu_pct": 100 * result.cpu / result.wall if result.wall else 0.0,
                "machine_busy_pct": None
                if result.machine_busy is None
                else 100 * result.machine_busy,
                "server_cpu_ms_per_report": server_cpu,
                "server_cores": result.watched_cpu / result.wall
                if result.watched_cpu is not None and result.wall
                else None,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], target_rps: float, target_p99: float) -> None:
    header = (
        f"{'phase':<8} {'kind':<4} {'cli':>4} {'reports':>8} {'err':>5} {'rep/s':>7} "
        f"{'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'flow p50':>9} {'p95':>7} {'p99':>7} {'miss':>5}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        missing = "-" if row["missing"] is None else str(row["missing"])
        met = (
            row["reports_per_s"] >= target_rps
            and row["p99_ms"] < target_p99
            and row["errors"] == 0
            and row["missing"] in (0, None)
        )
        print(
            f"{row['phase']:<8} {row['kind']:<4} {row['clients']:>4} {row['reports']:>8} "
            f"{row['errors']:>5} {row['reports_per_s']:>7.1f} {row['http_requests_per_s']:>7.1f} "
            f"{row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} {row['p99_ms']:>7.1f} "
            f"{row['max_ms']:>7.1f} {row['flow_p50_ms']:>9.1f} {row['flow_p95_ms']:>7.1f} "
            f"{row['flow_p99_ms']:>7.1f} {missing:>5}  {'met' if met else 'NOT met'}"
        )
    print(
        "Latencies in ms. api: the POST /api/v1/reports; web: the final POST /report/check/; "
        "flow: every request of one report.\n"
        f"target: >= {target_rps:g} reports/s, p99 < {target_p99:g} ms, no error, "
        "no missing reference."
    )


# --- Command line --------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Drive a running Sigurnet with concurrent reporters (API and web form) and print "
            "reports/s, latency percentiles, errors and acknowledged references missing from "
            "the database. Starts no server; talks to a loopback address only."
        ),
        epilog=(
            "The server under test needs SIGURNET_FORM_MIN_SECONDS=0 (else every web report "
            "is refused as too fast) and, for more than 30 reports a minute from one address, "
            "--forwarded-for with SIGURNET_TRUSTED_PROXIES=1. See docs/performance.md."
        ),
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--clients", type=int, default=16, help="concurrent simulated clients (default 16)"
    )
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--duration", type=float, help="seconds per measured phase (default 20)")
    amount.add_argument(
        "--reports",
        type=int,
        help="reports per measured phase, shared by its clients (in the mixed phase the faster "
        "API clients take more of them)",
    )
    parser.add_argument(
        "--mix",
        choices=("api", "web", "both"),
        default="both",
        help="api, web, or both: an API phase, a web phase, then both together with half "
        "of the clients each (default)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL URL to check that every acknowledged reference exists "
        "(default: $DATABASE_URL; without it the check is skipped)",
    )
    parser.add_argument(
        "--forwarded-for",
        action="store_true",
        help="give every simulated reporter its own address in X-Forwarded-For (10.0.0.0/8), "
        "as nginx would; the server must run with SIGURNET_TRUSTED_PROXIES=1. Without it every "
        "report comes from 127.0.0.1 and the per-client limit (30 a minute) refuses the rest",
    )
    parser.add_argument(
        "--reports-per-reporter",
        type=int,
        default=1,
        help="reports one simulated reporter (address and cookie jar) sends before the next "
        "one takes its place (default 1)",
    )
    parser.add_argument(
        "--web-pages",
        choices=("minimal", "browser"),
        default="minimal",
        help="minimal: the form's POSTs only (7 requests per report); browser: also GET each "
        "step's page after its redirect (11 requests)",
    )
    parser.add_argument(
        "--no-keepalive",
        action="store_true",
        help="a new TCP connection for every request (like nginx without upstream keepalive)",
    )
    parser.add_argument(
        "--hot-share",
        type=float,
        default=0.25,
        help="share of reports that also name popular addresses (default 0.25)",
    )
    parser.add_argument(
        "--hot-urls",
        type=int,
        default=20,
        help="how many popular addresses there are (default 20)",
    )
    parser.add_argument(
        "--hot-per-report",
        type=int,
        default=1,
        help="popular addresses named by such a report, in random order (default 1)",
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="unmeasured seconds first (default 3)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=600.0,
        help="hard limit in seconds for one phase (default 600)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--language", default="en", help="language prefix of the web form")
    parser.add_argument("--target-rps", type=float, default=100.0)
    parser.add_argument("--target-p99-ms", type=float, default=300.0)
    parser.add_argument(
        "--watch-pid",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="a server process (gunicorn's or uvicorn's parent, PostgreSQL's postmaster, "
        "redis-server) "
        "whose CPU time, with its children's, is summed per phase and per report (Linux); "
        "may be repeated",
    )
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.duration is None and args.reports is None:
        args.duration = 20.0
    for name in ("clients", "reports_per_reporter", "hot_urls", "hot_per_report"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.reports is not None and args.reports < 1:
        parser.error("--reports must be at least 1")
    if args.duration is not None and not 0 < args.duration <= args.time_limit:
        parser.error("--duration must be above 0 and at most --time-limit")
    if args.mix == "both" and args.clients < 2:
        parser.error("--mix both needs at least 2 clients")
    return args


def loopback_target(base_url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit("--base-url must be http://HOST:PORT (plain HTTP on loopback)")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"--base-url must point at this machine (127.0.0.1), not {host}")
    return host, parts.port or 80


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    host, port = loopback_target(args.base_url)
    sys.setswitchinterval(0.001)  # threads that wait on sockets get the GIL back sooner
    settings = Settings(
        host=host,
        port=port,
        timeout=args.timeout,
        keepalive=not args.no_keepalive,
        forwarded_for=args.forwarded_for,
        reports_per_reporter=args.reports_per_reporter,
        language_prefix=f"/{args.language.strip('/')}",
        web_pages=args.web_pages,
        hot_share=args.hot_share,
        hot_urls=args.hot_urls,
        hot_per_report=args.hot_per_report,
        seed=args.seed,
        watch_pids=args.watch_pid,
    )
    addresses = Addresses(args.seed)
    if not args.forwarded_for:
        print(
            "note: without --forwarded-for every report comes from one address; the server's "
            "per-client limit (SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE) will refuse most of them"
        )
    half = args.clients // 2
    plans: list[tuple[str, list[str]]] = {
        "api": [("api", ["api"] * args.clients)],
        "web": [("web", ["web"] * args.clients)],
        "both": [
            ("api", ["api"] * args.clients),
            ("web", ["web"] * args.clients),
            ("both", ["api"] * half + ["web"] * (args.clients - half)),
        ],
    }[args.mix]
    amount = f"{args.duration:g} s" if args.duration is not None else f"{args.reports} reports"
    print(
        f"Sigurnet intake benchmark: {args.base_url}, {args.clients} clients, {amount} per "
        f"phase, mix {args.mix}, web pages {args.web_pages}, "
        f"{'keep-alive' if settings.keepalive else 'new connection per request'}, "
        f"X-Forwarded-For {'per reporter' if args.forwarded_for else 'off'}"
    )
    results: list[PhaseResult] = []
    if args.warmup > 0:
        kinds = sorted({kind for _name, plan in plans for kind in plan})
        warm_kinds = [kinds[i % len(kinds)] for i in range(args.clients)]
        warm = run_phase(
            "warm-up", warm_kinds, settings, addresses, args.warmup, None, args.time_limit
        )
        print(
            f"warm-up: {len(warm.samples)} reports, {sum(warm.errors.values())} errors in "
            f"{warm.wall:.1f} s"
        )
        results.append(warm)
    measured: list[PhaseResult] = []
    for name, kinds in plans:
        result = run_phase(
            name, kinds, settings, addresses, args.duration, args.reports, args.time_limit
        )
        print(
            f"phase {name}: {len(result.samples)} reports, {sum(result.errors.values())} "
            f"errors in {result.wall:.1f} s"
        )
        results.append(result)
        measured.append(result)
    if args.database_url:
        try:
            check_references(args.database_url, results)
        except Exception as exc:
            print(f"reference check failed: {type(exc).__name__}: {exc}")
    else:
        print("no --database-url: acknowledged references were NOT checked in the database")
    print()
    rows = [row for result in measured for row in summary_rows(result)]
    print_table(rows, args.target_rps, args.target_p99_ms)
    print(
        "CPU: load generator (this process, % of one core) / whole machine (% of all "
        f"{os.cpu_count()} cores busy): "
        + ", ".join(
            f"{r.name} {100 * r.cpu / r.wall:.0f}% / "
            + ("?" if r.machine_busy is None else f"{100 * r.machine_busy:.0f}%")
            for r in measured
            if r.wall > 0
        )
    )
    for r in measured:
        if r.watched:
            reports = max(1, len(r.samples))
            parts = ", ".join(
                f"{_process_name(pid)} {1000 * cpu / reports:.1f}" for pid, cpu in r.watched.items()
            )
            print(
                f"server CPU per report [{r.name}]: {1000 * sum(r.watched.values()) / reports:.1f}"
                f" ms ({parts}; {sum(r.watched.values()) / r.wall:.2f} cores)"
            )
    failed = False
    for result in results:
        for key, count in result.errors.most_common():
            failed = True
            print(f"  error [{result.name}] x{count}: {result.error_examples.get(key, key)}")
        if result.missing:
            failed = True
            print(f"  MISSING [{result.name}]: {result.missing} acknowledged references not stored")
        if result.duplicates:
            failed = True
            print(f"  DUPLICATE [{result.name}]: {result.duplicates} references acknowledged twice")
    if args.database_url and results and results[0].missing is not None:
        total = sum(r.missing or 0 for r in results)
        acknowledged = sum(len(r.references) for r in results)
        print(f"references: {acknowledged} acknowledged (warm-up included), {total} missing")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"arguments": vars(args), "rows": rows}, handle, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
