"""The shard map: which PostgreSQL database holds which tenants.

The shard `default` (DATABASE_URL) is also the control database, home of the
shared `platform` schema; SHARD_URLS names the others. Code never picks an
engine itself: it asks this map with the tenant's shard key (its registry
row), so a tenant moves to another server by changing that row.
"""
from __future__ import annotations

from sqlalchemy import Engine, create_engine, event

DEFAULT_SHARD = "default"


class UnknownShard(LookupError):
    def __init__(self, shard_key: str):
        self.shard_key = shard_key
        super().__init__(f"no database configured for shard {shard_key!r}")


class ShardMap:
    """Engines by shard key; the `default` shard also holds the shared schema."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self._engines: dict[str, Engine] = {}
        self._pool_size = 10
        self._max_overflow = 10

    def configure(self, urls: dict[str, str], pool_size: int = 10, max_overflow: int | None = None) -> None:
        """Set the database URL of every shard, disposing engines of a previous configuration.

        `max_overflow` defaults to `pool_size`: bursts may double the pool.
        """
        if DEFAULT_SHARD not in urls:
            raise ValueError("the shard map needs a 'default' database")
        max_overflow = pool_size if max_overflow is None else max_overflow
        if (urls, pool_size, max_overflow) == (self._urls, self._pool_size, self._max_overflow):
            return
        self.dispose()
        self._urls = dict(urls)
        self._pool_size = pool_size
        self._max_overflow = max_overflow

    def init_app(self, app) -> None:
        urls = {DEFAULT_SHARD: app.config["DATABASE_URL"], **(app.config.get("SHARD_URLS") or {})}
        self.configure(urls, app.config["DB_POOL_SIZE"])
        app.extensions["shards"] = self

    @property
    def keys(self) -> list[str]:
        """Every configured shard, `default` first."""
        return sorted(self._urls, key=lambda key: (key != DEFAULT_SHARD, key))

    @property
    def urls(self) -> dict[str, str]:
        return dict(self._urls)

    @property
    def is_configured(self) -> bool:
        return bool(self._urls)

    def engine(self, shard_key: str = DEFAULT_SHARD) -> Engine:
        if shard_key not in self._engines:
            if shard_key not in self._urls:
                raise UnknownShard(shard_key)
            self._engines[shard_key] = _make_engine(self._urls[shard_key], self._pool_size, self._max_overflow)
        return self._engines[shard_key]

    def url(self, shard_key: str = DEFAULT_SHARD) -> str:
        if shard_key not in self._urls:
            raise UnknownShard(shard_key)
        return self._urls[shard_key]

    def dispose(self) -> None:
        """Drop every engine and its pooled connections."""
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    def forget_inherited_connections(self) -> None:
        """In a forked child (an RQ work horse): give every engine a new, empty pool.

        The pooled connections share their sockets with the parent, so closing
        them would end the parent's sessions; they are only dereferenced
        (`close=False`), and psycopg never closes a connection garbage-collected
        in another process. The engines themselves stay, with their dialect
        set up and their compiled statements, so a short job does not redo that.
        """
        for engine in self._engines.values():
            engine.dispose(close=False)


def _make_engine(url: str, pool_size: int, max_overflow: int) -> Engine:
    # We reset connections ourselves (below), so the pool's own rollback is off.
    engine = create_engine(
        url, pool_size=max(pool_size, 1), max_overflow=max_overflow, pool_pre_ping=True, pool_reset_on_return=None
    )

    @event.listens_for(engine, "reset")
    def _reset_connection(dbapi_connection, record, reset_state):
        # SET LOCAL already ends with its transaction; RESET ALL makes sure
        # that a session-level SET done by mistake never follows a pooled
        # connection to its next user.
        dbapi_connection.rollback()
        if not reset_state.terminate_only:
            # Outside a transaction (autocommit): one round trip, not BEGIN, RESET ALL, COMMIT.
            dbapi_connection.autocommit = True
            try:
                dbapi_connection.execute("RESET ALL")
            finally:
                dbapi_connection.autocommit = False

    return engine


shards = ShardMap()
