"""Binding a tenant to a session, one transaction at a time.

A tenant-bound session maps the symbolic schema `tenant` to the tenant's real
schema (`schema_translate_map`) and, at the start of every transaction, runs
`SET LOCAL search_path` so that raw SQL sees that schema alone. Both end with
the transaction or the connection's checkout: nothing is set at session level,
so a pooled connection goes back clean.

With no tenant bound, `tenant` maps to a schema that never exists, and ORM
statements on tenant tables raise `TenantNotBound` before reaching the server.

One transaction touches one database: a tenant-bound session runs on the
tenant's shard, which need not be the control database, so any statement of
it that names the shared `platform` schema raises `ControlDatabaseFromTenant`
before reaching the server, whichever shard the tenant is on today. What the
platform must learn from a tenant's transaction travels as an outbox message.
"""
from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from tenants.db import SHARED_SCHEMA, TENANT_SCHEMA_TOKEN, TenantBase
from tenants.models import TenantRef
from tenants.shards import DEFAULT_SHARD, shards

UNBOUND_SCHEMA = "no_tenant_bound"


class TenantNotBound(RuntimeError):
    """A tenant table was used in a session that has no tenant."""

    def __init__(self, tables: list[str]):
        self.tables = tables
        super().__init__(f"tenant tables {', '.join(sorted(tables))} used with no tenant bound")


class ControlDatabaseFromTenant(RuntimeError):
    """A tenant-bound transaction named the control database's shared schema."""

    def __init__(self, schema_name: str, statement: str):
        self.statement = statement
        super().__init__(f"a transaction bound to {schema_name} may not use the {SHARED_SCHEMA!r} schema "
                         f"(one transaction, one database; send an outbox message): {statement[:200]}")


# An execution option of tenant-bound engines: the tenant schema they are bound to.
BOUND_SCHEMA_OPTION = "bound_tenant_schema"
_SHARED_SCHEMA_NAMES = (f"{SHARED_SCHEMA}.", f'"{SHARED_SCHEMA}".')


def open_session(tenant: TenantRef | None = None, shard_key: str = DEFAULT_SHARD) -> Session:
    """A new session bound to `tenant` on its shard; with no tenant, on `shard_key` (the control database by default)."""
    schema = tenant.schema_name if tenant else UNBOUND_SCHEMA
    engine = shards.engine(tenant.shard_key if tenant else shard_key)
    options = {"schema_translate_map": {TENANT_SCHEMA_TOKEN: schema}}
    if tenant:
        options[BOUND_SCHEMA_OPTION] = schema
    bound_engine = engine.execution_options(**options)
    session = Session(bound_engine, expire_on_commit=False, autoflush=True)
    if tenant:
        session.info["tenant"] = tenant
    return session


def bound_tenant(session: Session) -> TenantRef | None:
    return session.info.get("tenant")


@event.listens_for(Session, "after_begin")
def _set_local_search_path(session: Session, transaction, connection) -> None:
    tenant = bound_tenant(session)
    if tenant is not None:
        # The schema name is ours (tenant_<id>, checked by TenantRef), never input.
        connection.exec_driver_sql(f'SET LOCAL search_path TO "{tenant.schema_name}"')


@event.listens_for(Session, "do_orm_execute")
def _refuse_unbound_tenant_tables(state: ORMExecuteState) -> None:
    if bound_tenant(state.session) is not None:
        return
    tenant_tables = [
        mapper.local_table.name for mapper in state.all_mappers if issubclass(mapper.class_, TenantBase)
    ]
    if tenant_tables:
        raise TenantNotBound(tenant_tables)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_control_database_from_tenant(conn, cursor, statement, parameters, context, executemany) -> None:
    bound_schema = conn.get_execution_options().get(BOUND_SCHEMA_OPTION)
    if bound_schema is not None and any(name in statement for name in _SHARED_SCHEMA_NAMES):
        raise ControlDatabaseFromTenant(bound_schema, statement)
