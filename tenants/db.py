"""Declarative bases for the two kinds of table.

Shared tables live in the `platform` schema. Tenant tables are declared in the
symbolic schema `tenant`, which never exists in the database: a unit of work
bound to a tenant translates it to that tenant's real schema. A tenant table
used with no tenant bound therefore fails instead of reading the wrong rows.
"""
from __future__ import annotations

from datetime import datetime, timezone

import enum

from sqlalchemy import DateTime, Enum, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SHARED_SCHEMA = "platform"
SHARD_SCHEMA = "shard"
TENANT_SCHEMA_TOKEN = "tenant"

# Stable constraint names, so that migrations and provisioning name things alike.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def checked_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR column limited to the enum's values by a CHECK constraint named `name`.

    Not a PostgreSQL enum type: adding a state later is a one-line
    migration, not ALTER TYPE across every tenant schema.
    """
    return Enum(enum_class, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda members: [member.value for member in members])


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SharedBase(DeclarativeBase):
    """Base of the platform tables (one copy for the whole marketplace)."""

    metadata = MetaData(schema=SHARED_SCHEMA, naming_convention=NAMING_CONVENTION)


class ShardBase(DeclarativeBase):
    """Base of the tables every shard database has one copy of, beside its tenant schemas (its outbox)."""

    metadata = MetaData(schema=SHARD_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    """Base of the tables every seller has a copy of in its own schema."""

    metadata = MetaData(schema=TENANT_SCHEMA_TOKEN, naming_convention=NAMING_CONVENTION)


class Timestamps:
    """created_at / updated_at columns kept by the database clock."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
