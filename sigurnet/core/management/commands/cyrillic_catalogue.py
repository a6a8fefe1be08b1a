"""Generate the Serbian Cyrillic gettext catalogue from the Serbian Latin one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigurnet.core.script import transliterate_catalogue


def _default_locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


class Command(BaseCommand):
    help = (
        "Write the Serbian Cyrillic catalogue (sr) by transliterating the Serbian Latin one "
        "(sr_Latn). Run compilemessages afterwards."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="Serbian Latin .po file (default: LOCALE_PATHS[0]/sr_Latn/LC_MESSAGES/django.po)",
        )
        parser.add_argument(
            "--target",
            type=Path,
            default=None,
            help="Serbian Cyrillic .po file to write (default: LOCALE_PATHS[0]/sr/LC_MESSAGES/"
            "django.po)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["source"] or _default_locale_dir() / "sr_Latn/LC_MESSAGES/django.po"
        target: Path = options["target"] or _default_locale_dir() / "sr/LC_MESSAGES/django.po"
        if not source.is_file():
            raise CommandError(f"Source catalogue not found: {source}")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            count = transliterate_catalogue(source, target)
        except ValueError as error:
            raise CommandError(f"{source}: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} translated messages to {target}"))
