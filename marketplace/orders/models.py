"""Seller orders and their lines, in the seller's own schema; stock reservations of unpaid checkouts."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
                        text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import TenantBase, Timestamps, checked_enum


class SellerOrderStatus(str, enum.Enum):
    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    ACCEPTED = "accepted"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class AcceptanceHours:
    """The operator's SLA: the default and the bounds a seller's own choice must keep within."""

    default: int
    minimum: int
    maximum: int

    def for_seller(self, chosen: int | None) -> int:
        """The hours a seller has: its choice kept within the bounds (they may have changed since), else the default."""
        hours = self.default if chosen is None else chosen
        return min(max(hours, self.minimum), self.maximum)


class ReservationStatus(str, enum.Enum):
    HELD = "held"
    # The order was paid and routed: the units left stock on hand with a sale movement.
    SOLD = "sold"
    RELEASED = "released"


class StockReservation(Timestamps, TenantBase):
    """Units of a variant held for an unpaid marketplace order; one row per (order, variant)."""

    __tablename__ = "stock_reservations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The marketplace order's id (taken before the order row exists; see checkout.models.CheckoutAttempt).
    order_id: Mapped[int] = mapped_column(BigInteger)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReservationStatus] = mapped_column(checked_enum(ReservationStatus, "reservation_status"))

    __table_args__ = (
        UniqueConstraint("order_id", "variant_id", name="stock_reservations_order_variant_key"),
        CheckConstraint("quantity > 0", name="reservation_quantity_positive"),
    )


class SellerOrder(Timestamps, TenantBase):
    __tablename__ = "seller_orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    marketplace_order_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    buyer_user_id: Mapped[int] = mapped_column(BigInteger)
    buyer_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[SellerOrderStatus] = mapped_column(checked_enum(SellerOrderStatus, "seller_order_status"))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_amount: Mapped[int] = mapped_column(BigInteger)
    shipping_amount: Mapped[int] = mapped_column(BigInteger)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    shipping_name: Mapped[str] = mapped_column(String(120))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSONB)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The seller accepts or rejects before this, or the SLA job cancels the order (set when it is routed).
    acceptance_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # The order desk's default view and the SLA job's scan: open orders by due time.
        Index("ix_seller_orders_status_acceptance_due_at", "status", "acceptance_due_at"),
    )


class SellerOrderLine(TenantBase):
    __tablename__ = "seller_order_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="CASCADE"), index=True)
    marketplace_order_line_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    variant_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    options: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    line_total_amount: Mapped[int] = mapped_column(BigInteger)
    commission_amount: Mapped[int] = mapped_column(BigInteger)
    commission_rule: Mapped[dict[str, Any]] = mapped_column(JSONB)


class SellerOrderEvent(TenantBase):
    """One move of a seller order: from, to, by whom (kind and user), why, when. Never changed."""

    __tablename__ = "seller_order_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[SellerOrderStatus] = mapped_column(checked_enum(SellerOrderStatus, "event_from_status"))
    to_status: Mapped[SellerOrderStatus] = mapped_column(checked_enum(SellerOrderStatus, "event_to_status"))
    # seller, buyer, operator, carrier or system (marketplace.orders.lifecycle.ActorKind).
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
