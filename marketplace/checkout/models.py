"""The checkout's records in the shared schema: attempts (idempotency), marketplace orders, their lines,
their per-seller parts and their one payment.

A marketplace order is what the buyer bought and paid for once; each seller's
part of it becomes a seller order in that seller's schema when the order is
routed (marketplace.orders). Lines are frozen snapshots: title, SKU, price,
quantity and the commission rule that applied, as they were at checkout.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (ARRAY, BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
                        func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps, checked_enum


class AttemptStatus(str, enum.Enum):
    # Reserving stock seller by seller; the recovery job undoes an attempt left here by a crash.
    RESERVING = "reserving"
    # The order exists; its response is stored once the payment intent is (see `response_body`).
    COMPLETED = "completed"
    # Refused (lines at fault) or undone by recovery: nothing is reserved for it any more.
    FAILED = "failed"


class OrderStatus(str, enum.Enum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    # Not paid in time: reservations released, payment intent cancelled.
    EXPIRED = "expired"


class CheckoutAttempt(Timestamps, SharedBase):
    """One `POST /checkout` per (buyer, Idempotency-Key): the saga's log and the stored response."""

    __tablename__ = "checkout_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the canonical request body: the same key with another body is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    # Taken from the orders' sequence before anything is reserved: reservations are keyed by it.
    order_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    status: Mapped[AttemptStatus] = mapped_column(checked_enum(AttemptStatus, "attempt_status"))
    # The sellers whose stock this attempt may reserve, in the order it reserves them (for recovery).
    seller_tenant_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    # Reservations made after this instant are refused by the sellers' databases; recovery acts only later.
    reserve_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        UniqueConstraint("buyer_user_id", "idempotency_key", name="checkout_attempts_key"),
        # The recovery job's scan: attempts still reserving.
        Index("ix_checkout_attempts_reserving", "reserve_deadline", postgresql_where=text("status = 'reserving'")),
    )


class MarketplaceOrder(SharedBase):
    __tablename__ = "marketplace_orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[OrderStatus] = mapped_column(checked_enum(OrderStatus, "order_status"),
                                                server_default=OrderStatus.AWAITING_PAYMENT.value)
    subtotal_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    shipping_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    total_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # The address as it was at checkout (the address book may change later).
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("total_amount = subtotal_amount + shipping_amount", name="total_is_subtotal_plus_shipping"),
        # The expiry job's scan: unpaid orders by deadline.
        Index("ix_marketplace_orders_awaiting_payment", "expires_at",
              postgresql_where=text("status = 'awaiting_payment'")),
    )


class MarketplaceOrderLine(SharedBase):
    __tablename__ = "marketplace_order_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    variant_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    line_total_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    commission_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # billing.commission.rule_snapshot of the rule that applied (its terms, as they were).
    commission_rule: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class OrderSellerPart(SharedBase):
    """One seller's part of a marketplace order: its shipping and totals, and its seller order's status."""

    __tablename__ = "marketplace_order_sellers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    seller_name: Mapped[str] = mapped_column(String(200))
    shipping_rate_id: Mapped[int] = mapped_column(BigInteger)
    shipping_name: Mapped[str] = mapped_column(String(120))
    subtotal_amount: Mapped[int] = mapped_column(BigInteger)
    shipping_amount: Mapped[int] = mapped_column(BigInteger)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    # The seller order's status as the buyer sees it; "pending" until the paid order is routed.
    status: Mapped[str] = mapped_column(String(30), server_default="pending")
    seller_order_id: Mapped[int | None] = mapped_column(BigInteger)
    # The seller order event `status` shows (marketplace.orders.lifecycle): an older one never replaces it.
    status_event_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    routed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the buyer first saw it delivered (or completed): the transfer hold period counts from here.
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("order_id", "tenant_id", name="marketplace_order_sellers_seller_key"),
    )


class Payment(Timestamps, SharedBase):
    """The one payment of a marketplace order: our record of the gateway's payment intent."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id", ondelete="CASCADE"), unique=True)
    gateway: Mapped[str] = mapped_column(String(20))
    # None until the intent is created (a crash in between is finished by the recovery job).
    gateway_payment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # The intent's status (billing.gateway.port.PaymentIntentStatus), or "pending" before it exists.
    status: Mapped[str] = mapped_column(String(40), server_default="pending")
    client_secret: Mapped[str | None] = mapped_column(String(255))
    last_payment_error: Mapped[str | None] = mapped_column(String(100))
