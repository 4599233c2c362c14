"""Arranging catalog state for the read tests: categories, products with their listing row, purchases.

Rows are written straight to the tables, the way the catalog service leaves
them (product, variants, image and the listing row in one transaction), so
these tests do not depend on the seller-side API.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from marketplace.catalog.listing import apply_listings
from marketplace.catalog.models import Category, Product, ProductImage, ProductStatus, Variant
from marketplace.checkout.models import MarketplaceOrder, MarketplaceOrderLine, OrderSellerPart
from marketplace.storefront.models import StorefrontSettings
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Sku:
    sku: str
    price_amount: int
    stock_on_hand: int = 5
    compare_at_amount: int | None = None
    options: tuple[tuple[str, str], ...] = ()


def add_category(name: str, parent_id: int | None = None) -> int:
    with UnitOfWork() as uow:
        category = Category(name=name, slug=name.lower().replace(" ", "-"), parent_id=parent_id)
        uow.session.add(category)
        uow.session.flush()
        uow.commit()
        return category.id


def add_product(tenant: TenantRef, slug: str, *, skus: tuple[Sku, ...] | None = None,
                status: ProductStatus = ProductStatus.PUBLISHED, category_id: int | None = None,
                published_minutes: int = 0, title: str | None = None, description: str = "",
                attributes: dict[str, str] | None = None, image_urls: tuple[str, ...] = ()) -> int:
    """A product with variants and images, and its listing row; returns the product id.

    `published_minutes` after EPOCH orders products by newness.
    """
    skus = skus if skus is not None else (Sku(f"{slug}-1", 1000),)
    published_at = EPOCH + timedelta(minutes=published_minutes) if status is ProductStatus.PUBLISHED else None
    with UnitOfWork(tenant) as uow:
        product = Product(
            slug=slug, title=title or slug.replace("-", " ").title(), description=description, status=status,
            category_id=category_id, attributes=attributes or {}, published_at=published_at,
            images=[ProductImage(url=url, alt=f"Photo {position}", position=position)
                    for position, url in enumerate(image_urls)],
            variants=[Variant(sku=sku.sku, price_amount=sku.price_amount, compare_at_amount=sku.compare_at_amount,
                              currency=tenant.currency, stock_on_hand=sku.stock_on_hand, options=dict(sku.options))
                      for sku in skus],
        )
        uow.session.add(product)
        uow.session.flush()
        uow.commit()
    apply_listings(tenant, [product.id])  # what the listing job does
    return product.id


def set_storefront(tenant: TenantRef, **settings) -> None:
    with UnitOfWork(tenant) as uow:
        uow.session.add(StorefrontSettings(id=1, **settings))
        uow.commit()


def add_purchase(buyer_user_id: int, tenant: TenantRef, product_id: int, sku: str = "sku",
                 seller_order_status: str = "delivered") -> int:
    """A paid order of the buyer with one line of this product (what checkout will write); returns the line id.

    The seller's part shows `seller_order_status`, as the seller order's moves leave it for the buyer.
    """
    with UnitOfWork() as uow:
        order = MarketplaceOrder(buyer_user_id=buyer_user_id, currency=tenant.currency)
        uow.session.add(order)
        uow.session.flush()
        uow.session.add(OrderSellerPart(order_id=order.id, tenant_id=tenant.id, seller_name=tenant.slug,
                                        shipping_rate_id=1, shipping_name="Standard", subtotal_amount=1000,
                                        shipping_amount=0, total_amount=1000, status=seller_order_status))
        line = MarketplaceOrderLine(order_id=order.id, tenant_id=tenant.id, product_id=product_id, variant_id=1,
                                    sku=sku, title="Bought product", quantity=1, unit_price_amount=1000)
        uow.session.add(line)
        uow.session.flush()
        uow.commit()
        return line.id


def slugs(response) -> list[str]:
    """The product slugs of a listing response, in order."""
    return [item["slug"] for item in response.get_json()]


# The paths of the `shop` / `mug` fixtures in conftest.py.
LISTING = "/api/v1/products"
DETAIL = "/api/v1/products/shop/mug"
PROFILE = "/api/v1/sellers/shop"
