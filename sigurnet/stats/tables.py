"""A figure's numbers as a table: shown beside its chart and exported as CSV.

A ``Table`` holds the values once, already rounded; the page formats them for the reader's
language (``display_rows``: grouped digits, decimal comma, month names) and the CSV writes
the same values plainly (``csv_text``: ``1234``, ``12.5``, ``2026-03``), so that the CSV is
the table, row by row and number by number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.functional import Promise


class Kind:
    """How a column's values are written."""

    LABEL = "label"  # text (a category, an outcome, a measure)
    MONTH = "month"  # the first day of a month
    COUNT = "count"  # a whole number
    SHARE = "share"  # a percentage, one decimal
    HOURS = "hours"  # a duration in hours, one decimal


NUMERIC = frozenset({Kind.COUNT, Kind.SHARE, Kind.HOURS})
# Shares and hours are rounded to this many decimals, for the page and the CSV alike.
DECIMALS = 1


@dataclass(frozen=True)
class Column:
    label: str | Promise
    kind: str = Kind.LABEL

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass(frozen=True)
class Table:
    """``name`` is stable (``?format=csv&table=NAME``); ``rows`` hold one value per column:
    str, date (months), int, float (already rounded) or None (nothing to show)."""

    name: str
    caption: str | Promise
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    def display_rows(self) -> list[list[str]]:
        """The rows as the page shows them, in the active language."""
        return [
            [display(column, value) for column, value in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]

    def csv_text(self) -> str:
        """The table as CSV: a header of the column labels, then the rows, values plain."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([str(column.label) for column in self.columns])
        for row in self.rows:
            writer.writerow(
                [plain(column, value) for column, value in zip(self.columns, row, strict=True)]
            )
        return out.getvalue()


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, rounded; None when there is no whole."""
    return round(100 * part / whole, DECIMALS) if whole else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, DECIMALS)


def display(column: Column, value: Any) -> str:
    if value is None:
        return "—"
    if column.kind == Kind.MONTH:
        return date_format(value, "YEAR_MONTH_FORMAT")
    if column.kind == Kind.COUNT:
        return number_format(value, force_grouping=True)
    if column.kind in (Kind.SHARE, Kind.HOURS):
        return number_format(value, DECIMALS, force_grouping=True)
    return str(value)


def plain(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == Kind.MONTH and isinstance(value, date):
        return f"{value:%Y-%m}"
    if column.kind in (Kind.SHARE, Kind.HOURS):
        return f"{value:.{DECIMALS}f}"
    return str(value)


def month_label(month: date) -> str:
    """A month as a chart's axis shows it, in the active language ("Mar 2026")."""
    return date_format(month, "M Y")


def columns(*spec: tuple[str | Promise, str]) -> tuple[Column, ...]:
    return tuple(Column(label, kind) for label, kind in spec)


def rows(values: Sequence[Sequence[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in values)
