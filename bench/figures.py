"""Figures benchmark: the hotline's figures page (/staff/stats/hotline/) on a full database.

Fills the PostgreSQL database named by ``--database-url`` with ``--reports`` generated
reports (default 1,000,000) received over five years, in time order as a real hotline's, with
their assessments (5 % assessed twice, actionable CSAM confirmed by a second analyst), unless
it already holds that many; then the forwarding of the actionable and harmful ones (unless
their content items exist): a content item each (a tenth two), its hosting facts (country;
a few failed look-ups), reports to the police or the prosecutor for most actionable reports,
a notice asking for removal for most items (to the host; to the partner hotline for CSAM
hosted abroad), acknowledgements for most dispatches (the rest waiting, some overdue) and
removals (``ContentItem.removed_at``) for most items. The rows are written by
``INSERT ... SELECT generate_series`` in SQL, not through the ORM, with the secondary indexes
dropped during the load and built again after it (minutes instead of hours). Then it signs in
as a hotline supervisor (password and TOTP code, through the real sign-in pages) and prints
the server time (p50, p95 in ms) of the figures page for the last year and for all years,
and where one request of each spends its time in the database.

    SIGURNET_DEBUG=1 .venv/bin/python bench/figures.py \\
        --database-url postgres://postgres@127.0.0.1/sigurnet_figuresbench --reports 1000000

Requests go through Django's test client in this process: the time is the server's (every
middleware, the view, the queries, the template, the charts), without a network. Generated
people use @example.org; nothing leaves the machine. ``--reuse`` measures a filled
database as it is, without counting or filling anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

# Weights as in a centre's year (bench/staff.py has the same categories).
CATEGORIES = (
    ("csam", 8),
    ("grooming", 4),
    ("sextortion", 4),
    ("ncii", 3),
    ("cyberbullying", 15),
    ("hate_speech", 12),
    ("violent_content", 6),
    ("phishing_fraud", 25),
    ("impersonation", 10),
    ("other", 13),
)
CHANNELS = (("web", 60), ("email", 20), ("api", 15), ("phone", 4), ("partner", 1))
LANGUAGES = (("sr-latn", 55), ("sr", 10), ("bs", 25), ("en", 10))
# The newest assessment's outcome; "" is a report not assessed yet (received, in assessment).
OUTCOMES = (
    ("actionable", 20),
    ("harmful", 8),
    ("not_actionable", 22),
    ("incomplete", 30),
    ("duplicate", 10),
    ("outside_remit", 5),
    ("", 5),
)


def weighted_array(table: tuple[tuple[str, int], ...]) -> str:
    """A SQL array literal with each value repeated by its weight (pick one at random)."""
    values = [value for value, weight in table for _n in range(weight)]
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def pick(table: tuple[tuple[str, int], ...]) -> str:
    values = weighted_array(table)
    return f"({values})[1 + floor(random() * {sum(w for _v, w in table)})::int]"


# One row per report: what it is and what happens to it. Delays are log-uniform: first
# assessment between 10 minutes and 14 days, confirmation between 6 minutes and 2 days.
PLAN_SQL = f"""
CREATE TEMP TABLE bench_plan AS
SELECT %s + row_number() OVER (ORDER BY received_at) AS g, *
FROM (
  SELECT
    date_trunc('second', now() - random() * interval '1826 days') AS received_at,
    {pick(CATEGORIES)} AS category,
    {pick(CHANNELS)} AS channel,
    {pick(LANGUAGES)} AS language,
    {pick(OUTCOMES)} AS outcome,
    exp(random() * ln(2016)) * interval '10 minutes' AS first_delay,
    exp(random() * ln(480)) * interval '6 minutes' AS confirm_delay,
    random() < 0.05 AS second_look
  FROM generate_series(1, %s)
) planned
"""

REPORTS_SQL = """
INSERT INTO hotline_report (reference, receipt_index, channel, language, category, status,
  received_at, updated_at, platform, account, location_hint, description, age_band,
  contact_email, contact_phone, contact_consent, priority, news_notice, outcome,
  first_assessed_at)
