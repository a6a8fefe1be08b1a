"""Figures benchmark: the hotline's figures page (/staff/stats/hotline/) on a full database.

Fills the PostgreSQL database named by ``--database-url`` with ``--reports`` generated
reports (default 1,000,000) received over five years, in time order as a real hotline's, with
their assessments (5 % assessed twice, actionable CSAM confirmed by a second analyst), unless
it already holds that many. The rows are written by ``INSERT ... SELECT generate_series`` in
SQL, not through the ORM, with the secondary indexes dropped during the load and built again
after it (minutes instead of hours). Then it signs in as a hotline supervisor (password and
TOTP code, through the real sign-in pages) and prints the server time (p50, p95 in ms) of the
figures page for the last year and for all years, and where one request of each spends its
time in the database.

    SIGURNET_DEBUG=1 .venv/bin/python bench/figures.py \\
        --database-url postgres://postgres@127.0.0.1/sigurnet_figuresbench --reports 1000000

Requests go through Django's test client in this process: the time is the server's (every
middleware, the view, the queries, the template, the charts), without a network. Generated
people use @example.org; nothing leaves the machine. Dispatches, hosting facts and removals
are not generated yet (their figures are not on the page yet).
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


def fill(count: int) -> None:
    from django.db import connection

    from sigurnet.hotline.models import Report

    have = Report.objects.count()
    if have >= count:
        print(f"database holds {have} reports: not filling")
        return
    print(f"filling {count - have} reports with their assessments ...")
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        dropped = []
        for table in ("hotline_report", "hotline_assessment"):
            cursor.execute(SECONDARY_INDEXES_SQL, [table])
            dropped += cursor.fetchall()
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
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


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL URL")
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    fill(args.reports)

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


if __name__ == "__main__":
    main()
