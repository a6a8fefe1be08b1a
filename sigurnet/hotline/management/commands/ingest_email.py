"""``python -m sigurnet ingest_email``: turn e-mails to the hotline into reports.

Run it from cron or a systemd timer (every minute or so). It is safe to run again, and two
runs at once file nothing twice. Handled messages are removed from the mailbox.
"""

from __future__ import annotations

import imaplib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigurnet.hotline.email_intake import (
    Counts,
    IntakeError,
    check_maildir,
    create_maildir,
    ingest_imap,
    ingest_maildir,
    parse_imap_url,
)


class Command(BaseCommand):
    help = (
        "Read e-mails from a Maildir or an IMAP(S) mailbox and file each as a hotline report "
        "(or hold it for a person). Reads SIGURNET_INTAKE_MAILDIR / SIGURNET_INTAKE_IMAP_URL "
        "unless --maildir or --imap is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--maildir", metavar="PATH", help="a Maildir (with new/ and cur/)")
        source.add_argument(
            "--imap",
            metavar="URL",
            help="imaps://user:password@host:993/INBOX (or imap://...[?starttls=yes])",
        )
        parser.add_argument(
            "--limit", type=int, metavar="N", help="file or hold at most N messages in this run"
        )
        parser.add_argument(
            "--create-maildir",
            action="store_true",
            help="create the Maildir (cur/, new/, tmp/, mode 0700) if it does not exist yet",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be 1 or more")
        maildir = options["maildir"] or ""
        imap_url = options["imap"] or ""
        if not maildir and not imap_url:
            maildir = str(getattr(settings, "SIGURNET_INTAKE_MAILDIR", "") or "")
            imap_url = str(getattr(settings, "SIGURNET_INTAKE_IMAP_URL", "") or "")
        if not maildir and not imap_url:
            raise CommandError(
                "No mailbox to read: set SIGURNET_INTAKE_MAILDIR or SIGURNET_INTAKE_IMAP_URL, "
                "or pass --maildir or --imap."
            )
        try:  # a wrong mailbox is an error before anything is read or counted
            if maildir and options["create_maildir"]:
                create_maildir(maildir)
            elif maildir:
                check_maildir(maildir)
            if imap_url:
                parse_imap_url(imap_url)
        except IntakeError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"The Maildir could not be created: {exc.strerror}") from exc
        cafile = str(getattr(settings, "SIGURNET_INTAKE_IMAP_CAFILE", "") or "") or None
        counts = Counts()
        try:
            if maildir:
                counts.merge(ingest_maildir(maildir, limit=limit))
            if imap_url:
                remaining = None if limit is None else limit - counts.handled
                if remaining is None or remaining > 0:
                    counts.merge(ingest_imap(imap_url, cafile=cafile, limit=remaining))
        except IntakeError as exc:
            self._summary(counts)  # what an earlier mailbox of this run handled
            raise CommandError(str(exc)) from exc
        except (OSError, imaplib.IMAP4.error) as exc:  # connection lost mid-run
            self._summary(counts)
            raise CommandError(f"The mailbox could not be read: {type(exc).__name__}") from exc
        self._summary(counts)
        problems = []
        if counts.failed:
            problems.append(
                f"{counts.failed} message(s) could not be handled; they stay unread in the "
                "mailbox for the next run"
            )
        if counts.unremoved:
            problems.append(
                f"{counts.unremoved} handled message(s) could not be removed from the mailbox; "
                "they will be skipped, but remove them"
            )
        if problems:
            raise CommandError("; ".join(problems) + " (see the log).")

    def _summary(self, counts: Counts) -> None:
        self.stdout.write(
            f"Reports filed: {counts.filed}. Held for a person: {counts.held}. "
            f"Skipped (already ingested): {counts.skipped}."
            + (f" Replies added to reports: {counts.replied}." if counts.replied else "")
            + (
                f" Replies to dispatches kept: {counts.dispatch_replied}."
                if counts.dispatch_replied
                else ""
            )
        )
