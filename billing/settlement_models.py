"""What settlement recorded of each paid order: one row per (order, seller), one per refund posted.

Transfers and statements read these rather than recompute them: the split is
decided once, when the order settles, with the processor's fee as it was.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase


class SellerSettlement(SharedBase):
    """One seller's part of a settled order, in the order's currency: net = gross − commission − fee_share."""

    __tablename__ = "seller_settlements"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    gross: Mapped[int] = mapped_column(BigInteger)
    commission: Mapped[int] = mapped_column(BigInteger)
    fee_share: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # The ledger transaction `settle:{order_id}` that posted it (with the order's other sellers).
    ledger_transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # Also the index of an order's settlement (order_id comes first).
        UniqueConstraint("order_id", "tenant_id", name="seller_settlements_order_seller_key"),
    )


class SettledRefund(SharedBase):
    """A succeeded refund as posted to the ledger: what the seller bore and the commission given back."""

    __tablename__ = "settled_refunds"

    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    commission_returned: Mapped[int] = mapped_column(BigInteger)
    # amount − commission_returned: what leaves the seller's payable (recovered from it by the transfers work).
    seller_share: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ledger_transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
