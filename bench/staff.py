"""Staff benchmark: the analysts' pages at /staff/hotline/ on a full PostgreSQL database.

Fills the database named by ``--database-url`` with generated reports (``--reports``, spread
over two years, with content items and assessments) unless it already holds that many, signs in
as a hotline analyst (password and TOTP code, through the real sign-in pages), and prints the
server time (p50, p95 in ms) of: the queue's first page, page 2,000, a filtered queue, and a
report's page. Requests go through Django's test client in this process: the time is the
server's (every middleware, the view, the queries, the template), without a network.

    SIGURNET_DEBUG=1 .venv/bin/python bench/staff.py \\
        --database-url postgres://postgres@127.0.0.1/sigurnet_staffbench --reports 100000

Generated people use @example.org; nothing leaves the machine. The queue's grouping by item is
not there yet (issue 13), so it is not measured.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

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
BATCH = 5000


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
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
    from django.db import connection, transaction

    from sigurnet.core.crypto import blind_index
    from sigurnet.hotline.models import Assessment, ContentItem, Report, ReportedURL

    have = Report.objects.count()
    if have >= count:
        print(f"database holds {have} reports: not filling")
        return
    rng = random.Random(seed)
    items_wanted = max(count // 5, 1)
    start_items = ContentItem.objects.count()
    print(f"filling {count - have} reports, {max(items_wanted - start_items, 0)} items ...")
    t0 = time.monotonic()
    with transaction.atomic():
        new_items = [
            ContentItem(
                url_index=blind_index(f"https://site{n % 3000}.example.com/p/{n}", "url"),
                canonical=f"https://site{n % 3000}.example.com/p/{n}",
                domain_index=blind_index(f"site{n % 3000}.example.com", "domain"),
                registrable_domain=f"site{n % 3000}.example.com",
            )
            for n in range(start_items, items_wanted)
        ]
        ContentItem.objects.bulk_create(new_items, batch_size=BATCH)
        item_ids = list(ContentItem.objects.values_list("id", flat=True))
    for offset in range(have, count, BATCH):
        size = min(BATCH, count - offset)
        with transaction.atomic():
            reports = [
                Report(
                    reference=f"SIG-B-{offset + n:07d}",
                    receipt_index=blind_index(f"bench-{seed}-{offset + n}", "receipt"),
                    channel=weighted(rng, CHANNELS),
                    language=weighted(rng, LANGUAGES),
                    category=weighted(rng, CATEGORIES),
                    status=weighted(rng, STATUSES),
                    description="Generated report for the staff benchmark.",
                )
                for n in range(size)
            ]
            Report.objects.bulk_create(reports, batch_size=BATCH)
            ReportedURL.objects.bulk_create(
                (
                    ReportedURL(
                        report=r,
                        content_item_id=rng.choice(item_ids),
                        submitted="https://example.com/x",
                    )
                    for r in reports
                ),
                batch_size=BATCH,
            )
            Assessment.objects.bulk_create(
                (
                    Assessment(
                        report=r,
                        outcome="not_actionable",
                        category_before=r.category,
                        category=r.category,
                    )
                    for r in reports
                    if r.status in ("assessed", "forwarded", "closed")
                ),
                batch_size=BATCH,
            )
        print(f"  {offset + size} reports ({time.monotonic() - t0:.0f} s)")
    with connection.cursor() as cursor:
        # Spread over two years (auto_now_add set them all to now); some share a microsecond.
        cursor.execute(
            "UPDATE hotline_report SET received_at = date_trunc('second', now() - "
            "random() * interval '730 days')"
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


def measure(client, name: str, paths: list[str], repeat: int) -> None:  # type: ignore[no-untyped-def]
    timings = []
    for n in range(repeat):
        path = paths[n % len(paths)]
        t0 = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    print(f"{name:<28} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   n={repeat}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL URL")
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
    deep = ordered.filter(status__in=selectors.OPEN_STATUSES)[page * selectors.PAGE_SIZE - 1]
    all_ordered = Report.objects.order_by("-urgent", "received_at", "id")
    total = all_ordered.count()
    all_page = min(2000, max(total // selectors.PAGE_SIZE - 1, 1))
    deep_all = all_ordered[all_page * selectors.PAGE_SIZE - 1]
    references = list(Report.objects.order_by("?").values_list("reference", flat=True)[:50])
    print(
        f"{total} reports, {open_count} open; page {page} of the open queue, page {all_page} of all"
    )
    client.get("/staff/hotline/")  # warm up
    measure(client, "queue, first page", ["/staff/hotline/"], args.repeat)
    measure(
        client,
        f"queue (all), page {all_page}",
        [f"/staff/hotline/?status=all&after={selectors.Cursor.of(deep_all).token()}"],
        args.repeat,
    )
    measure(
        client,
        f"queue (open), page {page}",
        [f"/staff/hotline/?after={selectors.Cursor.of(deep).token()}"],
        args.repeat,
    )
    measure(
        client,
        "queue filtered",
        ["/staff/hotline/?status=all&category=hate_speech&channel=email&language=bs"],
        args.repeat,
    )
    measure(client, "report page", [f"/staff/hotline/{ref}/" for ref in references], args.repeat)


if __name__ == "__main__":
    main()
