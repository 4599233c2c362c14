"""Keeping the marketplace listing (shared schema) in step with each tenant's catalog.

Every change to a product, its variants, its stock or its images calls
`sync_listings` in the same unit of work: one INSERT … SELECT reads the
tenant's tables and upserts the listing rows, so the listing commits or rolls
back with the change itself. Cached reads of the tenant and of the marketplace
are invalidated once the transaction has committed, and an outbox message asks
the search queue to re-index the products (the caller has bumped their
versions, which the index uses to refuse stale writes).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import BigInteger, ColumnElement, Select, String, Subquery, false, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from marketplace.cache import MARKET_SCOPE, invalidate, tenant_scope
from marketplace.catalog.models import Product, ProductImage, ProductListing, Variant
from tenants.models import TenantRef, TenantStatus
from tenants.registry import TenantNotFound, get_tenant_by_id
from tenants.uow import UnitOfWork

_LISTING_COLUMNS = (
    "tenant_id", "product_id", "product_slug", "title", "status", "category_id", "min_price_amount",
    "max_price_amount", "currency", "in_stock", "image_url", "rating_total", "rating_count", "published_at",
    "updated_at",
)
_INVALIDATION_SCHEDULED = "catalog.listing_invalidation_scheduled"
SEARCH_INDEX_JOB = "marketplace.search.jobs.index_products"
RESYNC_BATCH_SIZE = 1000


def sync_listing(uow: UnitOfWork, tenant: TenantRef, product_id: int) -> None:
    """Rewrite one product's listing row from the tenant's catalog (e.g. after a rating change)."""
    sync_listings(uow, tenant, [product_id])


def sync_listings(uow: UnitOfWork, tenant: TenantRef, product_ids: Iterable[int]) -> None:
    """Rewrite the listing rows of these products, in `uow`'s transaction (a tenant-bound one)."""
    product_ids = list(product_ids)
    if not product_ids:
        return
    uow.session.flush()
    upsert = pg_insert(ProductListing).from_select(_LISTING_COLUMNS, _listing_rows(tenant, product_ids))
    upsert = upsert.on_conflict_do_update(
        index_elements=["tenant_id", "product_id"],
        set_={name: upsert.excluded[name] for name in _LISTING_COLUMNS[2:]},
    )
    uow.session.execute(upsert)
    uow.add_message(SEARCH_INDEX_JOB, {"tenant_id": tenant.id, "product_ids": product_ids}, queue="search")
    _invalidate_after_commit(uow, tenant)


def variant_figures(product_ids: Iterable[int] | Select) -> Subquery:
    """Per product among `product_ids`: its variants' lowest and highest price and whether any is in stock.

    A product without variants has no row (outer-join it).
    """
    return (
        select(
            Variant.product_id,
            func.min(Variant.price_amount).label("min_price_amount"),
            func.max(Variant.price_amount).label("max_price_amount"),
            func.bool_or(Variant.stock_on_hand > 0).label("in_stock"),
        )
        .where(Variant.product_id.in_(product_ids))
        .group_by(Variant.product_id)
        .subquery()
    )


def _listing_rows(tenant: TenantRef, product_ids: list[int]):
    figures = variant_figures(product_ids)
    first_image_url = (
        select(ProductImage.url)
        .where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )
    return (
        select(
            literal(tenant.id, BigInteger), Product.id, Product.slug, Product.title, Product.status,
            Product.category_id, figures.c.min_price_amount, figures.c.max_price_amount,
            literal(tenant.currency, String), func.coalesce(figures.c.in_stock, false()), first_image_url,
            Product.rating_total, Product.rating_count, Product.published_at, func.now(),
        )
        .outerjoin(figures, figures.c.product_id == Product.id)
        .where(Product.id.in_(product_ids))
    )


def _invalidate_after_commit(uow: UnitOfWork, tenant: TenantRef) -> None:
    # Once per unit of work, however many products it synced.
    if uow.session.info.get(_INVALIDATION_SCHEDULED):
        return
    uow.session.info[_INVALIDATION_SCHEDULED] = True

    def invalidate_tenant_and_market() -> None:
        uow.session.info.pop(_INVALIDATION_SCHEDULED, None)
        invalidate(tenant_scope(tenant.id), MARKET_SCOPE)

    uow.after_commit(invalidate_tenant_and_market)


def resync_products(tenant: TenantRef, condition: ColumnElement[bool]) -> int:
    """Bump the version of every product matching `condition` and sync it; returns how many.

    For changes outside the product that its derived views show (its
    category's name or place in the tree, its seller's name): the new version
    lets the search index take the rebuilt document over the old one. One
    transaction per batch of RESYNC_BATCH_SIZE; safe to run again.
    """
    resynced = 0
    after_id = 0
    while True:
        with UnitOfWork(tenant) as uow:
            batch = (select(Product.id).where(condition, Product.id > after_id)
                     .order_by(Product.id).limit(RESYNC_BATCH_SIZE))
            product_ids = sorted(uow.session.scalars(
                update(Product).where(Product.id.in_(batch.scalar_subquery()))
                .values(version=Product.version + 1).returning(Product.id)
            ).all())
            if not product_ids:
                return resynced
            sync_listings(uow, tenant, product_ids)
            uow.commit()
        resynced += len(product_ids)
        after_id = product_ids[-1]


def resync_seller_products(tenant_id: int) -> int:
    """Resync every product of a seller (renamed: documents show its name); 0 if it has no catalog now."""
    try:
        tenant = get_tenant_by_id(tenant_id)
    except TenantNotFound:
        return 0
    if tenant.status == TenantStatus.CLOSED:
        return 0
    return resync_products(tenant, true())
