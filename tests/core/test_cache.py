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


def test_many_commands_from_many_threads_use_one_client_and_few_connections():
    if not redis_answers():
        skip_unless_ci("needs Redis on 127.0.0.1:6379")
    cache = SharedPoolRedisCache(REDIS, {"KEY_PREFIX": "sigurnet-test-few"})
    cache.set("counted", 0, 30)

    def work() -> None:
        for _ in range(100):
            cache.get("counted")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client = cache._cache
    assert client.get_client() is client.get_client(write=True)
    pool = client.get_client().connection_pool
    # One connection per thread at most, not one per command.
    assert len(pool._available_connections) + len(pool._in_use_connections) <= 4
