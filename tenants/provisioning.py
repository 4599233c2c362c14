"""Creating a tenant: registry row, schema, every tenant table at head, version, in one transaction.

Provisioning builds the tables from the models (what replaying the tenant
migration tree would build; a test holds the two equal) and stamps the head
revision, so a new tenant costs the same however long the history grows.
PostgreSQL DDL is transactional: a failure at any step leaves no schema and no
registry row.
"""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tenants.db import TENANT_SCHEMA_TOKEN
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.slugs import validate_slug
from tenants.tenant_schema import TenantSchema, registered_tenant_schema
from tenants.uow import UnitOfWork


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
    uow: UnitOfWork | None = None,
) -> TenantRef:
    """Create a tenant with its schema at head.

    Given a unit of work, provisioning joins its transaction (the caller
    commits, e.g. together with the owner's membership); otherwise it commits
    its own. Refuses (TenantSchemaNotRegistered) until the tenant tables are
    registered at start-up.
    """
    schema = registered_tenant_schema()
    validate_slug(slug)
    registry_row = Tenant(slug=slug, display_name=display_name, plan_code=plan_code, status=status,
                          currency=currency, country=country)
    if uow is not None:
        return _provision(uow.session, registry_row, schema)
    with UnitOfWork() as own_uow:
        tenant = _provision(own_uow.session, registry_row, schema)
        own_uow.commit()
        return tenant


def _provision(session: Session, registry_row: Tenant, schema: TenantSchema) -> TenantRef:
    tenant = _create_registry_row(session, registry_row)
    connection = session.connection()
    _create_schema(connection, tenant.schema_name)
    _create_tables(connection, tenant.schema_name, schema.metadata)
    _record_version(connection, tenant.schema_name, schema)
    return tenant.ref()


def _create_registry_row(session: Session, tenant: Tenant) -> Tenant:
    session.add(tenant)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise SlugTaken(tenant.slug) from error
    tenant.schema_name = schema_name_for(tenant.id)
    session.flush()
    return tenant


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
