"""Re-check benchmark: 10,000 content items of forwarded reports checked against a loopback server.

Starts an HTTP server on 127.0.0.1 (threads, in this process) that answers ``HEAD`` for
``/p/N``: 200, or 404 for every tenth item (optionally after ``--latency-ms``, to stand in for
servers far away). Fills the PostgreSQL database named by ``--database-url`` with ``--items``
forwarded reports, one item each, pointing at that server (and ``--unforwarded`` items of
closed reports, which are not checked but are in the way of the query that finds due items),
then runs the beat task's work (``hotline.forwarding.checks.run_due_checks``) once and prints
how long it took, the checks per second, and the time of a second run that finds nothing due.

    .venv/bin/python bench/recheck.py \\
        --database-url postgres://postgres@127.0.0.1/sigurnet_recheckbench --items 10000

Use a database of its own: the benchmark's reports (references ``SIG-RC-...``) and items are
deleted and made again at each start. Traffic goes to 127.0.0.1 only; the run is bounded by
``--time-limit`` and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BATCH = 2000


def start_server(latency: float) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self) -> None:
            if latency:
                time.sleep(latency)
            number = int(self.path.rsplit("/", 1)[-1] or 0)
            self.send_response(404 if number % 10 == 0 else 200)
            self.send_header("Content-Length", "12345")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the default (5) drops connections under 32 at once

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SIGURNET_DEBUG", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    # The server under test is on loopback, which production refuses to check.
    os.environ["SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "sigurnet.settings"
    import django

    django.setup()


def fill(items: int, port: int, unforwarded: int) -> None:
    from django.db import transaction

    from sigurnet.core.crypto import blind_index
    from sigurnet.hotline.models import ContentCheck, ContentItem, Report, ReportedURL

    old = Report.objects.filter(reference__startswith="SIG-RC-")
    old_items = ContentItem.objects.filter(reports__in=old)
    item_ids = list(old_items.values_list("pk", flat=True))
    old.delete()
    ContentCheck.objects.filter(item_id__in=item_ids).delete()
    ContentItem.objects.filter(pk__in=item_ids).delete()
    t0 = time.monotonic()
    total = items + unforwarded
    for offset in range(0, total, BATCH):
        size = min(BATCH, total - offset)
        with transaction.atomic():
            urls = [f"http://127.0.0.1:{port}/p/{offset + n}" for n in range(size)]
            made = ContentItem.objects.bulk_create(
                ContentItem(
                    url_index=blind_index(f"{url}#{time.time_ns()}", "url"),
                    canonical=url,
                    domain_index=blind_index("127.0.0.1", "domain"),
                )
                for url in urls
            )
            reports = Report.objects.bulk_create(
                Report(
                    reference=f"SIG-RC-{offset + n:07d}",
                    receipt_index=blind_index(f"recheck-{time.time_ns()}-{offset + n}", "receipt"),
                    channel="web",
                    language="sr-latn",
                    category="phishing_fraud",
                    # The first ``items`` are forwarded; the rest are closed (never checked), as
                    # most items in a real database are.
                    status="forwarded" if offset + n < items else "closed",
                )
                for n in range(size)
            )
            ReportedURL.objects.bulk_create(
                ReportedURL(report=r, content_item=i, submitted=i.canonical)
                for r, i in zip(reports, made, strict=True)
            )
    print(
        f"filled {items} forwarded and {unforwarded} closed reports with an item each "
        f"in {time.monotonic() - t0:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument(
        "--unforwarded", type=int, default=50_000, help="items of closed reports (not checked)"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=int, default=0, help="server delay per answer")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds, at most")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL URL")
    server, port = start_server(args.latency_ms / 1000)
    try:
        setup_django(args.database_url)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from sigurnet.hotline.forwarding import checks

        call_command("migrate", verbosity=0)
        fill(args.items, port, args.unforwarded)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE hotline_contentitem, hotline_reportedurl, hotline_report")
        interval = settings.SIGURNET_CHECK_INTERVAL_MINUTES
        print(
            f"checking {args.items} items, {args.concurrency} at a time, server latency "
            f"{args.latency_ms} ms (interval {interval} min) ..."
        )
        t0 = time.monotonic()
        counts = checks.run_due_checks(concurrency=args.concurrency, time_limit=args.time_limit)
        elapsed = time.monotonic() - t0
        print(
            f"first run: {counts['claimed']} checked in {elapsed:.1f} s "
            f"({counts['claimed'] / elapsed:.0f} checks/s): {counts['online']} online, "
            f"{counts['offline']} offline, {counts['error']} errors"
        )
        print(f"  = {100 * elapsed / (interval * 60):.1f} % of the {interval}-minute interval")
        t0 = time.monotonic()
        again = checks.run_due_checks(concurrency=args.concurrency, time_limit=args.time_limit)
        print(
            f"second run at once: {again['claimed']} due, {1000 * (time.monotonic() - t0):.0f} ms"
        )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
