from typing import Any

from django.core.management.base import BaseCommand

from sigurnet.core.rotation import reencrypt_all, reseal_sessions


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value with the newest key (the first of "
        "SIGURNET_DATA_KEYS): database columns, evidence files and the sealed values in "
        "sessions (report drafts). Safe to interrupt and run again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        for result in reencrypt_all(batch_size=options["batch_size"]):
            self.stdout.write(
                f"{result.table}.{result.column}: {result.rewritten} re-encrypted, "
                f"{result.current} already current"
            )
        from sigurnet.hotline.evidence import reencrypt_files

        rewritten, current = reencrypt_files()
        self.stdout.write(f"evidence files: {rewritten} re-encrypted, {current} already current")
        sessions = reseal_sessions(batch_size=options["batch_size"])
        if sessions is None:
            self.stdout.write("sessions: not kept in the database, not re-encrypted")
        else:
            self.stdout.write(
                f"sessions: {sessions.rewritten} re-encrypted, {sessions.current} already current"
            )
        self.stdout.write(self.style.SUCCESS("Done. Older keys can now be removed."))
