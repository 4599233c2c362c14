"""The tenant registry (shared schema)."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import SharedBase, Timestamps, checked_enum
from tenants.shards import DEFAULT_SHARD

SCHEMA_NAME_PATTERN = re.compile(r"^tenant_[0-9]+$")


class TenantStatus(str, enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Tenant(Timestamps, SharedBase):
    """A seller: one row here, one schema of its own."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[TenantStatus] = mapped_column(
        checked_enum(TenantStatus, "tenant_status"),
        default=TenantStatus.PENDING,
        server_default=TenantStatus.PENDING.value,
    )
    # Set by provisioning from the id; never taken from input.
    schema_name: Mapped[str | None] = mapped_column(String(63), unique=True)
    shard_key: Mapped[str] = mapped_column(String(40), default=DEFAULT_SHARD, server_default=DEFAULT_SHARD)
    plan_code: Mapped[str | None] = mapped_column(String(40))
    # ISO 4217: every price of this seller is in this currency.
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    # ISO 3166-1 alpha-2
    country: Mapped[str | None] = mapped_column(String(2))

    domains: Mapped[list["TenantDomain"]] = relationship(back_populates="tenant", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(r"schema_name ~ '^tenant_[0-9]+$'", name="schema_name_format"),
        # Every buyer search reads the sellers it must hide (suspended, closed): few rows among many.
        Index("ix_tenants_not_active", "id", postgresql_where=text("status <> 'active'")),
    )

    def ref(self) -> "TenantRef":
        return TenantRef(id=self.id, slug=self.slug, schema_name=self.schema_name, shard_key=self.shard_key,
                         status=TenantStatus(self.status), currency=self.currency)


class DomainStatus(str, enum.Enum):
    PENDING = "pending"  # claimed, not yet proved: serves nothing
    VERIFIED = "verified"  # proved by its owner: serves the storefront
    EXPIRED = "expired"  # not proved in time; a new check request makes it pending again


class TenantDomain(Timestamps, SharedBase):
    """A host name claimed for a tenant's storefront; it serves the storefront only once verified."""

    __tablename__ = "tenant_domains"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Several sellers may claim one name; the first to prove it gets it (the unique index below).
    hostname: Mapped[str] = mapped_column(String(253), index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[DomainStatus] = mapped_column(
        checked_enum(DomainStatus, "domain_status"), default=DomainStatus.PENDING,
        server_default=DomainStatus.PENDING.value,
    )
    # Shown to the seller, who publishes it in DNS or at the well-known URL: it proves control of the
    # domain when found there, so it is no secret, but each domain has its own.
    verification_token: Mapped[str] = mapped_column(String(64))
    verification_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_check_result: Mapped[str | None] = mapped_column(String(500))

    tenant: Mapped[Tenant] = relationship(back_populates="domains")

    __table_args__ = (
        # One storefront per host name: host resolution reads this index.
        Index("uq_tenant_domains_verified_hostname", "hostname", unique=True,
              postgresql_where=text("status = 'verified'")),
        # The periodic re-check reads the pending few among many verified.
        Index("ix_tenant_domains_pending", "id", postgresql_where=text("status = 'pending'")),
    )


@dataclass(frozen=True)
class TenantRef:
    """What a unit of work needs to bind a tenant: detached from any session."""

    id: int
    slug: str
    schema_name: str
    shard_key: str
    status: TenantStatus
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not SCHEMA_NAME_PATTERN.match(self.schema_name or ""):
            raise ValueError(f"not a tenant schema name: {self.schema_name!r}")