SELECT 'SIG-F-' || lpad(g::text, 7, '0'), md5('figures-receipt-' || g) || md5('r' || g),
  channel, language, category,
  CASE outcome WHEN '' THEN 'in_assessment' WHEN 'incomplete' THEN 'incomplete'
    WHEN 'duplicate' THEN 'duplicate' WHEN 'actionable' THEN 'forwarded' ELSE 'closed' END,
  received_at, received_at + first_delay + interval '3 days', '', '', '',
  -- about the size of an encrypted description
  repeat('x', 240), '', '', '', false,
  CASE outcome WHEN '' THEN '' ELSE 'normal' END, false, outcome,
  CASE outcome WHEN '' THEN NULL ELSE received_at + first_delay END
FROM bench_plan
-- In the order they came in, as a real hotline's: ids and the table's pages follow time.
ORDER BY g
"""

ASSESSMENTS_SQL = """
INSERT INTO hotline_assessment (outcome, priority, category_before, category, notes,
  legal_class, victim_age, victim_gender, content_kind, created_at, needs_confirmation,
  confirmed_at, report_id)
SELECT
  CASE WHEN p.second_look THEN 'harmful' ELSE p.outcome END, 'normal', p.category, p.category,
  '', '', '', '', '', p.received_at + p.first_delay, csam AND NOT p.second_look,
  CASE WHEN csam AND NOT p.second_look THEN p.received_at + p.first_delay + p.confirm_delay END,
  r.id
FROM (SELECT *, category = 'csam' AND outcome = 'actionable' AS csam FROM bench_plan) p
JOIN hotline_report r ON r.reference = 'SIG-F-' || lpad(p.g::text, 7, '0')
WHERE p.outcome <> ''
UNION ALL
SELECT p.outcome, 'normal', p.category, p.category, '', '', '', '', '',
  p.received_at + p.first_delay + interval '2 days', csam, CASE WHEN csam
  THEN p.received_at + p.first_delay + interval '2 days' + p.confirm_delay END, r.id
FROM (SELECT *, category = 'csam' AND outcome = 'actionable' AS csam FROM bench_plan) p
JOIN hotline_report r ON r.reference = 'SIG-F-' || lpad(p.g::text, 7, '0')
WHERE p.outcome <> '' AND p.second_look
"""

# Hosting countries of the abuse reports' content items (ISO alpha-2; "" a failed look-up).
COUNTRIES = (
    ("US", 30),
    ("NL", 14),
    ("DE", 10),
    ("RS", 12),
    ("RU", 7),
    ("FR", 5),
    ("BA", 3),
    ("GB", 3),
    ("UA", 3),
    ("BG", 2),
    ("HR", 2),
    ("SE", 2),
    ("CA", 2),
    ("", 5),
)

# One row per content item of an actionable or harmful report (one item each, a tenth two),
# with its fate: where it is hosted, whether a notice asking for removal went (most do;
# CSAM hosted abroad goes to that country's partner hotline, the rest to the host), when,
# and when the content went (most of them, log-uniform 1 hour to 30 days after the notice; a
# few before any notice).
ITEM_PLAN_SQL = f"""
CREATE TEMP TABLE bench_item AS
SELECT %s + row_number() OVER (ORDER BY r.id, n) AS item_id, r.id AS report_id,
  r.received_at, r.first_assessed_at, r.category, r.outcome, n - 1 AS position, x.country,
  x.noticed, x.gone_first, x.notice_delay, x.removal_delay, x.removed
FROM hotline_report r
CROSS JOIN LATERAL generate_series(1, CASE WHEN random() < 0.1 AND r.id > 0 THEN 2 ELSE 1 END) n
CROSS JOIN LATERAL (
  SELECT {pick(COUNTRIES)} AS country,
    random() < 0.88 AS noticed,
    random() < 0.04 AS gone_first,
    interval '1 hour' + exp(random() * ln(48)) * interval '30 minutes' AS notice_delay,
    exp(random() * ln(720)) * interval '1 hour' AS removal_delay,
    random() < 0.82 AS removed,
    n AS _n
) x
WHERE r.reference LIKE 'SIG-F-%%' AND r.outcome IN ('actionable', 'harmful')
"""

ITEMS_SQL = """
INSERT INTO hotline_contentitem (id, kind, url_index, canonical, domain_index,
  registrable_domain, state, first_reported_at, check_claim, consecutive_offline,
  last_check_result, removed_at, removal_confirmed_at)
