"""Fixtures shared by every test: real PostgreSQL and Redis, one app, a clean slate per test.

With DATABASE_URL unset the embedded PostgreSQL under var/test is started (or
joined); either way each pytest run gets a database of its own, dropped at the
end, so parallel runs never meet. Each run also starts its own redis-server.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.embedded import EmbeddedRedis, drop_embedded_database, embedded_database_url
from migrations import upgrade_shared
from tenants.shards import shards

ROOT = Path(__file__).resolve().parent.parent
TEST_VAR_DIR = Path(os.environ.get("TEST_VAR_DIR", ROOT / "var" / "test"))


def _test_database_url() -> str:
    name = f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    given = os.environ.get("DATABASE_URL")
    if not given:
        return embedded_database_url(TEST_VAR_DIR, database=name)
    import psycopg

    plain = given.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = given.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    url = base + ("?" + query if query else "")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def database_url():
    url = _test_database_url()
    upgrade_shared(url)
    yield url
    shards.dispose()
    drop_embedded_database(url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(database_url, redis_server):
    return create_app({
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "TESTING": True,
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": 5,
    })


@pytest.fixture(autouse=True)
def clean_state(request):
    """Empty every platform table, drop every tenant schema and flush Redis after each test."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with shards.engine().begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'platform' AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            conn.execute(text(
                "TRUNCATE " + ", ".join(f'platform."{name}"' for name in tables) + " RESTART IDENTITY CASCADE"
            ))
        schemas = conn.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"
        )).scalars().all()
        for schema in schemas:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    app.extensions["redis"].client.flushdb()


@pytest.fixture
def client(app):
    return app.test_client()
