"""Model fields whose values are encrypted in the database (see ``core.crypto``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Lookup

from sigurnet.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored as AES-GCM ciphertext. Python code sees plaintext.

    Only ``isnull`` look-ups are allowed: an equality filter against ciphertext could never
    match, so it is refused instead of silently finding nothing. For equality, store a blind
    index (``crypto.blind_index``) in a separate column.
    An empty string is stored as an empty string, so that "no value" needs no key.
    """

    description = "Text encrypted at rest"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name != "isnull":
            raise TypeError(
                f"{self.name} is encrypted: filter on its blind index, not '{lookup_name}'"
            )
        return super().get_lookup(lookup_name)


class EncryptedCharField(EncryptedTextField):
    """A short encrypted value (a phone number, an e-mail address); renders as a text input."""

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) pair in the project that stores encrypted text."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return found
