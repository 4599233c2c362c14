"""Binding a tenant to a session, one transaction at a time.

A tenant-bound session maps the symbolic schema `tenant` to the tenant's real
schema (`schema_translate_map`) and, at the start of every transaction, runs
`SET LOCAL search_path` so that raw SQL sees that schema alone. Both end with
the transaction or the connection's checkout: nothing is set at session level,
so a pooled connection goes back clean.

With no tenant bound, `tenant` maps to a schema that never exists, and ORM
statements on tenant tables raise `TenantNotBound` before reaching the server.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from tenants.db import TENANT_SCHEMA_TOKEN, TenantBase
from tenants.models import TenantRef
from tenants.shards import DEFAULT_SHARD, shards

UNBOUND_SCHEMA = "no_tenant_bound"


class TenantNotBound(RuntimeError):
    """A tenant table was used in a session that has no tenant."""

    def __init__(self, tables: list[str]):
        self.tables = tables
        super().__init__(f"tenant tables {', '.join(sorted(tables))} used with no tenant bound")


def open_session(tenant: TenantRef | None = None) -> Session:
    """A new session on the right shard, bound to `tenant` if one is given."""
    schema = tenant.schema_name if tenant else UNBOUND_SCHEMA
    engine = shards.engine(tenant.shard_key if tenant else DEFAULT_SHARD)
    bound_engine = engine.execution_options(schema_translate_map={TENANT_SCHEMA_TOKEN: schema})
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