SELECT item_id, 'url', md5('bench-item-' || item_id) || md5('i' || item_id),
  repeat('x', 120), md5('bench-domain-' || (item_id % 5000)), repeat('x', 60),
  CASE WHEN removed THEN 'removed' ELSE 'online' END, received_at, '', 0,
  CASE WHEN removed THEN 'offline' ELSE 'online' END, removed_at, removed_at + interval '8 hours'
FROM (
  SELECT *, CASE WHEN NOT removed THEN NULL
    WHEN gone_first OR NOT noticed THEN received_at + removal_delay / 10
    ELSE first_assessed_at + notice_delay + removal_delay END AS removed_at
  FROM bench_item
) i
ORDER BY item_id
"""

REPORTED_URLS_SQL = """
INSERT INTO hotline_reportedurl (submitted, position, content_item_id, report_id)
SELECT repeat('x', 120), position, item_id, report_id FROM bench_item ORDER BY item_id
"""

HOSTING_SQL = """
INSERT INTO hotline_hostingfacts (outcome, host, addresses, country, network_name,
  abuse_email, error_code, error, attempts, item_id, looked_up_at, queued_at)
SELECT CASE country WHEN '' THEN 'failed' ELSE 'found' END,
  'host' || (item_id % 5000) || '.example.net', '[]', country, '', '',
  CASE country WHEN '' THEN 'timeout' ELSE '' END, '', 1, item_id,
  first_assessed_at, first_assessed_at
FROM bench_item ORDER BY item_id
"""

# One dispatch per plan row: reports to the police (70 %) or the prosecutor (30 %) for most
# actionable reports, sent 10 minutes to 2 days after the first assessment; a notice per item
# (takedown to a host; partner hotline for CSAM abroad). Most acknowledged (1 hour to 14
# days after), the rest waiting (overdue once past the deadline) or, when old, closed
# without an acknowledgement.
DISPATCH_PLAN_SQL = """
CREATE TEMP TABLE bench_dispatch AS
SELECT %s + row_number() OVER (ORDER BY sent_at) AS dispatch_id, d.*,
  random() < 0.85 AS acknowledged,
  exp(random() * ln(336)) * interval '1 hour' AS ack_delay
FROM (
  SELECT report_id, NULL::bigint AS item_id,
    CASE WHEN random() < 0.7 THEN 'police' ELSE 'prosecutor' END AS kind,
    category = 'csam' AS csam,
    first_assessed_at + exp(random() * ln(288)) * interval '10 minutes' AS sent_at
  FROM (SELECT DISTINCT report_id, category, first_assessed_at FROM bench_item
        WHERE outcome = 'actionable') a
  WHERE random() < CASE WHEN category = 'csam' THEN 0.97 ELSE 0.85 END
UNION ALL
  SELECT report_id, item_id,
    CASE WHEN category = 'csam' AND country NOT IN ('RS', '') THEN 'partner_hotline'
      ELSE 'takedown' END,
    category = 'csam', first_assessed_at + notice_delay
  FROM bench_item WHERE noticed
) d
"""

INSTITUTIONS_SQL = """
INSERT INTO core_institution (name, name_en, kind, country, languages, intake_method,
  intake_email, website, network, notes, source, is_active, domains, networks)
SELECT 'Bench host ' || n, '', 'hosting_provider', (ARRAY['US','NL','DE','RS','RU'])[1 + mod(n, 5)],
  '["en"]', 'email', 'abuse' || n || '@example.org', '', '', '', 'bench', true, '[]', '[]'
FROM generate_series(1, 12) n
WHERE NOT EXISTS (SELECT 1 FROM core_institution WHERE source = 'bench')
"""

DISPATCHES_SQL = """
INSERT INTO hotline_dispatch (id, recipient, language, status, created_at, send_after,
  prepared_at, subject, body, message_id, sent_at, due_at, acknowledged_at, acknowledged_via,
  outcome, outcome_at, outcome_note, outcome_via, link_version, kind, csam, institution_id,
  reminder_count)
