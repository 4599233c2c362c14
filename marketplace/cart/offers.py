"""What a seller offers now for the variants a cart holds: one tenant-bound read per seller.

The cart keeps only ids, quantities and what the buyer saw when adding a
line; title, price, stock and whether the product is on sale are read from
the seller's own schema, fresh, every time a cart is shown or changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from marketplace.catalog.models import Product, ProductImage, ProductStatus, Variant
from tenants.models import TenantRef
from tenants.uow import UnitOfWork


@dataclass(frozen=True)
class Offer:
    """A variant as a buyer can buy it now (published or not: `on_sale` says)."""

    variant_id: int
    product_id: int
    product_slug: str
    title: str
    sku: str
    options: dict[str, str]
    unit_price_amount: int
    currency: str
    weight_grams: int | None
    available_quantity: int
    on_sale: bool
    image_url: str | None


def read_offers(tenant: TenantRef, variant_ids: Iterable[int]) -> dict[int, Offer]:
    """The offers of these variants of one seller, by variant id, in one query; a deleted variant is absent."""
    wanted_ids = sorted(set(variant_ids))
    if not wanted_ids:
        return {}
    first_image_url = (select(ProductImage.url).where(ProductImage.product_id == Product.id)
                       .order_by(ProductImage.position, ProductImage.id).limit(1).scalar_subquery())
    statement = (
        select(Variant.id, Variant.product_id, Product.slug, Product.title, Variant.sku, Variant.options,
               Variant.price_amount, Variant.currency, Variant.weight_grams,
               # Variant.stock_available, in SQL: on hand minus what unpaid checkouts reserve.
               (Variant.stock_on_hand - Variant.stock_reserved).label("available_quantity"),
               (Product.status == ProductStatus.PUBLISHED).label("on_sale"), first_image_url.label("image_url"))
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(wanted_ids))
    )
    with UnitOfWork(tenant) as uow:
        rows = uow.session.execute(statement).all()
    return {row.id: Offer(variant_id=row.id, product_id=row.product_id, product_slug=row.slug, title=row.title,
                          sku=row.sku, options=row.options, unit_price_amount=row.price_amount,
                          currency=row.currency, weight_grams=row.weight_grams,
                          available_quantity=row.available_quantity, on_sale=row.on_sale, image_url=row.image_url)
            for row in rows}
