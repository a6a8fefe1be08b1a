"""Key rotation: rewrite ciphertexts under the newest data key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

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
