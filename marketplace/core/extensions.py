"""Module-level extensions, bound to an app with `init_app` (one place to find them)."""
from __future__ import annotations

import redis
from flask import Flask

from marketplace.core.near_cache import DEFAULT_MAX_AGE_SECONDS, NearCache
from tenants.shards import shards


class RedisClient:
    """The process's Redis connection pool, built from REDIS_URL."""

    def __init__(self) -> None:
        self._client: redis.Redis | None = None
        self._near_cache: NearCache | None = None
        self._url: str | None = None
        self._configured: tuple[str, float] | None = None

    def init_app(self, app: Flask) -> None:
        self.configure(app.config["REDIS_URL"],
                       app.config.get("NEAR_CACHE_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS))
        app.extensions["redis"] = self

    def configure(self, url: str, near_cache_max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS) -> None:
        if (url, near_cache_max_age_seconds) != self._configured:
            self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
            self._near_cache = NearCache(url, max_age_seconds=near_cache_max_age_seconds)
            self._url = url
            self._configured = (url, near_cache_max_age_seconds)

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("Redis is not configured; create the app first")
        return self._url

    @property
    def client(self) -> redis.Redis:
        if self._client is None:
            raise RuntimeError("Redis is not configured; create the app first")
        return self._client

    @property
    def near_cache(self) -> NearCache:
        """This process's copy of hot keys (the response cache's), kept in step by Redis."""
        if self._near_cache is None:
            raise RuntimeError("Redis is not configured; create the app first")
        return self._near_cache


redis_client = RedisClient()

__all__ = ["redis_client", "shards"]
