"""The session store: sessions in the database, each step's save a single UPDATE."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sigurnet.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_is_read_back_from_the_database():
    store = SessionStore()
    store["draft"] = "something typed"
    store.save()
    assert Session.objects.filter(session_key=store.session_key).exists()

    again = SessionStore(store.session_key)
    assert again["draft"] == "something typed"
    again["draft"] = "changed"
    again.save()
    assert SessionStore(store.session_key)["draft"] == "changed"


def test_saving_an_existing_session_is_one_statement():
    store = SessionStore()
    store["step"] = 1
    store.save()
    store = SessionStore(store.session_key)
    store.load()
    store["step"] = 2
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["UPDATE"]


def test_saving_a_session_deleted_meanwhile_is_refused():
    store = SessionStore()
    store["draft"] = "x"
    store.save()
    Session.objects.filter(session_key=store.session_key).delete()  # signed out elsewhere
    store["draft"] = "y"
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


def test_a_new_key_that_is_taken_is_replaced_and_the_other_session_is_untouched(
    monkeypatch: Any,
):
    first = SessionStore()
    first["owner"] = "first"
    first.save()
    keys = iter([first.session_key, "a" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))

    second = SessionStore()
    second["owner"] = "second"
    second.save()

    assert second.session_key == "a" * 32
    assert SessionStore(first.session_key)["owner"] == "first"
    assert SessionStore("a" * 32)["owner"] == "second"
