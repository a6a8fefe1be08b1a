"""Seed data for the institutions registry (sigurnet/core/data/institutions.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_FILE = Path(__file__).resolve().parent / "data" / "institutions.json"


def read_seed(path: Path = SEED_FILE) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


INSTITUTION_FIELDS = (
    "name_en",
    "kind",
    "country",
    "languages",
    "intake_method",
    "intake_email",
    "website",
    "network",
    "notes",
    "source",
)
CONTACT_FIELDS = ("role", "email", "phone", "languages", "is_primary")


def load_institutions(institution_model: Any, contact_model: Any) -> tuple[int, int]:
    """Add the seed's institutions that are missing; return (added, already present).

    Takes model classes so that a data migration can pass its historical models. An
    institution that exists (same country and name) is left exactly as an administrator
    edited it.
    """
    added = present = 0
    for entry in read_seed():
        defaults = {field: entry.get(field, "") for field in INSTITUTION_FIELDS}
        defaults["languages"] = entry.get("languages", [])
        institution, created = institution_model.objects.get_or_create(
            country=entry["country"], name=entry["name"], defaults=defaults
        )
        if not created:
            present += 1
            continue
        added += 1
        for contact in entry.get("contacts", []):
            contact_model.objects.create(
                institution=institution,
                name=contact["name"],
                **{
                    field: contact.get(field, [] if field == "languages" else "")
                    for field in CONTACT_FIELDS
                    if field != "is_primary"
                },
                is_primary=bool(contact.get("is_primary", False)),
            )
    return added, present
