"""Carts (shared schema): a guest cart found by its token's hash, or the one cart of a buyer.

A line names a seller (tenant) and one of its variants; the price and stock
the buyer saw when adding it are kept so the cart view can flag what changed.
Checkout reads the buyer's lines and re-reads prices in each seller's schema:
nothing here is trusted for money.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps

MAX_LINE_QUANTITY = 999
MAX_CART_LINES = 100


class Cart(Timestamps, SharedBase):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # SHA-256 (hex) of the opaque guest cart token; the token itself is never stored.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set by the first line, cleared when the cart empties: one currency per cart.
    currency: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        CheckConstraint("buyer_user_id IS NOT NULL OR token_hash IS NOT NULL", name="cart_has_owner"),
    )


class CartLine(SharedBase):
    __tablename__ = "cart_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(BigInteger)
    variant_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    # What the buyer saw when adding the line, to flag price and stock changes in the cart view.
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    stock_available: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (
        UniqueConstraint("cart_id", "tenant_id", "variant_id", name="cart_lines_variant_key"),
        CheckConstraint("quantity > 0", name="cart_line_quantity_positive"),
    )
