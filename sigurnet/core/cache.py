"""A Redis cache whose connection pool and client are shared by a whole process.

Django makes a cache object per thread or async context, and with it a new Redis connection
pool: under ASGI that meant a new Redis connection for nearly every request. Django's client
also builds a new ``redis.Redis`` object for every command; one per pool is enough (redis-py's
client is thread-safe: each command borrows a connection from the pool).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self
        index = this._get_connection_pool_index(write)
        client = self._redis_clients.get(index)
        if client is None:
            client = this._client(connection_pool=this._get_connection_pool(write))
            self._redis_clients[index] = client
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        this: Any = self
        this._class = SharedClientRedisCacheClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        this: Any = self  # Django's private attributes, unknown to the type stubs
        key = (tuple(this._servers), tuple(sorted(this._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = this._class(this._servers, **this._options)
                _clients[key] = client
        return client