SELECT d.dispatch_id, repeat('x', 40), 'sr-latn',
  CASE WHEN d.acknowledged AND d.sent_at + d.ack_delay < now() THEN 'closed'
    WHEN d.sent_at < now() - interval '90 days' THEN 'closed' ELSE 'sent' END,
  d.sent_at - interval '1 minute', d.sent_at - interval '1 minute', d.sent_at,
  repeat('x', 80), repeat('x', 900), 'bench-' || d.dispatch_id || '@example.org', d.sent_at,
  d.sent_at + CASE WHEN d.kind IN ('police', 'prosecutor') THEN interval '72 hours'
    ELSE interval '48 hours' END,
  CASE WHEN d.acknowledged AND d.sent_at + d.ack_delay < now() THEN d.sent_at + d.ack_delay END,
  CASE WHEN d.acknowledged AND d.sent_at + d.ack_delay < now() THEN 'link' ELSE '' END,
  CASE WHEN d.acknowledged AND d.sent_at + d.ack_delay < now()
      THEN CASE WHEN d.item_id IS NULL THEN 'under_investigation' ELSE 'removed' END
    WHEN d.sent_at < now() - interval '90 days' THEN 'not_ours' ELSE '' END,
  CASE WHEN d.acknowledged AND d.sent_at + d.ack_delay < now() THEN d.sent_at + d.ack_delay
    WHEN d.sent_at < now() - interval '90 days' THEN d.sent_at + interval '90 days' END,
  '', CASE WHEN d.acknowledged OR d.sent_at < now() - interval '90 days' THEN 'link' ELSE '' END,
  1, d.kind, d.csam,
  CASE d.kind WHEN 'police' THEN %(police)s WHEN 'prosecutor' THEN %(prosecutor)s
    WHEN 'partner_hotline' THEN (%(hotlines)s::bigint[])[1 + d.dispatch_id %% %(n_hotlines)s]
    ELSE (%(hosts)s::bigint[])[1 + d.dispatch_id %% %(n_hosts)s] END,
  0
FROM bench_dispatch d
WHERE d.sent_at < now()
ORDER BY d.dispatch_id
"""

DISPATCH_REPORTS_SQL = """
INSERT INTO hotline_dispatch_reports (dispatch_id, report_id)
SELECT d.dispatch_id, d.report_id FROM bench_dispatch d
JOIN hotline_dispatch x ON x.id = d.dispatch_id ORDER BY d.dispatch_id
"""

# A report to the police lists the report's items; a notice its own one.
DISPATCH_ITEMS_SQL = """
INSERT INTO hotline_dispatchitem (position, content_item_id, dispatch_id, notified_at,
  left_out)
SELECT i.position, i.item_id, d.dispatch_id, d.sent_at, ''
FROM bench_dispatch d JOIN bench_item i
  ON i.report_id = d.report_id AND (d.item_id IS NULL OR i.item_id = d.item_id)
JOIN hotline_dispatch x ON x.id = d.dispatch_id
ORDER BY d.dispatch_id, i.position
"""

# Indexes kept while loading: the primary keys and what a constraint needs.
SECONDARY_INDEXES_SQL = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.tablename = %s AND NOT EXISTS (
  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname
)
"""


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SIGURNET_DEBUG", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "sigurnet.settings"
    import django

    django.setup()


FORWARDING_TABLES = (
    "hotline_contentitem",
    "hotline_reportedurl",
    "hotline_hostingfacts",
    "hotline_dispatch",
    "hotline_dispatch_reports",
    "hotline_dispatchitem",
)


def _drop_secondary_indexes(cursor, tables: tuple[str, ...]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    dropped = []
    for table in tables:
        cursor.execute(SECONDARY_INDEXES_SQL, [table])
        dropped += cursor.fetchall()
    for name, _definition in dropped:
        cursor.execute(f'DROP INDEX "{name}"')
    return dropped


def _next_id(cursor, table: str) -> int:  # type: ignore[no-untyped-def]
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])


def _set_sequence(cursor, table: str) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
    )


