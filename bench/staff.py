"""Staff benchmark: the analysts' pages at /staff/hotline/ on a full PostgreSQL database.

Fills the database named by ``--database-url`` with generated reports (``--reports``, spread
over two years, with content items, assessments and messages) unless it already holds that
many, signs in as a hotline analyst (password and TOTP code, through the real sign-in pages),
and prints the server time (p50, p95 in ms) of: the queue's first page, page 2,000 of all
reports, the last page of the open ones, a filtered queue, a report's page, and the open
reports grouped by content item and by registrable domain. Requests go through Django's test
client in this process: the time is the server's (every middleware, the view, the queries, the
template), without a network. A database filled once is used again (filling 100,000 reports
takes one to two minutes); use a new database after changing the generator.

    SIGURNET_DEBUG=1 .venv/bin/python bench/staff.py \\
        --database-url postgres://postgres@127.0.0.1/sigurnet_staffbench --reports 100000

Generated people use @example.org; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

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
STATUSES = (
    ("received", 3),
    ("in_assessment", 2),
    ("needs_info", 2),
    ("assessed", 3),
    ("forwarded", 10),
    ("closed", 30),
    ("duplicate", 15),
    ("incomplete", 35),
)
CHANNELS = (("web", 60), ("email", 20), ("api", 15), ("phone", 5))
LANGUAGES = (("sr-latn", 55), ("sr", 10), ("bs", 25), ("en", 10))
PRIORITIES = (("high", 15), ("normal", 70), ("low", 15))
URLS_PER_REPORT = ((1, 80), (2, 15), (3, 5))
ASSESSED_STATUSES = ("assessed", "forwarded", "closed")
ANALYSTS = 8  # colleagues who hold reports (besides the analyst who signs in)
SITES = 3000  # registrable domains of the content items
BATCH = 5000
VIEWS = "first, all-deep, open-deep, filtered, report, items, domains"


def weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _w in table], weights=[w for _v, w in table])[0]


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SIGURNET_DEBUG", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "sigurnet.settings"
    import django

    django.setup()


def fill(count: int, seed: int) -> None:
    """Generate ``count`` reports unless the database already holds that many.

    Like a centre's two years: one to three addresses per report (a second one often on the
    same site), a content item shared by about five reports, an assessment with its priority
    for the assessed, forwarded and closed ones, analysts holding the reports in assessment, and
    a conversation with the reporter on about one report in twelve.
    """
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from sigurnet.core.crypto import blind_index
    from sigurnet.core.roles import sync_roles
    from sigurnet.hotline.models import Assessment, ContentItem, Message, Report, ReportedURL

    have = Report.objects.count()
    if have >= count:
        print(f"database holds {have} reports: not filling")
        return
    rng = random.Random(seed)
    sync_roles()
    analysts = []
    for n in range(1, ANALYSTS + 1):
        user, _created = User.objects.get_or_create(
            username=f"bench-colleague-{n}", defaults={"email": f"bench-colleague-{n}@example.org"}
        )
        user.groups.add(Group.objects.get(name="Hotline analyst"))
        analysts.append(user.pk)
    items_wanted = max(count // 5, 1)
    start_items = ContentItem.objects.count()
    print(f"filling {count - have} reports, {max(items_wanted - start_items, 0)} items ...")
    t0 = time.monotonic()
    with transaction.atomic():
        new_items = [
            ContentItem(
                url_index=blind_index(f"https://site{n % SITES}.example.com/p/{n}", "url"),
                canonical=f"https://site{n % SITES}.example.com/p/{n}",
                domain_index=blind_index(f"site{n % SITES}.example.com", "domain"),
                registrable_domain=f"site{n % SITES}.example.com",
            )
            for n in range(start_items, items_wanted)
        ]
        ContentItem.objects.bulk_create(new_items, batch_size=BATCH)
        # Items by creation order: item n is on site n % SITES.
        item_ids = list(ContentItem.objects.order_by("id").values_list("id", flat=True))

    def addresses() -> list[int]:
        first = rng.randrange(len(item_ids))
        chosen = [first]
        for _extra in range(weighted(rng, URLS_PER_REPORT) - 1):
            if rng.random() < 0.5:  # another page of the same site
                same_site = range(first % SITES, len(item_ids), SITES)
                chosen.append(rng.choice(same_site))
            else:
                chosen.append(rng.randrange(len(item_ids)))
        return [item_ids[n] for n in dict.fromkeys(chosen)]

    for offset in range(have, count, BATCH):
        size = min(BATCH, count - offset)
        with transaction.atomic():
            reports = []
            for n in range(size):
                status = weighted(rng, STATUSES)
                assessed = status in ASSESSED_STATUSES
                held = status in ("in_assessment", "needs_info") or (
                    status == "assessed" and rng.random() < 0.5
                )
                reports.append(
                    Report(
                        reference=f"SIG-B-{offset + n:07d}",
                        receipt_index=blind_index(f"bench-{seed}-{offset + n}", "receipt"),
                        channel=weighted(rng, CHANNELS),
                        language=weighted(rng, LANGUAGES),
                        category=weighted(rng, CATEGORIES),
                        status=status,
                        priority=weighted(rng, PRIORITIES) if assessed else "",
                        assignee_id=rng.choice(analysts) if held else None,
                        description="Generated report for the staff benchmark.",
                    )
                )
            Report.objects.bulk_create(reports, batch_size=BATCH)
            ReportedURL.objects.bulk_create(
                (
                    ReportedURL(
                        report=r,
                        content_item_id=item,
                        submitted="https://example.com/x",
                        position=position,
                    )
                    for r in reports
                    for position, item in enumerate(addresses())
                ),
                batch_size=BATCH,
            )
            Assessment.objects.bulk_create(
                (
                    Assessment(
                        report=r,
                        analyst_id=rng.choice(analysts),
                        outcome="not_actionable",
                        priority=r.priority,
                        category_before=r.category,
                        category=r.category,
                    )
                    for r in reports
                    if r.status in ASSESSED_STATUSES
                ),
                batch_size=BATCH,
            )
            messages = []
            for r in reports:
                if r.status == "needs_info" or rng.random() < 0.05:
                    messages.append(Message(report=r, direction="hotline", body="Question?"))
                    if rng.random() < 0.5:
                        messages.append(Message(report=r, direction="reporter", body="Answer."))
            Message.objects.bulk_create(messages, batch_size=BATCH)
        print(f"  {offset + size} reports ({time.monotonic() - t0:.0f} s)")
    with connection.cursor() as cursor:
        # Spread over two years (auto_now_add set them all to now) in the order they were
        # written, as reports arrive: the newest are together at the end of the table, as in a
        # centre's database. Some share a second. The hotline writes a day after receipt, the
        # reporter answers a day later.
        cursor.execute(
            "UPDATE hotline_report SET received_at = date_trunc('second', now() "
            "- interval '730 days' * (1 - (id - span.first)::float / span.size) "
            "- random() * interval '2 hours') "
            "FROM (SELECT min(id) AS first, max(id) - min(id) + 1 AS size FROM hotline_report) "
            "AS span"
        )
        cursor.execute(
            "UPDATE hotline_report SET claimed_at = received_at + interval '1 hour' "
            "WHERE assignee_id IS NOT NULL"
        )
        cursor.execute(
            "UPDATE hotline_message m SET created_at = r.received_at + CASE m.direction "
            "WHEN 'hotline' THEN interval '1 day' ELSE interval '2 days' END "
            "FROM hotline_report r WHERE r.id = m.report_id"
        )
        # As autovacuum would by the time 100,000 reports exist: the visibility map lets the
        # counts be index-only scans.
        cursor.execute("VACUUM ANALYZE hotline_report")
        cursor.execute("ANALYZE")
    print(f"filled in {time.monotonic() - t0:.0f} s")


def analyst_client():  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sigurnet.core.roles import sync_roles

    sync_roles()
    password = "bench-analyst-password-1"
    user, _created = User.objects.get_or_create(
        username="bench-analyst", defaults={"email": "bench-analyst@example.org"}
    )
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name="Hotline analyst"))
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    response = client.post("/staff/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.status_code
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/staff/login/verify/", {"token": code})
    assert response.status_code == 302, response.status_code
    return client


def timed(client, paths: list[str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Server times in ms of ``repeat`` requests, going through ``paths`` in turn."""
    timings = []
    for n in range(repeat):
        path = paths[n % len(paths)]
        t0 = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return timings


