"""The near cache answers from the process only while Redis holds the same values."""
from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import redis

from marketplace.core.cache import CachedResponse, cached_response, invalidate, store_response, tenant_scope
from marketplace.core.near_cache import NearCache

MAX_AGE_SECONDS = 1


@pytest.fixture
def redis_url(redis_server):
    return redis_server.url


@pytest.fixture
def other_process_client(redis_url):
    """A plain connection of its own: writes as another gunicorn worker or a job would."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def near(redis_url, other_process_client):
    cache = NearCache(redis_url)
    yield cache
    cache.forget_everything()


def mget_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))


def write_in_a_child_process(redis_url: str, key: str, value: str) -> None:
    redis.Redis.from_url(redis_url).set(key, value)


def test_values_read_once_are_then_served_without_asking_redis(near, other_process_client):
    other_process_client.mset({"generation": "3", "entry": "body"})
    near.mget(["generation", "entry"])
    calls_after_first_read = mget_calls(other_process_client)

    values = [near.mget(["generation", "entry"]) for _ in range(50)]

    assert values == [[b"3", b"body"]] * 50
    assert mget_calls(other_process_client) == calls_after_first_read


def read_until(near: NearCache, key: str, expected: bytes, within_seconds: float = 1.0) -> bool:
    """Whether `near` serves `expected` for `key` within the time (Redis's message is a few microseconds behind)."""
    deadline = time.monotonic() + within_seconds
    while near.mget([key]) != [expected]:
        if time.monotonic() > deadline:
            return False
    return True


def test_a_write_by_another_connection_reaches_the_held_value(near, other_process_client):
    other_process_client.set("generation", 0)
    for expected in range(1, 301):
        near.mget(["generation"])
        other_process_client.incr("generation")

        assert read_until(near, "generation", str(expected).encode())


def test_writes_through_the_cache_module_are_seen_by_the_very_next_read_in_this_process(app):
    # The writing process forgets what it wrote: no wait for Redis's message at all.
    scope = tenant_scope(7)
    for _ in range(300):
        lookup = cached_response((scope,), "detail")
        store_response(lookup, CachedResponse([("Content-Type", "application/json")], b"{}"))
        assert cached_response((scope,), "detail").response is not None

        invalidate(scope)

        assert cached_response((scope,), "detail").response is None


def test_a_write_by_another_process_is_seen_by_the_next_read(near, other_process_client, redis_url):
    other_process_client.set("entry", "old")
    assert near.mget(["entry"]) == [b"old"]

    child = multiprocessing.get_context("spawn").Process(target=write_in_a_child_process,
                                                         args=(redis_url, "entry", "new"))
    child.start()
    child.join(30)

    assert child.exitcode == 0
    assert read_until(near, "entry", b"new")


def test_missing_keys_are_held_too_and_their_creation_is_seen(near, other_process_client):
    assert near.mget(["entry"]) == [None]

    other_process_client.set("entry", "stored later")

    assert read_until(near, "entry", b"stored later")


def test_expiry_and_deletion_reach_the_held_values(near, other_process_client):
    other_process_client.set("doomed", "x")
    near.mget(["doomed"])

    other_process_client.delete("doomed")

    assert read_until(near, "doomed", None)


def test_flushing_the_database_drops_everything_held(near, other_process_client):
    other_process_client.mset({"a": "1", "b": "2"})
    near.mget(["a", "b"])

    other_process_client.flushdb()

    assert read_until(near, "a", None)
    assert near.mget(["a", "b"]) == [None, None]


def test_a_lost_connection_drops_the_held_values_instead_of_serving_them_stale(near, other_process_client):
    other_process_client.set("entry", "before")
    near.mget(["entry"])
    other_process_client.client_kill_filter(_type="normal", skipme=True)
    other_process_client.set("entry", "after")  # no invalidation can reach the killed connection

    answers = []
    for _ in range(2):
        try:
            answers.append(near.mget(["entry"]))
        except redis.ConnectionError:
            answers.append("error")

    assert [b"before"] not in answers
    assert answers[-1] == [b"after"]


def test_only_the_most_recently_used_entries_are_held(redis_url, other_process_client):
    cache = NearCache(redis_url, max_entries=3)
    other_process_client.mset({f"key-{number}": number for number in range(5)})

    for number in range(5):
        cache.mget([f"key-{number}"])

    assert cache.size == 3
    calls = mget_calls(other_process_client)
    cache.mget(["key-4"])
    assert mget_calls(other_process_client) == calls
    cache.mget(["key-0"])
    assert mget_calls(other_process_client) == calls + 1


class SilentlyDroppingProxy:
    """A TCP relay to Redis that, when Redis closes a connection, keeps the client's side open and mute.

    What an idle drop by a NAT or a failover looks like to the client: no
    error, no close, just nothing more ever arriving.
    """

    def __init__(self, redis_url: str):
        parts = urlsplit(redis_url)
        self._upstream = parts.path if parts.scheme == "unix" else (parts.hostname, parts.port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"
        self.upstream_closed = threading.Event()
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            if isinstance(self._upstream, str):
                upstream = socket.socket(socket.AF_UNIX)
                upstream.connect(self._upstream)
            else:
                upstream = socket.create_connection(self._upstream)
            self._sockets += [downstream, upstream]
            threading.Thread(target=self._relay, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self._relay, args=(upstream, downstream, self.upstream_closed),
                             daemon=True).start()

    @staticmethod
    def _relay(source: socket.socket, target: socket.socket, on_close: threading.Event | None = None) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                if on_close is not None:
                    on_close.set()  # and leave `target` open: the client learns nothing
                return
            try:
                target.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def proxy(redis_url):
    relay = SilentlyDroppingProxy(redis_url)
    yield relay
    relay.close()


def test_a_silently_dead_tracking_connection_serves_nothing_older_than_the_maximum_age(proxy, other_process_client):
    near = NearCache(proxy.url, max_age_seconds=MAX_AGE_SECONDS, socket_timeout=MAX_AGE_SECONDS)
    other_process_client.set("entry", "before")
    assert near.mget(["entry"]) == [b"before"]
    # Every tracking connection (earlier tests' near caches may linger): ours is among them.
    for client in other_process_client.client_list():
        if "t" in client["flags"]:
            other_process_client.client_kill_filter(_id=client["id"])
    assert proxy.upstream_closed.wait(5)
    changed_at = time.monotonic()
    other_process_client.set("entry", "after")  # no invalidation can reach the dead connection

    answers = []
    while time.monotonic() - changed_at < 3 * MAX_AGE_SECONDS:
        try:
            answers.append((time.monotonic() - changed_at, near.mget(["entry"])))
        except redis.ConnectionError:
            answers.append((time.monotonic() - changed_at, "error"))
        time.sleep(0.01)

    stale_for = max((elapsed for elapsed, answer in answers if answer == [b"before"]), default=0)
    assert stale_for <= MAX_AGE_SECONDS
    assert answers[-1][1] == [b"after"]


def test_a_live_connection_keeps_serving_held_values_past_the_liveness_checks(redis_url, other_process_client):
    near = NearCache(redis_url, max_age_seconds=MAX_AGE_SECONDS)
    other_process_client.set("entry", "value")
    near.mget(["entry"])
    calls = mget_calls(other_process_client)

    deadline = time.monotonic() + 0.8 * MAX_AGE_SECONDS
    while time.monotonic() < deadline:
        assert near.mget(["entry"]) == [b"value"]
        time.sleep(0.05)

    assert mget_calls(other_process_client) == calls
    time.sleep(0.3 * MAX_AGE_SECONDS)
    assert near.mget(["entry"]) == [b"value"]
    assert mget_calls(other_process_client) == calls + 1  # read again once older than the maximum age