def fill(count: int) -> None:
    from django.db import connection

    from sigurnet.hotline.models import Report

    have = Report.objects.count()
    if have >= count:
        print(f"database holds {have} reports: not filling them")
        return
    print(f"filling {count - have} reports with their assessments ...")
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        dropped = _drop_secondary_indexes(cursor, ("hotline_report", "hotline_assessment"))
        print(f"  dropped {len(dropped)} secondary indexes ({time.monotonic() - t0:.0f} s)")
        cursor.execute(PLAN_SQL, [have, count - have])
        cursor.execute(REPORTS_SQL)
        print(f"  {count - have} reports ({time.monotonic() - t0:.0f} s)")
        # The join by reference needs its unique index, which a constraint keeps.
        cursor.execute(ASSESSMENTS_SQL)
        print(f"  {cursor.rowcount} assessments ({time.monotonic() - t0:.0f} s)")
        cursor.execute("DROP TABLE bench_plan")
        for _name, definition in dropped:
            cursor.execute(definition)
        print(f"  indexes built again ({time.monotonic() - t0:.0f} s)")
        # As autovacuum would by the time a million reports exist: the visibility map lets
        # the figures be index-only scans.
        cursor.execute("VACUUM ANALYZE hotline_report")
        cursor.execute("VACUUM ANALYZE hotline_assessment")
    print(f"filled in {time.monotonic() - t0:.0f} s")


def fill_forwarding() -> None:
    """The content items of the generated actionable and harmful reports, their hosting
    facts, removals, and the dispatches about them, unless the generated reports have any
    content item already (a database filled before keeps what it has)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM hotline_reportedurl u JOIN hotline_report r "
            "ON r.id = u.report_id WHERE r.reference LIKE 'SIG-F-%')"
        )
        if cursor.fetchone()[0]:
            print("generated reports have their content items and dispatches: not filling")
            return
        print("filling content items, hosting facts, removals and dispatches ...")
        t0 = time.monotonic()
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(INSTITUTIONS_SQL)
        cursor.execute("SELECT id FROM core_institution WHERE source = 'bench' ORDER BY id")
        hosts = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT id, kind FROM core_institution WHERE country = 'RS' "
            "AND kind IN ('police', 'prosecutor') ORDER BY id"
        )
        home = {kind: pk for pk, kind in reversed(cursor.fetchall())}
        cursor.execute(
            "SELECT id FROM core_institution WHERE kind = 'partner_hotline' "
            "AND country <> 'RS' ORDER BY id"
        )
        hotlines = [row[0] for row in cursor.fetchall()]
        dropped = _drop_secondary_indexes(cursor, FORWARDING_TABLES)
        cursor.execute(ITEM_PLAN_SQL, [_next_id(cursor, "hotline_contentitem")])
        cursor.execute(ITEMS_SQL)
        print(f"  {cursor.rowcount} content items ({time.monotonic() - t0:.0f} s)")
        cursor.execute(REPORTED_URLS_SQL)
        cursor.execute(HOSTING_SQL)
        print(f"  {cursor.rowcount} hosting facts ({time.monotonic() - t0:.0f} s)")
        cursor.execute(DISPATCH_PLAN_SQL, [_next_id(cursor, "hotline_dispatch")])
        cursor.execute(
            DISPATCHES_SQL,
            {
                "police": home["police"],
                "prosecutor": home["prosecutor"],
                "hotlines": hotlines,
                "n_hotlines": len(hotlines),
                "hosts": hosts,
                "n_hosts": len(hosts),
            },
        )
        print(f"  {cursor.rowcount} dispatches ({time.monotonic() - t0:.0f} s)")
        cursor.execute(DISPATCH_REPORTS_SQL)
        cursor.execute(DISPATCH_ITEMS_SQL)
        print(f"  {cursor.rowcount} dispatch items ({time.monotonic() - t0:.0f} s)")
        cursor.execute("DROP TABLE bench_item")
        cursor.execute("DROP TABLE bench_dispatch")
        for table in ("hotline_contentitem", "hotline_dispatch"):
            _set_sequence(cursor, table)
        for _name, definition in dropped:
            cursor.execute(definition)
        print(f"  indexes built again ({time.monotonic() - t0:.0f} s)")
        for table in FORWARDING_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"filled in {time.monotonic() - t0:.0f} s")


def supervisor_client():  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sigurnet.core.roles import sync_roles

    sync_roles()
    password = "bench-supervisor-password-1"
    user, _created = User.objects.get_or_create(
        username="bench-supervisor", defaults={"email": "bench-supervisor@example.org"}
    )
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name="Hotline supervisor"))
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    response = client.post("/staff/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.status_code
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/staff/login/verify/", {"token": code})
    assert response.status_code == 302, response.status_code
    return client


class QueryTimer:
    """Times every query of a request (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, *args)
        finally:
            self.queries.append(((time.perf_counter() - t0) * 1000, " ".join(sql.split())))


