from typing import Any

from django.core.management.base import BaseCommand

from sigurnet.core.rotation import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value with the newest key (the first of "
        "SIGURNET_DATA_KEYS). Safe to interrupt and run again."
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
        self.stdout.write(self.style.SUCCESS("Done. Older keys can now be removed."))