def summary(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<30} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   "
        f"n={len(ordered)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40, help="requests per view and round")
    parser.add_argument("--rounds", type=int, default=1, help="measure every view this often")
    parser.add_argument(
        "--only", default="", help="comma-separated view names to measure (default: all): " + VIEWS
    )
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL URL")
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(VIEWS.split(", ")):
        parser.error(f"--only takes some of: {VIEWS}")
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fill(args.reports, args.seed)

    from sigurnet.hotline.models import Report
    from sigurnet.hotline.triage import selectors

    client = analyst_client()
    ordered = Report.objects.filter(status__in=selectors.OPEN_STATUSES).order_by(
        "-urgent", "received_at", "id"
    )
    open_count = ordered.count()
    page = min(2000, max(open_count // selectors.PAGE_SIZE - 1, 1))
    # Setup only: find the cursor of page N once (with OFFSET); the pages themselves never do.
    deep = ordered[page * selectors.PAGE_SIZE - 1]
    all_ordered = Report.objects.order_by("-urgent", "received_at", "id")
    total = all_ordered.count()
    all_page = min(2000, max(total // selectors.PAGE_SIZE - 1, 1))
    deep_all = all_ordered[all_page * selectors.PAGE_SIZE - 1]
    references = list(Report.objects.order_by("?").values_list("reference", flat=True)[:50])
    views = {
        "first": ("queue, first page", ["/staff/hotline/"]),
        "all-deep": (
            f"queue (all), page {all_page + 1} of {-(-total // selectors.PAGE_SIZE)}",
            [f"/staff/hotline/?status=all&after={selectors.Cursor.of(deep_all).token()}"],
        ),
        "open-deep": (
            f"queue (open), page {page + 1} of {-(-open_count // selectors.PAGE_SIZE)}",
            [f"/staff/hotline/?after={selectors.Cursor.of(deep).token()}"],
        ),
        "filtered": (
            "queue filtered",
            ["/staff/hotline/?status=all&category=hate_speech&channel=email&language=bs"],
        ),
        "report": ("report page", [f"/staff/hotline/{ref}/" for ref in references]),
        "items": ("grouped by item", ["/staff/hotline/items/"]),
        "domains": ("grouped by domain", ["/staff/hotline/domains/"]),
    }
    print(f"{total} reports, {open_count} open; load average {os.getloadavg()[0]:.2f}")
    chosen = {key: view for key, view in views.items() if not only or key in only}
    for _name, paths in chosen.values():
        client.get(paths[0])  # warm up
    every: dict[str, list[float]] = {key: [] for key in chosen}
    # With several rounds every view is measured a little in each, so that load from other
    # processes on the machine spreads over all views alike.
    for n in range(args.rounds):
        if args.rounds > 1:
            print(f"round {n + 1} of {args.rounds} (load average {os.getloadavg()[0]:.2f})")
        for key, (name, paths) in chosen.items():
            timings = timed(client, paths, args.repeat)
            every[key] += timings
            print(summary(name, timings))
    if args.rounds > 1:
        print(f"all {args.rounds} rounds:")
        for key, (name, _paths) in chosen.items():
            print(summary(name, every[key]))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
