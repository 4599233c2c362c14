"""The audit log (shared schema). Rows are only ever inserted."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase


class AuditEntry(SharedBase):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # e.g. "seller_application.approve", "tenant.suspend"
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[str] = mapped_column(String(80))
    tenant_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set on entries a tenant's transaction sent as an outbox message: writing one twice is a no-op.
    source_key: Mapped[str | None] = mapped_column(String(32), unique=True)

    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)
