"""Fleet migrations: every tenant schema brought to the head of the tenant tree.

A bulk version check reads the `alembic_version` of every tenant schema in a
few UNION ALL queries and skips the tenants already at head, so a fleet at
head costs about a second. The others are migrated by worker processes, not
threads: Alembic runs Python for every tenant, and a process owns its engine
outright. Each tenant runs in its own transaction under a lock timeout; a
failure rolls back that tenant alone and is reported, and a rerun resumes by
skipping what is already at head.
"""
from __future__ import annotations

import enum
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError

from tenants.models import Tenant, TenantRef
from tenants.shards import shards
from tenants.tenant_schema import migration_tree_config, registered_tenant_schema
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

# Schemas per UNION ALL query of the version check: large enough to need few
# round trips, small enough to keep each statement short to plan.
VERSION_QUERY_CHUNK = 500


class MigrationStatus(str, enum.Enum):
    MIGRATED = "migrated"
    SKIPPED = "skipped"
    FAILED = "failed"


class UnknownTenants(LookupError):
    """Slugs asked for that name no provisioned tenant."""

    def __init__(self, slugs: list[str]):
        self.slugs = slugs
        super().__init__(f"no provisioned tenant with slug {', '.join(repr(slug) for slug in slugs)}")


@dataclass(frozen=True)
class TenantMigration:
    """What happened to one tenant's schema; revisions are comma-joined heads, None for base."""

    slug: str
    schema_name: str
    from_revision: str | None
    to_revision: str | None
    status: MigrationStatus
    error: str | None = None
    seconds: float = 0.0


@dataclass
class FleetReport:
    """The outcome of one fleet run, tenant by tenant in registry order."""

    tenants: list[TenantMigration] = field(default_factory=list)
    seconds: float = 0.0

    def with_status(self, status: MigrationStatus) -> list[TenantMigration]:
        return [tenant for tenant in self.tenants if tenant.status is status]

    @property
    def migrated(self) -> list[TenantMigration]:
        return self.with_status(MigrationStatus.MIGRATED)

    @property
    def skipped(self) -> list[TenantMigration]:
        return self.with_status(MigrationStatus.SKIPPED)

    @property
    def failed(self) -> list[TenantMigration]:
        return self.with_status(MigrationStatus.FAILED)


def tenant_tree_config(tenant_tree: Path | None = None) -> Config:
    """The Alembic Config of the registered tenant tree, or of a copy of it at `tenant_tree` (tests, benchmarks)."""
    return migration_tree_config(registered_tenant_schema().migration_tree if tenant_tree is None else tenant_tree)


def tree_heads(tenant_tree: Path | None = None) -> tuple[str, ...]:
    script = registered_tenant_schema().script_directory if tenant_tree is None else ScriptDirectory.from_config(
        tenant_tree_config(tenant_tree))
    return tuple(sorted(script.get_heads()))


def load_tenants(slugs: Iterable[str] | None = None) -> list[TenantRef]:
    """Every tenant that has a schema, whatever its status (a suspended seller comes back at head).

    Given slugs, only those tenants; a slug that names no provisioned tenant raises UnknownTenants.
    """
    query = select(Tenant).where(Tenant.schema_name.is_not(None)).order_by(Tenant.id)
    wanted = None if slugs is None else set(slugs)
    if wanted is not None:
        query = query.where(Tenant.slug.in_(wanted))
    with UnitOfWork() as uow:
        tenants = [tenant.ref() for tenant in uow.session.scalars(query)]
    unknown = sorted((wanted or set()) - {tenant.slug for tenant in tenants})
    if unknown:
        raise UnknownTenants(unknown)
    return tenants


def read_versions(tenants: Sequence[TenantRef]) -> dict[str, tuple[str, ...]]:
    """The recorded revisions of each tenant schema, read in a few queries per shard.

    A schema with no version table, an empty one, or no schema at all, is
    absent from the result: it is at base.
    """
    schemas_by_shard: dict[str, list[str]] = defaultdict(list)
    for tenant in tenants:
        schemas_by_shard[tenant.shard_key].append(tenant.schema_name)
    versions: dict[str, list[str]] = defaultdict(list)
    for shard_key, schema_names in schemas_by_shard.items():
        with shards.engine(shard_key).connect() as connection:
            versioned = _schemas_with_version_table(connection, schema_names)
            for start in range(0, len(versioned), VERSION_QUERY_CHUNK):
                for schema_name, version in _select_versions(connection, versioned[start:start + VERSION_QUERY_CHUNK]):
                    versions[schema_name].append(version)
    return {schema_name: tuple(sorted(found)) for schema_name, found in versions.items()}


def _schemas_with_version_table(connection: Connection, schema_names: list[str]) -> list[str]:
    return connection.execute(text(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = 'alembic_version' AND c.relkind = 'r' AND n.nspname = ANY(:schema_names)"
        " ORDER BY n.nspname"
    ), {"schema_names": schema_names}).scalars().all()


def _select_versions(connection: Connection, schema_names: list[str]) -> list[tuple[str, str]]:
    # The names are interpolated, not bound: they are identifiers. Each one
    # passed TenantRef's tenant_<digits> check, so none can carry SQL.
    query = " UNION ALL ".join(
        f"SELECT '{schema_name}', version_num FROM \"{schema_name}\".alembic_version" for schema_name in schema_names
    )
    return [tuple(row) for row in connection.exec_driver_sql(query)]


