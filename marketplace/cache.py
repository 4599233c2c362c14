"""Read-through cache of hot reads in Redis, invalidated by generation counters.

Every key carries the tenant it belongs to (or `market` for marketplace-wide
reads); each entry is stored with the generation of its scope at the time it
was computed:

    cache:tenant:42:product:mug-blue       "7:{...}"   one seller's product detail
    cache:market:listing:<hash of query>   "93:[...]"  the marketplace listing

Invalidating a scope increments its generation, so every entry of the old one
is stale at once; nothing is scanned or deleted. A read fetches the
generations and the entries it needs in one round trip (MGET) and uses an
entry only if its generation is current. Invalidation runs after the commit
(`UnitOfWork.after_commit`), so a reader can never cache data of a transaction
that has not committed yet. The TTL is the safety net should Redis miss an
increment.

Whole responses of the public reads are cached the same way
(`cached_response`, `store_response`), stamped with the generations of every
scope they depend on. Their lookups go through the process's near cache
(`marketplace.near_cache`): a hit costs no round trip, and Redis's
invalidation messages keep it exactly as current as Redis.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Callable

import orjson
from redis import RedisError

from marketplace.extensions import redis_client

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300
MARKET_SCOPE = "market"


def tenant_scope(tenant_id: int) -> str:
    return f"tenant:{int(tenant_id)}"


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


def query_name(prefix: str, parameters: dict[str, Any]) -> str:
    """A short stable cache name for a query's parameters."""
    canonical = orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS, default=str)
    return f"{prefix}:{hashlib.sha256(canonical).hexdigest()[:32]}"


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

    One round trip. `generations` is None when Redis is unavailable: then nothing is stored.
    """
    key = f"cache:{scopes[0]}:response:{name}"
    try:
        keys = [_generation_key(scope) for scope in scopes] + [key]
        *generation_replies, entry = redis_client.near_cache.mget(keys)
    except RedisError:
        log.warning("cache unavailable; computing %s", key)
        return ResponseLookup(key, None, None)
    generations = tuple(int(reply or 0) for reply in generation_replies)
    if entry is None:
        return ResponseLookup(key, generations, None)
    stamp, headers, body = entry.split(b"\n", 2)
    if stamp != _stamp(generations):
        return ResponseLookup(key, generations, None)
    return ResponseLookup(key, generations, CachedResponse([tuple(pair) for pair in orjson.loads(headers)], body))


def store_response(lookup: ResponseLookup, response: CachedResponse, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
    """Store a response computed after `lookup` under the generations it saw.

    A reader that raced an invalidation stores under the old generations, so
    the next read sees the mismatch and computes afresh.
    """
    if lookup.generations is None:
        return
    # JSON escapes newlines, so the first two newlines end the stamp and the headers.
    entry = b"\n".join((_stamp(lookup.generations), orjson.dumps(response.headers), response.body))
    _store({lookup.key: entry}, ttl_seconds)


def _stamp(generations: tuple[int, ...]) -> bytes:
    return ",".join(map(str, generations)).encode()


def _generation_key(scope: str) -> str:
    return f"cache:{scope}:generation"
