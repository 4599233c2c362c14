"""Read-through cache of hot reads in Redis, invalidated by generation counters.

Every key carries the tenant it belongs to (or `market` for marketplace-wide
reads) and that scope's generation number:

    cache:tenant:42:g7:product:mug-blue      one seller's product detail
    cache:market:g93:listing:<hash of query>  the marketplace listing

Invalidating a scope increments its generation, so every key of the old one
is unreachable at once and expires by its TTL; nothing is scanned or deleted.
Invalidation runs after the commit (`UnitOfWork.after_commit`), so a reader
can never cache data of a transaction that has not committed yet. The TTL is
the safety net should Redis miss an increment.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Callable

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
    client = redis_client.client
    try:
        generation = int(client.get(_generation_key(scope)) or 0)
        key = f"cache:{scope}:g{generation}:{name}"
        hit = client.get(key)
    except RedisError:
        log.warning("cache unavailable; computing %s %s", scope, name)
        return compute()
    if hit is not None:
        return json.loads(hit)
    value = compute()
    try:
        client.set(key, json.dumps(value, separators=(",", ":"), default=str), ex=ttl_seconds)
    except RedisError:
        log.warning("cache unavailable; not storing %s %s", scope, name)
    return value


def invalidate(*scopes: str) -> None:
    """Make every cached value of these scopes stale."""
    try:
        with redis_client.client.pipeline(transaction=False) as pipe:
            for scope in scopes:
                pipe.incr(_generation_key(scope))
            pipe.execute()
    except RedisError:
        log.error("cache invalidation of %s failed; entries expire by TTL", ", ".join(scopes))


def query_name(prefix: str, parameters: dict[str, Any]) -> str:
    """A short stable cache name for a query's parameters."""
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    return f"{prefix}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _generation_key(scope: str) -> str:
    return f"cache:{scope}:generation"
