"""Database sessions with a lighter write.

Every step of the report form saves the session. Django's database store saves through
``Model.save()`` inside a transaction: a ``BEGIN``, an ``UPDATE`` and a ``COMMIT``, with the
model machinery around them. An update of an existing session is a single statement, so this
store sends just that ``UPDATE`` (atomic on its own), and a new session is one ``INSERT``
without first asking whether its random key is taken. Everything else is Django's: sessions
still live in the database, so an outage of Redis does not take the report form down, and
nothing in them is lost when a worker restarts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        # Django first asks the database whether a new random key is taken. A new session is
        # stored with an INSERT that must create its row, and a taken key makes that INSERT fail
        # and ``create()`` draw another, so the question is not needed.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None or must_create:
            super().save(must_create=must_create)
            return
        this: Any = self  # Django's private API, unknown to the type stubs
        data = this._get_session(no_load=False)
        updated = self.model.objects.filter(session_key=self.session_key).update(
            session_data=self.encode(data), expire_date=self.get_expiry_date()
        )
        if not updated:
            # The session was deleted meanwhile (signed out in another tab, or expired and
            # cleared): Django's store raises the same, and the middleware answers with an error
            # instead of silently creating a new session.
            raise UpdateError
