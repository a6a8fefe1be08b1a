"""Key rotation: rewrite ciphertexts under the newest data key (columns and sessions)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection, transaction
from django.utils import timezone

from sigurnet.core import crypto
from sigurnet.core.fields import encrypted_fields


@dataclass(frozen=True)
class RotationResult:
    table: str
    column: str
    rewritten: int
    current: int


def reencrypt_all(batch_size: int = 500) -> Iterator[RotationResult]:
    """Re-encrypt every stored ciphertext that is not under the current key.

    Works on raw column values (never through model save, so nothing else changes). Each row
    is updated only if it still holds the ciphertext that was read, so a concurrent edit is
    never overwritten; running it again finishes whatever an interrupted run left.
    """
    current_id = crypto.current_key_id()
    current_prefix = f"{crypto.PREFIX}:{current_id}:"
    quote = connection.ops.quote_name
    for model, field in encrypted_fields():
        table, column = model._meta.db_table, str(field.column)
        pk = str(model._meta.pk.column)  # type: ignore[union-attr]
        rewritten = 0
        last_pk = None
        while True:
            with connection.cursor() as cursor:
                sql = (
                    f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)} "  # noqa: S608
                    f"WHERE {quote(column)} LIKE %s AND {quote(column)} NOT LIKE %s"
                )
                params: list[str | int] = [f"{crypto.PREFIX}:%", current_prefix + "%"]
                if last_pk is not None:
                    sql += f" AND {quote(pk)} > %s"
                    params.append(last_pk)
                sql += f" ORDER BY {quote(pk)} LIMIT %s"
                params.append(batch_size)
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            if not rows:
                break
            with transaction.atomic(), connection.cursor() as cursor:
                for row_pk, old in rows:
                    new = crypto.encrypt(crypto.decrypt(old))
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {quote(column)} = %s "  # noqa: S608
                        f"WHERE {quote(pk)} = %s AND {quote(column)} = %s",
                        [new, row_pk, old],
                    )
                    rewritten += cursor.rowcount
            last_pk = rows[-1][0]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {quote(table)} WHERE {quote(column)} LIKE %s",  # noqa: S608
                [current_prefix + "%"],
            )
            current = cursor.fetchone()[0]
        yield RotationResult(table, column, rewritten, current - rewritten)


def _reseal(value: Any, current_prefix: str) -> tuple[Any, bool]:
    """``value`` with every ciphertext in it re-encrypted under the current key."""
    if isinstance(value, str):
        if not crypto.is_ciphertext(value) or value.startswith(current_prefix):
            return value, False
        try:
            return crypto.encrypt(crypto.decrypt(value)), True
        except crypto.DecryptionError:
            # Under a key already removed: unreadable in any case, and a session is not worth
            # stopping the rotation for. The page that reads it deals with it.
            return value, False
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            out[key], item_changed = _reseal(item, current_prefix)
            changed = changed or item_changed
        return out, changed
    if isinstance(value, list):
        pairs = [_reseal(item, current_prefix) for item in value]
        return [item for item, _ in pairs], any(changed for _, changed in pairs)
    return value, False


def _holds_ciphertext(value: Any) -> bool:
    if isinstance(value, str):
        return crypto.is_ciphertext(value)
    if isinstance(value, dict):
        return any(_holds_ciphertext(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_ciphertext(item) for item in value)
    return False


def reseal_sessions(batch_size: int = 500) -> RotationResult | None:
    """Re-encrypt the sealed values kept in unexpired sessions (the report form's draft and its
    confirmation) under the current key.

    Any session value that is a ciphertext is resealed, whatever its name, so that a new sealed
    value in the session needs no change here. A session is rewritten only if it still holds
    the data that was read: a reporter who saves a step meanwhile already saved under the new
    key. Expired sessions are left for ``clearsessions``. Returns None when sessions are not
    kept in the database (nothing here can reach them).
    """
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not issubclass(store_class, DatabaseSessionStore):
        return None
    model = store_class.get_model_class()
    current_prefix = f"{crypto.PREFIX}:{crypto.current_key_id()}:"
    rewritten = current = 0
    last_key = ""
    while True:
        rows = list(
            model.objects.filter(session_key__gt=last_key, expire_date__gt=timezone.now())
            .order_by("session_key")
            .values_list("session_key", "session_data")[:batch_size]
        )
        if not rows:
            break
        for session_key, data in rows:
            store = store_class(session_key)
            values = store.decode(data)
            resealed, changed = _reseal(values, current_prefix)
            if not changed:
                current += _holds_ciphertext(values)
                continue
            rewritten += model.objects.filter(session_key=session_key, session_data=data).update(
                session_data=store.encode(resealed)
            )
        last_key = rows[-1][0]
    return RotationResult(model._meta.db_table, "session_data", rewritten, current)
