"""The deployment profile is read once per few seconds per process, and changes show."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sigurnet.core import selectors
from sigurnet.core.models import DeploymentProfile
from sigurnet.core.selectors import DEFAULT_PROFILE, PROFILE_CACHE_KEY, get_profile
from sigurnet.core.services import save_profile

pytestmark = pytest.mark.django_db


def test_an_administrators_change_shows_on_the_next_page_in_this_process(client: Any):
    assert "Centar Jedan" not in client.get("/en/").content.decode()
    save_profile(DeploymentProfile(pk=1, **{**DEFAULT_PROFILE, "centre_name": "Centar Jedan"}))
    assert "Centar Jedan" in client.get("/en/").content.decode()


def test_a_change_made_by_another_process_shows_within_the_memo_time(monkeypatch: Any):
    clock = [1000.0]
    monkeypatch.setattr(selectors, "monotonic", lambda: clock[0])
    assert get_profile().centre_name == "Sigurnet"

    # Another process saves the profile: the database and the shared cache change, not this
    # process's memory.
    DeploymentProfile.objects.update_or_create(pk=1, defaults={"centre_name": "Centar Dva"})
    cache.delete(PROFILE_CACHE_KEY)

    clock[0] += selectors.PROFILE_MEMO_SECONDS / 2
    assert get_profile().centre_name == "Sigurnet"
    clock[0] += selectors.PROFILE_MEMO_SECONDS
    assert get_profile().centre_name == "Centar Dva"


def test_pages_do_not_query_the_profile_on_every_request(client: Any):
    client.get("/en/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/en/")
    assert not [q for q in queries.captured_queries if "core_deploymentprofile" in q["sql"]]
