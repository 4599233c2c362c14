"""Looking at tenant schemas wherever they live: every test app has two shards (tests/conftest.py)."""
from __future__ import annotations

from sqlalchemy import Connection, text

from tenants.models import TenantRef
from tenants.shards import shards


def tenant_schemas_by_shard() -> dict[str, list[str]]:
    """The tenant schemas each shard's server holds, sorted."""
    found: dict[str, list[str]] = {}
    for shard_key in shards.keys:
        with shards.engine(shard_key).connect() as conn:
            found[shard_key] = conn.execute(text(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY nspname"
            )).scalars().all()
    return found


def tenant_schemas() -> list[str]:
    """Every tenant schema on every shard, sorted."""
    return sorted(schema for schemas in tenant_schemas_by_shard().values() for schema in schemas)


def tenant_sql(tenant: TenantRef, statement: str, **params):
    """Run one statement with the tenant's schema first on the search path, on its shard; return the rows."""
    with shards.engine(tenant.shard_key).begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
        result = conn.execute(text(statement), params)
        return result.all() if result.returns_rows else None


def tenant_connection(tenant: TenantRef) -> Connection:
    """A connection to the tenant's shard (the caller closes it)."""
    return shards.engine(tenant.shard_key).connect()


def database_environment(config) -> dict[str, str]:
    """DATABASE_URL, SHARD_URLS and REDIS_URL of the test app, for a child process (a CLI, a worker)."""
    return {
        "DATABASE_URL": config["DATABASE_URL"],
        "SHARD_URLS": ",".join(f"{name}={url}" for name, url in (config["SHARD_URLS"] or {}).items()),
        "REDIS_URL": config["REDIS_URL"],
    }
