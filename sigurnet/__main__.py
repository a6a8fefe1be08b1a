"""``python -m sigurnet <command>``: Django's management commands for Sigurnet."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigurnet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sigurnet", *sys.argv[1:]])


if __name__ == "__main__":
    main()
