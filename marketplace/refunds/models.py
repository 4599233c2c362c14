"""Refunds of a marketplace order: records of their own, each for part of one seller's share of the payment."""
from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps, checked_enum


class RefundState(str, enum.Enum):
    # Recorded, not yet answered by the gateway (or answered `pending`).
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    # Failed and canceled refunds no longer count against what is left to refund.
    FAILED = "failed"
    CANCELED = "canceled"


# What counts against a seller part's remaining refundable amount.
COUNTED_STATES = (RefundState.PENDING, RefundState.REQUIRES_ACTION, RefundState.SUCCEEDED)


class Refund(Timestamps, SharedBase):
    """Money given back for one seller's part of an order: its amount, lines, reason and the gateway's state."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    seller_order_id: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    # [{"line_id": marketplace order line id, "quantity": n}], empty when no line is named (shipping, goodwill).
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    status: Mapped[RefundState] = mapped_column(checked_enum(RefundState, "refund_status"))
    # The caller's key: a repeated request (same order, seller and key) finds the refund it made.
    idempotency_key: Mapped[str] = mapped_column(String(255))
    gateway_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        # Also the index of a seller part's refunds (order_id, tenant_id come first).
        UniqueConstraint("order_id", "tenant_id", "idempotency_key", name="refunds_key"),
        CheckConstraint("amount > 0", name="refund_amount_positive"),
    )
