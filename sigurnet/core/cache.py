"""A Redis cache whose connection pool is shared by a whole process.

Django makes a cache object per thread or async context, and with it a new Redis connection
pool: under ASGI that meant a new Redis connection for nearly every request.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
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
