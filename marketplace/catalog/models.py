"""Catalog tables.

Tenant schema: products, their images and variants, stock movements and CSV
imports (reviews are in marketplace.reviews.models). Shared schema: the operator's category tree and the product
listing, the read model behind the marketplace-wide listing (one row per
product, written in the same transaction as the product, so a change is
visible on the next read).
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import SharedBase, TenantBase, Timestamps, checked_enum


class ProductStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class StockReason(str, enum.Enum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    SALE = "sale"
    RETURN = "return"
    RESERVATION = "reservation"
    RESERVATION_RELEASE = "reservation_release"
    # Units of a rejected or cancelled seller order, back on hand.
    CANCELLATION = "cancellation"


class ImportStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Category(Timestamps, SharedBase):
    """A node of the operator-managed category tree."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)


class Product(Timestamps, TenantBase):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ProductStatus] = mapped_column(
        checked_enum(ProductStatus, "product_status"),
        default=ProductStatus.DRAFT,
        server_default=ProductStatus.DRAFT.value,
    )
    # Bumped on every change: search indexing uses it as the external version.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # A platform category (shared schema); no foreign key across schemas, the service checks it.
    category_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Facet attributes, e.g. {"material": "stoneware", "colour": "blue"}.
    attributes: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    # Kept by the review service: the average is total / count, never a float column.
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position"
    )
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Variant.id"
    )


class ProductImage(TenantBase):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    alt: Mapped[str] = mapped_column(String(300), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    product: Mapped[Product] = relationship(back_populates="images")


class Variant(Timestamps, TenantBase):
    """A sellable SKU of a product. Prices are integer minor units of the tenant's currency."""

    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    # e.g. {"size": "M", "colour": "red"}
    options: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    price_amount: Mapped[int] = mapped_column(BigInteger)
    compare_at_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    # The sum of this variant's stock movements, kept in the movement's transaction.
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Units held by unpaid checkouts (the sum of this variant's open reservations); they leave stock on hand
    # only when the order is paid and routed (a sale movement), or come back when the reservation is released.
    stock_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    product: Mapped[Product] = relationship(back_populates="variants")

    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("compare_at_amount IS NULL OR compare_at_amount >= 0", name="compare_at_not_negative"),
        CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        CheckConstraint("stock_reserved >= 0 AND stock_reserved <= stock_on_hand", name="reserved_within_on_hand"),
    )

    @property
    def stock_available(self) -> int:
        """What a buyer can still put in a cart and check out: on hand minus reserved."""
        return self.stock_on_hand - self.stock_reserved


class StockMovement(TenantBase):
    """One change of a variant's stock; stock on hand is the sum of these."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    quantity_delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[StockReason] = mapped_column(checked_enum(StockReason, "stock_reason"))
    note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (CheckConstraint("quantity_delta <> 0", name="delta_not_zero"),)


class CatalogImport(Timestamps, TenantBase):
    """A CSV upload and the report of the job that imported it."""

    __tablename__ = "catalog_imports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[ImportStatus] = mapped_column(
        checked_enum(ImportStatus, "import_status"), default=ImportStatus.QUEUED,
        server_default=ImportStatus.QUEUED.value,
    )
    filename: Mapped[str] = mapped_column(String(255), default="", server_default="")
    csv_text: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    row_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    imported_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # [{"line": 7, "errors": {"price_amount": ["..."]}}, ...]
    row_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))


class ProductListing(SharedBase):
    """One published-or-not product as the marketplace listing reads it (shared schema).

    Written by the listing job (catalog/listing.py) from the tenant's catalog,
    in the control database's own transaction. The seller's status is not
    copied here: listing queries join the registry, so
    suspending a seller hides its products at once.
    """

    __tablename__ = "product_listings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProductStatus] = mapped_column(checked_enum(ProductStatus, "listing_status"))
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    min_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    max_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    in_stock: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # The product's version this row shows: the listing job never replaces a row with an older one.
    product_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        UniqueConstraint("tenant_id", "product_slug"),
        Index("ix_product_listings_published_newest", "published_at", "tenant_id", "product_id",
              postgresql_where=text("status = 'published'")),
        Index("ix_product_listings_published_price", "min_price_amount", "tenant_id", "product_id",
              postgresql_where=text("status = 'published'")),
        Index("ix_product_listings_category", "category_id", postgresql_where=text("status = 'published'")),
    )
