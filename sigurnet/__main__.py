"""``python -m sigurnet <command>``: Django's management commands for Sigurnet.

Commands speak to the operator, not to reporters: they run in the language of the operator's
locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) when it is one of the site's languages, else in
English, whatever ``SIGURNET_DEFAULT_LANGUAGE`` (the site's default for visitors) says. Anything
a command sends to reporters or staff picks its language itself (``translation.override``).
"""

import os
import sys


def operator_language(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """The site language that matches the operator's locale, or ``en``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        code, _, modifier = value.partition("@")
        language = code.split(".")[0].split("_")[0].lower()
        if language == "sr":
            return "sr-latn" if modifier.lower() == "latin" else "sr"
        if language == "bs":
            return "bs"
        return "en"
    return "en"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigurnet.settings")
    from django.apps import apps
    from django.core.management import BaseCommand, ManagementUtility
    from django.utils import translation

    class Utility(ManagementUtility):
        def fetch_command(self, subcommand: str) -> BaseCommand:
            command = super().fetch_command(subcommand)
            if apps.ready:  # settings loaded; translations can be activated
                translation.activate(operator_language())
            return command

    Utility(["sigurnet", *sys.argv[1:]]).execute()


if __name__ == "__main__":
    main()
