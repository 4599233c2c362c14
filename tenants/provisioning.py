"""Creating a tenant: a registry row in the control database, then its schema on its shard.

The two live in different databases (the shard may be another server), so
provisioning is a saga of two transactions: the registry row (with the
caller's other writes, e.g. the owner's membership, and an outbox message),
then `complete_provisioning`, which builds the schema on the shard, every
tenant table at head and its version, in one shard transaction, and at last
names the schema in the registry row. Until then the row has no schema and
the tenant is not found. The message finishes a provisioning cut short by a
crash; every step is idempotent, so running it twice builds nothing twice.

Provisioning builds the tables from the models (what replaying the tenant
migration tree would build; a test holds the two equal) and stamps the head
revision, so a new tenant costs the same however long the history grows.
"""
from __future__ import annotations


from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tenants.db import TENANT_SCHEMA_TOKEN
from tenants.locks import lock_tenant_provisioning
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.placement import choose_shard
from tenants.shards import shards
from tenants.slugs import validate_slug
from tenants.tenant_schema import TenantSchema, registered_tenant_schema
from tenants.uow import UnitOfWork

COMPLETE_PROVISIONING_JOB = "tenants.jobs.complete_provisioning_of"


class SlugTaken(Exception):
    def __init__(self, slug: str):
        self.slug = slug
        super().__init__(f"the slug {slug!r} is already taken")


def schema_name_for(tenant_id: int) -> str:
    return f"tenant_{int(tenant_id)}"


def provision_tenant(
    slug: str,
    display_name: str,
    *,
    plan_code: str | None = None,
    status: TenantStatus = TenantStatus.ACTIVE,
    currency: str = "USD",
    country: str | None = None,
    shard_key: str | None = None,
    uow: UnitOfWork | None = None,
) -> TenantRef:
    """Create a tenant with its schema at head, on `shard_key` or the shard `choose_shard` picks.

    Given a unit of work (of the control database), the registry row joins
    its transaction and the schema is built once it commits; otherwise
    provisioning commits its own. Either way the returned tenant's schema
    exists when the caller's commit returns, unless its shard was down (the
    outbox message builds it later). Refuses (TenantSchemaNotRegistered)
    until the tenant tables are registered at start-up.
    """
    registered_tenant_schema()  # refuses before anything is written
    validate_slug(slug)
    registry_row = Tenant(slug=slug, display_name=display_name, plan_code=plan_code, status=status,
                          currency=currency, country=country)
    if uow is not None:
        return _register(uow, registry_row, shard_key)
    with UnitOfWork() as own_uow:
        tenant = _register(own_uow, registry_row, shard_key)
        own_uow.commit()
    return tenant


def complete_provisioning(tenant_id: int) -> bool:
    """Build the tenant's schema on its shard if missing, then name it in the registry; False if already done."""
    with UnitOfWork() as uow:
        registry_row = uow.session.get(Tenant, tenant_id)
        if registry_row is None or registry_row.schema_name is not None:
            return False
        shard_key, schema_name = registry_row.shard_key, schema_name_for(tenant_id)
    _build_schema(shard_key, tenant_id, schema_name, registered_tenant_schema())
    with UnitOfWork() as uow:
        named = uow.session.execute(
            update(Tenant).where(Tenant.id == tenant_id, Tenant.schema_name.is_(None)).values(schema_name=schema_name)
        ).rowcount
        uow.commit()
    return bool(named)


def _register(uow: UnitOfWork, registry_row: Tenant, shard_key: str | None) -> TenantRef:
    registry_row.shard_key = choose_shard(uow.session, shard_key)
    tenant = _create_registry_row(uow.session, registry_row)
    uow.add_message(COMPLETE_PROVISIONING_JOB, {"registered_tenant_id": tenant.id}, queue="default")
    uow.apply_after_commit(lambda: complete_provisioning(tenant.id), "tenant schema", tenant_id=tenant.id)
    return TenantRef(id=tenant.id, slug=tenant.slug, schema_name=schema_name_for(tenant.id),
                     shard_key=tenant.shard_key, status=TenantStatus(tenant.status), currency=tenant.currency)


def _create_registry_row(session: Session, tenant: Tenant) -> Tenant:
    session.add(tenant)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise SlugTaken(tenant.slug) from error
    return tenant


def _build_schema(shard_key: str, tenant_id: int, schema_name: str, schema: TenantSchema) -> None:
    # PostgreSQL DDL is transactional: a failure leaves no schema. The advisory lock makes
    # the request that provisions and its outbox job, running at once, build it once.
    with shards.engine(shard_key).begin() as connection:
        lock_tenant_provisioning(connection, tenant_id)
        exists = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :name"),
                                    {"name": schema_name}).first()
        if exists:
            return
        _create_schema(connection, schema_name)
        _create_tables(connection, schema_name, schema.metadata)
        _record_version(connection, schema_name, schema)


def _create_schema(connection: Connection, schema_name: str) -> None:
    connection.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')

def _create_tables(connection: Connection, schema_name: str, metadata: MetaData) -> None:
    # Connection.execution_options() changes the connection in place, so the
    # caller's translate map is put back afterwards.
    previous_map = connection.get_execution_options().get("schema_translate_map")
    connection.execution_options(schema_translate_map={TENANT_SCHEMA_TOKEN: schema_name})
    try:
        metadata.create_all(connection, checkfirst=False)
    finally:
        connection.execution_options(schema_translate_map=previous_map)


def _record_version(connection: Connection, schema_name: str, schema: TenantSchema) -> None:
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema_name})
    context.stamp(schema.script_directory, "heads")
