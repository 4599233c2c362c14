"""Seller orders and their lines, in the seller's own schema; stock reservations of unpaid checkouts."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, text)
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
        # The order desk's sorts (marketplace.orders.desk), each ending in the id that breaks ties,
        # so that a page of 50 is read off an index instead of sorting every order of the seller.
        Index("ix_seller_orders_paid_at_id", "paid_at", "id"),
        Index("ix_seller_orders_status_paid_at_id", "status", "paid_at", "id"),
        Index("ix_seller_orders_acceptance_due_at_id", "acceptance_due_at", "id"),
        Index("ix_seller_orders_total_amount_id", "total_amount", "id"),
        # The desk's buyer-name search, a case-insensitive prefix (LIKE 'ada%' on lower(buyer_name)):
        # text_pattern_ops serves LIKE prefixes whatever the database's collation, and the included name
        # lets the page's count be an index-only scan (PostgreSQL reads an expression's columns, not the
        # expression, from an index).
        Index("ix_seller_orders_buyer_name_prefix", text("lower(buyer_name) text_pattern_ops"),
              postgresql_include=["buyer_name"]),
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


class TrackingStatus(str, enum.Enum):
    """Where a shipment is, as its last tracking event says (`shipped` until the first event)."""

    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class TrackingSource(str, enum.Enum):
    SELLER = "seller"
    CARRIER = "carrier"


class Shipment(TenantBase):
    """A parcel of some of a seller order's units, handed to a carrier."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(60))
    # Carriers name their parcels by it: a carrier webhook finds the shipment with it.
    tracking_number: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[TrackingStatus] = mapped_column(checked_enum(TrackingStatus, "shipment_status"))
    shipped_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ShipmentLine(TenantBase):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    seller_order_line_id: Mapped[int] = mapped_column(ForeignKey("seller_order_lines.id", ondelete="CASCADE"),
                                                      index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("quantity > 0", name="shipment_line_quantity_positive"),)


class TrackingEvent(TenantBase):
    """One thing the seller or the carrier said of a shipment. Never changed."""

    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    status: Mapped[TrackingStatus] = mapped_column(checked_enum(TrackingStatus, "tracking_event_status"))
    source: Mapped[TrackingSource] = mapped_column(checked_enum(TrackingSource, "tracking_event_source"))
    # The carrier's id of the event, unique in the seller's schema: a webhook replayed is refused.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class FulfilmentSettings(TenantBase):
    """How the seller fulfils: its return window and its carrier webhook secret. One row (id 1), made on demand."""

    __tablename__ = "fulfilment_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1, autoincrement=False)
    # Days after delivery a buyer may return; None: the platform's RETURN_WINDOW_DAYS.
    return_window_days: Mapped[int | None] = mapped_column(Integer)
    # Kept as is, not hashed: checking an HMAC needs the key itself. It lives in the seller's own schema,
    # is shown once when the owner rotates it and never read back through the API.
    carrier_webhook_secret: Mapped[str | None] = mapped_column(String(100))
    carrier_webhook_secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The seller's return policy: a received return also refunds shipping, in proportion to the goods' value.
    refund_shipping_on_return: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("return_window_days >= 0", name="return_window_days_not_negative"),
    )


class ReturnStatus(str, enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"


# A return the seller still owes an answer, a parcel check or a refund: its order is not completed meanwhile.
OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED)


class Return(Timestamps, TenantBase):
    """A buyer's request to send back delivered units of one seller order, and what the seller made of it."""

    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="CASCADE"), index=True)
    buyer_user_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[ReturnStatus] = mapped_column(checked_enum(ReturnStatus, "return_status"))
    reason: Mapped[str] = mapped_column(String(500))
    # Why the seller rejected it (empty when approved).
    decision_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Fixed at receipt (minor units): the returned units' share of their lines, and of shipping if the policy says so.
    refund_goods_amount: Mapped[int | None] = mapped_column(BigInteger)
    refund_shipping_amount: Mapped[int | None] = mapped_column(BigInteger)
    # The shared `platform.refunds` row that paid it back, once the refund job has recorded it.
    refund_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # The seller's list of returns by status, newest first.
        Index("ix_returns_status_id", "status", "id"),
    )


class ReturnLine(TenantBase):
    """Units of one seller order line in a return; whether they can be sold again is known at receipt."""

    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    seller_order_line_id: Mapped[int] = mapped_column(ForeignKey("seller_order_lines.id", ondelete="CASCADE"),
                                                      index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # None until received; True: the units went back on hand with a `return` stock movement.
    resellable: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (CheckConstraint("quantity > 0", name="return_line_quantity_positive"),)
