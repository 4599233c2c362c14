"""What the platform moved to sellers' connected accounts, took back, and which orders a dispute freezes.

- `seller_transfers`: one row per (order, seller). Its amount is fixed (and
  any receivable netted) *before* the gateway is asked, in its own commit, so
  that a job retried after a crash asks again with the same amount under the
  same idempotency key `tr:{order}:{seller}` and never transfers twice.
- `transfer_recoveries`: one row per recovery of a seller's share (a refund or
  a lost dispute after the transfer), with the part to reverse fixed first for
  the same reason; what the gateway would not reverse became a receivable.
- `order_disputes`: a buyer's dispute of an order's charge; while one is open
  no transfer of that order goes out.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, checked_enum


class TransferStatus(str, enum.Enum):
    # Amount fixed, the gateway not known to have answered yet.
    PENDING = "pending"
    TRANSFERRED = "transferred"
    # Nothing left to send: refunded away, or all of it netted against a receivable.
    NOTHING_OWED = "nothing_owed"


class RecoveryStatus(str, enum.Enum):
    PENDING = "pending"
    REVERSED = "reversed"
    # The gateway refused the reversal (the money was paid out): all of it became a receivable.
    RECEIVABLE = "receivable"


class SellerTransfer(SharedBase):
    __tablename__ = "seller_transfers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    # The receivable settled from this order's share before transferring the rest.
    netted_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    status: Mapped[TransferStatus] = mapped_column(checked_enum(TransferStatus, "seller_transfer_status"))
    gateway_transfer_id: Mapped[str | None] = mapped_column(String(255))
    # As the gateway last reported it (`transfer.reversed`, or our own reversals' answers).
    amount_reversed: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    transferred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("order_id", "tenant_id", name="seller_transfers_order_seller_key"),)


class TransferRecovery(SharedBase):
    __tablename__ = "transfer_recoveries"

    # The caller's key of what is recovered (`refund:{id}`, `dispute:{id}`) and the seller: `rev:{key}:{seller}`.
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    # The part asked back from the transfer; the rest (amount − this) was owed as a receivable from the start.
    reverse_amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[RecoveryStatus] = mapped_column(checked_enum(RecoveryStatus, "transfer_recovery_status"))
    gateway_reversal_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OrderDispute(SharedBase):
    __tablename__ = "order_disputes"

    # The processor's dispute id (`dp_…`).
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    # The processor's status (billing.gateway.port.DisputeStatus) as last read.
    status: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
