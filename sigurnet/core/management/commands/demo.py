from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sigurnet.core.demo import DEMO_PASSWORD, create_demo_data
from sigurnet.hotline.demo import demo_report_count


class Command(BaseCommand):
    help = "Create demo data and print demo staff logins (quick start only: DEBUG must be on)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create demo accounts: DEBUG is off, so this looks like production."
            )
        logins = create_demo_data()
        base = options["base_url"].rstrip("/")
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Sigurnet demo is ready."))
        out.write(f"  Public site:  {base}/en/   {base}/sr-latn/   {base}/sr/   {base}/bs/")
        out.write(
            f"  Staff login:  {base}/staff/login/   (password for every demo account: "
            f"{DEMO_PASSWORD})"
        )
        out.write("  Every staff login asks for a TOTP code: add the secret to an authenticator")
        out.write("  app, or print the current code with: python -m sigurnet totp_code USERNAME")
        out.write("")
        out.write(f"  {'role':<22}{'username':<16}TOTP secret")
        for login in logins:
            out.write(f"  {login.role:<22}{login.username:<16}{login.totp_secret}")
        out.write("")
        out.write(
            f"  Hotline: {demo_report_count()} demo reports for the analysts' queue at "
            f"{base}/staff/hotline/"
        )
        out.write("")
