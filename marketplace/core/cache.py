"""Read-through cache of hot reads in Redis, invalidated by generation counters.

Every key carries the tenant it belongs to (or `market` for marketplace-wide
reads); each entry is stored with the generation of its scope at the time it
was computed:

    cache:tenant:42:product:mug-blue       "7:{...}"   one seller's product detail
    cache:market:category-path:12          "93:[...]"  a category's path from the root

Invalidating a scope increments its generation, so every entry of the old one
is stale at once; nothing is scanned or deleted. A read fetches the
generations and the entries it needs in one round trip (MGET) and uses an
entry only if its generation is current. Invalidation runs after the commit
(`UnitOfWork.after_commit`), so a reader can never cache data of a transaction
that has not committed yet. The TTL is the safety net should Redis miss an
increment.

Whole responses of the public reads are cached the same way
(`cached_response`, `store_response`), stamped with the generations of every
scope they depend on: the scopes the view names up front, and those its
computation recorded (`depend_on`) because only it knows them (the sellers a
listing page shows, say). A recorded scope's generation is read before the
data it guards, so a change committed in between makes the entry stale
rather than stamping old data with a new generation. Their lookups go through the process's near cache
(`marketplace.core.near_cache`): a hit costs no round trip, and Redis's
invalidation messages keep it exactly as current as Redis.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import orjson
from redis import RedisError

from marketplace.core.extensions import redis_client

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300
MARKET_SCOPE = "market"


def tenant_scope(tenant_id: int) -> str:
    return f"tenant:{int(tenant_id)}"


def product_scope(tenant_id: int, product_id: int) -> str:
    """One product of a tenant: what a listing page showing it depends on (any change of it bumps it)."""
    return f"tenant:{int(tenant_id)}:product:{int(product_id)}"


def seller_face_scope(tenant_id: int) -> str:
    """What pages showing a seller's products show of the seller itself (its name)."""
    return f"tenant:{int(tenant_id)}:face"


def cached(scope: str, name: str, compute: Callable[[], Any], ttl_seconds: int = DEFAULT_TTL_SECONDS) -> Any:
    """Return the JSON-able value cached under (scope, name), computing and storing it on a miss.

    Redis trouble never fails a read: the value is then computed every time.
    """
    return cached_many((scope, name, compute), ttl_seconds=ttl_seconds)[0]


def cached_many(*lookups: tuple[str, str, Callable[[], Any]], ttl_seconds: int = DEFAULT_TTL_SECONDS) -> list[Any]:
    """`cached` for several (scope, name, compute) at once: when all are hits, one round trip in all."""
    scopes = list(dict.fromkeys(scope for scope, _, _ in lookups))
    keys = [f"cache:{scope}:{name}" for scope, name, _ in lookups]
    client = redis_client.client
    try:
        replies = client.mget([_generation_key(scope) for scope in scopes] + keys)
    except RedisError:
        log.warning("cache unavailable; computing %s", ", ".join(keys))
        return [compute() for _, _, compute in lookups]
    generations = {scope: int(reply or 0) for scope, reply in zip(scopes, replies)}
    values: list[Any] = []
    new_entries: dict[str, bytes] = {}
    for (scope, _, compute), key, entry in zip(lookups, keys, replies[len(scopes):]):
        generation = generations[scope]
        value = _current_value(entry, generation)
        if value is _MISS:
            value = compute()
            # A reader that raced an invalidation stores its entry under the old
            # generation: the next read sees the mismatch and computes afresh.
            new_entries[key] = f"{generation}:".encode() + orjson.dumps(value, default=str)
        values.append(value)
    if new_entries:
        _store(new_entries, ttl_seconds)
    return values


_MISS = object()


def _current_value(entry: bytes | None, generation: int) -> Any:
    """The value of a stored entry if it was computed in `generation`, else _MISS."""
    if entry is None:
        return _MISS
    entry_generation, _, value = entry.partition(b":")
    return orjson.loads(value) if int(entry_generation) == generation else _MISS


def _store(entries: dict[str, bytes], ttl_seconds: int) -> None:
    try:
        with redis_client.client.pipeline(transaction=False) as pipe:
            for key, entry in entries.items():
                pipe.set(key, entry, ex=ttl_seconds)
            pipe.execute()
    except RedisError:
        log.warning("cache unavailable; not storing %s", ", ".join(entries))
    redis_client.near_cache.forget(list(entries))


