from typing import Any

from django.core.management.base import BaseCommand

from sigurnet.core.models import ContactPerson, Institution
from sigurnet.core.seed import load_institutions


class Command(BaseCommand):
    help = "Add the seed institutions that are missing; never overwrites edited ones."

    def handle(self, *args: Any, **options: Any) -> None:
        added, present = load_institutions(Institution, ContactPerson)
        self.stdout.write(f"Institutions added: {added}; already present: {present}")
