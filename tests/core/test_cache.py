"""One Redis connection pool per process, however many cache objects Django makes."""

from __future__ import annotations

import os
import socket
import threading

from sigurnet.core.cache import SharedPoolRedisCache
from tests.conftest import skip_unless_ci

REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_cache_objects_in_different_threads_share_one_client():
    if not redis_answers():
        skip_unless_ci("needs Redis on 127.0.0.1:6379")
    clients = []

    def make() -> None:
        cache = SharedPoolRedisCache(REDIS, {"KEY_PREFIX": "sigurnet-test"})
        cache.set("shared", "yes", 5)
        clients.append((cache._cache, cache.get("shared")))

    threads = [threading.Thread(target=make) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [value for _client, value in clients] == ["yes"] * 3
    assert len({id(client) for client, _value in clients}) == 1
