"""The figures page runs its big selectors on two connections at once (on PostgreSQL, outside
a transaction), and one after the other inside one: each way every figure is the same."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from sigurnet.hotline import figures
from sigurnet.stats import hotline as hotline_figures
from tests.stats.test_dispatch_figures import forwarded  # noqa: F401 (the fixture)
from tests.stats.test_hotline_figures import QUARTER_PERIOD, hotline  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="two connections at once: PostgreSQL only"
    ),
]


def tables_of(period: figures.Period) -> dict[str, Any]:
    return {
        figure.table.name: figure.table.csv_text() for figure in hotline_figures.build_all(period)
    }


def spy_on_threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Which thread asked each big selector."""
    threads: dict[str, int] = {}
    for name in ("report_counts", "assessment_delays", "item_figures", "dispatch_figures"):
        selector = getattr(figures, name)

        def spy(period: figures.Period, _name: str = name, _selector: Any = selector) -> Any:
            threads[_name] = threading.get_ident()
            return _selector(period)

        monkeypatch.setattr(figures, name, spy)
    return threads


def test_the_page_asks_the_dispatches_on_a_second_connection_with_the_same_figures(
    forwarded,  # noqa: F811
    monkeypatch,
):
    with transaction.atomic():  # one connection: the reference
        serial = tables_of(QUARTER_PERIOD)
    threads = spy_on_threads(monkeypatch)
    assert tables_of(QUARTER_PERIOD) == serial
    here = threading.get_ident()
    assert threads["item_figures"] == threads["report_counts"] == here
    assert threads["dispatch_figures"] == threads["assessment_delays"] != here
    assert serial["dispatch_delays"].count("\n") == 4  # a header and three measures


def test_inside_a_transaction_the_figures_see_its_rows(forwarded, monkeypatch):  # noqa: F811
    before = tables_of(QUARTER_PERIOD)
    threads = spy_on_threads(monkeypatch)
    with transaction.atomic():
        for report in forwarded.values():
            report.dispatches.all().delete()
        inside = tables_of(QUARTER_PERIOD)
        transaction.set_rollback(True)
    # Without its dispatches (not committed yet), no report of the period was dispatched.
    assert inside["dispatch_delays"] != before["dispatch_delays"]
    assert inside["inhope"] != before["inhope"]
    assert set(threads.values()) == {threading.get_ident()}
