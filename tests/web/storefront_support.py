"""A small marketplace for the storefront's page tests: two sellers shipping to Portugal, a category, four products.

    Kitchen
    oak    Blue Mug    1500  colour blue   ★ 5 (one review)
           Red Mug     1200  colour red
    iron   Blue Bowl   2000  colour blue
           Black Pan   4500  colour black

Products are written the way the catalog leaves them (variant with its stock
receipt), then listed and indexed through the jobs' own functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from marketplace.catalog.listing import apply_listings
from marketplace.catalog.models import Category, Product, ProductStatus, StockMovement, StockReason, Variant
from marketplace.search import services as search
from marketplace.shipping.services import create_rate
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

STANDARD_SHIPPING = 450
EXPRESS_SHIPPING = 1200


@dataclass(frozen=True)
class Item:
    tenant: TenantRef
    product_id: int
    variant_id: int
    slug: str
    title: str


@dataclass(frozen=True)
class Shop:
    oak: TenantRef
    iron: TenantRef
    kitchen_slug: str
    blue_mug: Item
    red_mug: Item
    blue_bowl: Item
    black_pan: Item


def build_shop(app, make_seller) -> Shop:
    oak, iron = make_seller("oak"), make_seller("iron")
    with app.app_context():
        kitchen = add_category("Kitchen")
        for tenant in (oak, iron):
            create_rate(tenant, None, {"name": "Standard", "countries": ["PT"], "kind": "flat",
                                       "amount": STANDARD_SHIPPING})
            create_rate(tenant, None, {"name": "Express", "countries": ["PT"], "kind": "flat",
                                       "amount": EXPRESS_SHIPPING})
        return Shop(
            oak=oak, iron=iron, kitchen_slug="kitchen",
            blue_mug=add_item(oak, "Blue Mug", 1500, "blue", kitchen, ratings=(5,)),
            red_mug=add_item(oak, "Red Mug", 1200, "red", kitchen),
            blue_bowl=add_item(iron, "Blue Bowl", 2000, "blue", kitchen),
            black_pan=add_item(iron, "Black Pan", 4500, "black", kitchen),
        )


def add_category(name: str) -> int:
    with UnitOfWork() as uow:
        category = Category(name=name, slug=name.lower())
        uow.session.add(category)
        uow.commit()
        return category.id


def add_item(tenant: TenantRef, title: str, price_amount: int, colour: str, category_id: int | None,
             stock: int = 5, ratings: tuple[int, ...] = ()) -> Item:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower())
    with UnitOfWork(tenant) as uow:
        product = Product(slug=slug, title=title, description=f"A {colour} piece for the kitchen",
                          status=ProductStatus.PUBLISHED, category_id=category_id, attributes={"colour": colour},
                          rating_total=sum(ratings), rating_count=len(ratings),
                          published_at=datetime.now(timezone.utc))
        uow.session.add(product)
        uow.session.flush()
        variant = Variant(product_id=product.id, sku=f"{slug.upper()}-1", price_amount=price_amount,
                          currency=tenant.currency, weight_grams=400, stock_on_hand=stock, options={"size": "M"})
        uow.session.add(variant)
        uow.session.flush()
        uow.session.add(StockMovement(variant_id=variant.id, quantity_delta=stock, reason=StockReason.RECEIPT))
        uow.commit()
        product_id, variant_id = product.id, variant.id
    apply_listings(tenant, [product_id])  # what the listing job does
    search.index_products(tenant.id, [product_id])  # what the search job does
    return Item(tenant, product_id, variant_id, slug, title)
