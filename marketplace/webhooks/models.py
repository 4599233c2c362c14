"""Webhook endpoints of a seller, the deliveries of each event to each of them, and every attempt, in its schema."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.orders.models import ReturnStatus, SellerOrderStatus
from tenants.db import TenantBase, checked_enum

SELLER_ORDER_CREATED = "seller_order.created"
SHIPMENT_CREATED = "shipment.created"
SHIPMENT_TRACKING_UPDATED = "shipment.tracking_updated"
# Every event a seller may subscribe to, in the one place that lists them: a move of a seller order is
# `seller_order.<status it moved to>`. An event type added here is offered to sellers at once.
EVENT_TYPES: tuple[str, ...] = (
    SELLER_ORDER_CREATED,
    *(f"seller_order.{status.value}" for status in SellerOrderStatus if status is not SellerOrderStatus.AWAITING_ACCEPTANCE),
    SHIPMENT_CREATED,
    SHIPMENT_TRACKING_UPDATED,
    # A buyer's return of delivered units: `return.<status it reached>`.
    *(f"return.{status.value}" for status in ReturnStatus),
)


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    # Out of attempts (WEBHOOK_MAX_ATTEMPTS): final until the seller replays it.
    FAILED = "failed"


class WebhookEndpoint(TenantBase):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    # Kept as is: signing needs the key itself. Shown once, at creation or rotation; never read back.
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    description: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(TenantBase):
    """One event for one endpoint. The event id is the same for every endpoint of one event."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(String(60))
    marketplace_order_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[DeliveryStatus] = mapped_column(checked_enum(DeliveryStatus, "webhook_delivery_status"),
                                                   server_default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    last_response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (
        # The order rule: an endpoint's deliveries of one order, oldest first (which one is next to send).
        Index("ix_webhook_deliveries_endpoint_id_marketplace_order_id_id", "endpoint_id", "marketplace_order_id",
              "id"),
        # The retry sweep reads only the pending ones, by due time.
        Index("ix_webhook_deliveries_pending_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'")),
    )


class WebhookAttempt(TenantBase):
    """One POST of a delivery: when, how long, and what came back (a status code or an error)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