def backend_cpu_ms(pid: int) -> float:
    """CPU time (user + system) that the PostgreSQL backend ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(client, name: str, path: str, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """Wall time of ``repeat`` requests (p50, p95), and the CPU time they took: Django's (this
    process) and PostgreSQL's (the connection's backend). On a busy machine the wall time
    includes waiting for a core; the CPU time is what the request itself costs."""
    from django.db import connection

    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        response = client.get(path)  # warm up, and see where the time goes
    assert response.status_code == 200, (path, response.status_code)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    timings, django_cpu, database_cpu = [], [], []
    for _n in range(repeat):
        t0, c0, d0 = time.perf_counter(), time.process_time(), backend_cpu_ms(backend)
        response = client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        django_cpu.append((time.process_time() - c0) * 1000)
        database_cpu.append(backend_cpu_ms(backend) - d0)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    print(
        f"{name:<28} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   "
        f"CPU p50: Django {statistics.median(django_cpu):5.0f} ms, "
        f"PostgreSQL {statistics.median(database_cpu):5.0f} ms   n={repeat}"
    )
    database = sum(ms for ms, _sql in timer.queries)
    print(f"  one request: {len(timer.queries)} queries, {database:.0f} ms in the database")
    for ms, sql in sorted(timer.queries, reverse=True)[:4]:
        print(f"    {ms:7.1f} ms  {sql[:100]}")


def explain(name: str, period) -> None:  # type: ignore[no-untyped-def]
    """Each big selector alone on one connection (the page runs two at once, and the timer
    of ``measure`` sees only the request's connection), and the plan of the slowest query
    (``EXPLAIN ANALYZE``)."""
    from sigurnet.hotline import figures

    run = figures._query
    timed: list[tuple[float, str, str, Any]] = []

    def timing(sql: str, params: Any) -> list[tuple[Any, ...]]:
        t0 = time.perf_counter()
        try:
            return run(sql, params)
        finally:
            timed.append(((time.perf_counter() - t0) * 1000, selector, sql, params))

    figures._query = timing  # type: ignore[assignment]
    try:
        for selector in ("report_counts", "assessment_delays", "item_figures", "dispatch_figures"):
            t0 = time.perf_counter()
            getattr(figures, selector)(period)
            print(f"  {name}: {selector:<18} {(time.perf_counter() - t0) * 1000:7.1f} ms alone")
    finally:
        figures._query = run  # type: ignore[assignment]
    ms, selector, sql, params = max(timed, key=lambda row: row[0])
    print(f"  slowest query ({selector}, {ms:.0f} ms), EXPLAIN ANALYZE:")
    for (line,) in run("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params):
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also time each big selector alone and print the slowest query's plan",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database as it is, without checking or filling anything",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL URL")
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    if args.reuse:
        print("--reuse: measuring the database as it is")
    else:
        fill(args.reports)
        fill_forwarding()

    from sigurnet.hotline.models import Report

    client = supervisor_client()
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    print(f"{Report.objects.count()} reports; load average {os.getloadavg()[0]:.1f}")
    measure(client, "figures, last 12 months", "/staff/stats/hotline/", args.repeat)
    measure(
        client,
        "figures, one year",
        f"/staff/stats/hotline/?from={year_ago:%Y-%m-%d}&to={today:%Y-%m-%d}",
        args.repeat,
    )
    measure(client, "figures, all years", "/staff/stats/hotline/?all=1", args.repeat)
    measure(
        client,
        "CSV of one table, all years",
        "/staff/stats/hotline/?all=1&format=csv&table=outcomes",
        args.repeat,
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    if args.explain:
        from sigurnet.hotline import figures

        explain("one year", figures.Period(year_ago, today))
        explain("all years", figures.all_years())


if __name__ == "__main__":
    main()