def upgrade_tenant_schema(connection: Connection, schema_name: str, config: Config, lock_timeout_ms: int) -> None:
    """Run the tenant tree up to its heads on `schema_name`, inside the caller's transaction.

    The lock timeout makes a tenant whose tables are busy fail fast instead of
    queueing behind (and in front of) its own traffic.
    """
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
    config.attributes["connection"] = connection
    config.attributes["tenant_schema"] = schema_name
    command.upgrade(config, "heads")


def migrate_fleet(
    slugs: Iterable[str] | None = None,
    *,
    lock_timeout_ms: int,
    jobs: int | None = None,
    tenant_tree: Path | None = None,
) -> FleetReport:
    """Bring every provisioned tenant (or those named by `slugs`) to the tenant tree's heads.

    `jobs` worker processes (default: one per CPU) migrate the tenants that
    are behind; `tenant_tree` points at a copy of `migrations/tenant`, for
    tests and benchmarks that add revisions of their own.
    """
    started = time.perf_counter()
    # The worker processes are spawned: they see no registration, so they are given the tree itself.
    tenant_tree = registered_tenant_schema().migration_tree if tenant_tree is None else tenant_tree
    tenants = load_tenants(slugs)
    heads = tree_heads(tenant_tree)
    versions = read_versions(tenants)
    outcomes: dict[str, TenantMigration] = {}
    behind: list[tuple[TenantRef, str | None]] = []
    for tenant in tenants:
        current = versions.get(tenant.schema_name, ())
        if current == heads:
            outcomes[tenant.schema_name] = _skipped(tenant, heads)
        else:
            behind.append((tenant, _revision_label(current)))
    for outcome in _migrate_in_processes(behind, lock_timeout_ms, jobs, tenant_tree):
        if outcome.status is MigrationStatus.FAILED:
            log.warning("tenant %s failed to migrate: %s", outcome.slug, outcome.error,
                        extra={"schema_name": outcome.schema_name, "from_revision": outcome.from_revision})
        outcomes[outcome.schema_name] = outcome
    return FleetReport(tenants=[outcomes[tenant.schema_name] for tenant in tenants],
                       seconds=time.perf_counter() - started)


def _revision_label(revisions: Sequence[str]) -> str | None:
    return ",".join(revisions) or None


def _skipped(tenant: TenantRef, heads: tuple[str, ...]) -> TenantMigration:
    head_label = _revision_label(heads)
    return TenantMigration(tenant.slug, tenant.schema_name, head_label, head_label, MigrationStatus.SKIPPED)


def _migrate_in_processes(
    behind: list[tuple[TenantRef, str | None]], lock_timeout_ms: int, jobs: int | None, tenant_tree: Path | None
) -> Iterable[TenantMigration]:
    if not behind:
        return
    database_urls = {tenant.shard_key: shards.url(tenant.shard_key) for tenant, _ in behind}
    worker_count = min(jobs or os.cpu_count() or 1, len(behind))
    # Spawned, not forked: a worker starts with no copy of this process's
    # pooled connections, so no socket is ever shared across processes.
    with ProcessPoolExecutor(
        max_workers=worker_count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(database_urls, lock_timeout_ms, tenant_tree),
    ) as pool:
        futures = {pool.submit(_migrate_tenant, tenant, from_revision): (tenant, from_revision)
                   for tenant, from_revision in behind}
        for future in as_completed(futures):
            tenant, from_revision = futures[future]
            try:
                yield future.result()
            except BrokenProcessPool as error:
                # A worker died (killed, out of memory): its tenants are
                # reported failed, and the rerun retries them.
                yield _failed(tenant, from_revision, f"worker process died: {error}", seconds=0.0)


@dataclass
class _Worker:
    """What one worker process keeps between tenants."""

    database_urls: dict[str, str]
    lock_timeout_ms: int
    config: Config
    heads_label: str | None
    engines: dict[str, Engine] = field(default_factory=dict)

    def engine(self, shard_key: str) -> Engine:
        if shard_key not in self.engines:
            # One tenant at a time per worker: a single pooled connection.
            self.engines[shard_key] = create_engine(self.database_urls[shard_key], pool_size=1, max_overflow=0,
                                                    pool_pre_ping=True)
        return self.engines[shard_key]


# Set once in each worker process by _start_worker.
_worker: _Worker | None = None


def _start_worker(database_urls: dict[str, str], lock_timeout_ms: int, tenant_tree: Path | None) -> None:
    global _worker
    _worker = _Worker(database_urls, lock_timeout_ms, tenant_tree_config(tenant_tree),
                      _revision_label(tree_heads(tenant_tree)))


def _migrate_tenant(tenant: TenantRef, from_revision: str | None) -> TenantMigration:
    started = time.perf_counter()
    try:
        with _worker.engine(tenant.shard_key).connect() as connection, connection.begin():
            upgrade_tenant_schema(connection, tenant.schema_name, _worker.config, _worker.lock_timeout_ms)
    except Exception as error:  # isolated: this tenant rolled back, reported; the others go on
        return _failed(tenant, from_revision, _describe(error), time.perf_counter() - started)
    return TenantMigration(tenant.slug, tenant.schema_name, from_revision, _worker.heads_label,
                           MigrationStatus.MIGRATED, seconds=time.perf_counter() - started)


def _failed(tenant: TenantRef, from_revision: str | None, error: str, seconds: float) -> TenantMigration:
    return TenantMigration(tenant.slug, tenant.schema_name, from_revision, from_revision, MigrationStatus.FAILED,
                           error=error, seconds=seconds)


def _describe(error: Exception) -> str:
    """One line naming the failure: the driver's error for database errors, without the SQL dump."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line}"