def invalidate(*scopes: str) -> None:
    """Make every cached value of these scopes stale."""
    generation_keys = [_generation_key(scope) for scope in scopes]
    try:
        with redis_client.client.pipeline(transaction=False) as pipe:
            for key in generation_keys:
                pipe.incr(key)
            pipe.execute()
    except RedisError:
        log.error("cache invalidation of %s failed; entries expire by TTL", ", ".join(scopes))
    redis_client.near_cache.forget(generation_keys)


@dataclass
class RecordedDependencies:
    """The scopes a computation said it depends on, at the generations read before it used their data."""

    generations: dict[str, int] = field(default_factory=dict)
    complete: bool = True  # False once Redis failed to answer: such a result must not be stored


_recording: ContextVar[RecordedDependencies | None] = ContextVar("cache_dependencies", default=None)


@contextmanager
def recording_dependencies() -> Iterator[RecordedDependencies]:
    """Collect what `depend_on` records while the block computes a value."""
    recorded = RecordedDependencies()
    token = _recording.set(recorded)
    try:
        yield recorded
    finally:
        _recording.reset(token)


def depend_on(*scopes: str) -> None:
    """Record that the value being computed depends on these scopes; call it BEFORE reading what they guard.

    Outside `recording_dependencies` (nothing will be cached), it does nothing.
    """
    recorded = _recording.get()
    if recorded is None:
        return
    # The first generation read of a scope is the safe one to keep: it is the oldest.
    new_scopes = [scope for scope in dict.fromkeys(scopes) if scope not in recorded.generations]
    if not new_scopes:
        return
    try:
        replies = redis_client.near_cache.mget([_generation_key(scope) for scope in new_scopes])
    except RedisError:
        recorded.complete = False
        return
    recorded.generations.update({scope: int(reply or 0) for scope, reply in zip(new_scopes, replies)})


@dataclass(frozen=True)
class CachedResponse:
    """A response's headers and body as the view built them, stamped with its scopes' generations."""

    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class ResponseLookup:
    """What `cached_response` found: the response if current, and the generations to store a new one under."""

    key: str
    generations: tuple[int, ...] | None
    response: CachedResponse | None


def cached_response(scopes: tuple[str, ...], name: str) -> ResponseLookup:
    """The response cached under (scopes[0], name) if every scope's generation is still the one it was stored in.

    Both the named scopes and those recorded in the entry are checked: one
    round trip for the named ones and the entry, a second for the recorded
    ones (both usually answered by the near cache). `generations` is None
    when Redis is unavailable: then nothing is stored.
    """
    key = f"cache:{scopes[0]}:response:{name}"
    try:
        keys = [_generation_key(scope) for scope in scopes] + [key]
        *generation_replies, entry = redis_client.near_cache.mget(keys)
        generations = tuple(int(reply or 0) for reply in generation_replies)
        if entry is None:
            return ResponseLookup(key, generations, None)
        stamp, recorded, headers, body = entry.split(b"\n", 3)
        if stamp != _stamp(generations) or not _recorded_are_current(orjson.loads(recorded)):
            return ResponseLookup(key, generations, None)
    except RedisError:
        log.warning("cache unavailable; computing %s", key)
        return ResponseLookup(key, None, None)
    return ResponseLookup(key, generations, CachedResponse([tuple(pair) for pair in orjson.loads(headers)], body))


def _recorded_are_current(recorded: dict[str, int]) -> bool:
    if not recorded:
        return True
    replies = redis_client.near_cache.mget([_generation_key(scope) for scope in recorded])
    return all(int(reply or 0) == generation for reply, generation in zip(replies, recorded.values()))


def store_response(lookup: ResponseLookup, response: CachedResponse,
                   recorded: RecordedDependencies | None = None, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
    """Store a response computed after `lookup` under the generations it saw, and those it `recorded`.

    A reader that raced an invalidation stores under the old generations, so
    the next read sees the mismatch and computes afresh.
    """
    recorded = recorded or RecordedDependencies()
    if lookup.generations is None or not recorded.complete:
        return
    # JSON escapes newlines, so the first three newlines end the stamp, the recorded scopes and the headers.
    entry = b"\n".join((_stamp(lookup.generations), orjson.dumps(recorded.generations),
                        orjson.dumps(response.headers), response.body))
    _store({lookup.key: entry}, ttl_seconds)


def _stamp(generations: tuple[int, ...]) -> bytes:
    return ",".join(map(str, generations)).encode()


def _generation_key(scope: str) -> str:
    return f"cache:{scope}:generation"
