"""Review tables (tenant schema): a buyer's review of a product they bought."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, SmallInteger, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import TenantBase, Timestamps


class Review(Timestamps, TenantBase):
    """A buyer's review of a product, one per purchased order line."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    # The marketplace order line (shared schema) that proves the purchase.
    order_line_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    buyer_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    seller_reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
