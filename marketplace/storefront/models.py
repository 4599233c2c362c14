"""Storefront tables (tenant schema): the storefront's face and policies."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import TenantBase, Timestamps


class StorefrontSettings(Timestamps, TenantBase):
    """The storefront's face and policies: one row per tenant (id is always 1)."""

    __tablename__ = "storefront_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    logo_url: Mapped[str | None] = mapped_column(String(2000))
    banner_url: Mapped[str | None] = mapped_column(String(2000))
    shipping_policy: Mapped[str] = mapped_column(Text, default="", server_default="")
    returns_policy: Mapped[str] = mapped_column(Text, default="", server_default="")
    support_email: Mapped[str | None] = mapped_column(String(254))
    # Hours the seller takes to accept or reject a paid order; null: the operator's default (ORDER_ACCEPTANCE_HOURS).
    acceptance_hours: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
