import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sigurnet.core.crypto import blind_index
from sigurnet.core.models import Institution
from sigurnet.hotline.models import PartnerToken


class Command(BaseCommand):
    help = "Create an API token for a trusted flagger (partner institution). Shown once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("institution_id", type=int)
        parser.add_argument("name", help="What the token is for, e.g. 'Intake system 2026'")
        parser.add_argument("--per-minute", type=int, default=600)

    def handle(self, *args: Any, **options: Any) -> None:
        institution = Institution.objects.filter(pk=options["institution_id"]).first()
        if institution is None:
            raise CommandError("No institution with that id.")
        token = secrets.token_urlsafe(32)
        PartnerToken.objects.create(
            institution=institution,
            name=options["name"],
            token_index=blind_index(token, "api-token"),
            reports_per_minute=options["per_minute"],
        )
        self.stdout.write(f"Token for {institution}: {token}")
        self.stdout.write("It is shown only now; Sigurnet keeps only a keyed hash of it.")
