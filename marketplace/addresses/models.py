"""The address book (shared schema): a buyer's shipping addresses, at most one of them the default."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps

MAX_ADDRESSES_PER_USER = 20


class Address(Timestamps, SharedBase):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="", server_default="")
    city: Mapped[str] = mapped_column(String(120))
    # A subdivision code where the country has a list of them (US state, CA province, ...), else free text.
    region: Mapped[str] = mapped_column(String(120), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (
        # The database keeps "one default at most" true whatever a service does.
        Index("uq_addresses_default_user_id", "user_id", unique=True, postgresql_where=text("is_default")),
    )
