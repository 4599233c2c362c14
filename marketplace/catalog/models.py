"""Catalog tables (tenant schema)."""
from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Enum, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import TenantBase, Timestamps


class ProductStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Product(Timestamps, TenantBase):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ProductStatus] = mapped_column(
        # A checked VARCHAR rather than a PostgreSQL enum type: adding a state
        # later is a one-line migration, not ALTER TYPE across every tenant.
        Enum(ProductStatus, name="product_status", native_enum=False, create_constraint=True, length=20,
             values_callable=lambda e: [m.value for m in e]),
        default=ProductStatus.DRAFT,
        server_default=ProductStatus.DRAFT.value,
    )
    # Bumped on every change: search indexing uses it as the external version.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
