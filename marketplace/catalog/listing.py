"""Keeping the marketplace listing (control database) in step with each tenant's catalog.

The listing is a read model across sellers: the tenant's transaction may not
write it (it lives in another database, tenants/binding.py). Every change to a
product, its variants, its stock or its images calls `sync_listings` in its
unit of work, which records two outbox messages in the tenant's shard: the
listing job and the search index job. Each reads the products as they are
when it runs and writes its read model in a transaction of its own, keeping
only what is newer than what it holds (the product's version, bumped by every
change), so a late or repeated message never overwrites newer data.

So that a seller's change shows in the listing at once in the common case,
`apply_listings` also runs right after the commit, in the same process; the
message is what makes it certain (a crash, the control database down). Cached
reads are invalidated once the listing rows are committed.

Invalidation is as narrow as the change. A cached listing page depends on
(`marketplace.storefront.services.list_products`):
- the product scope of every product it shows: any change of the product
  bumps it (and its seller's tenant scope, on which a page filtering on the
  seller depends), so every page showing the product is recomputed;
- the membership scopes of its query, `listing_scope(dimension, category)`:
  which products it holds and in what order can change only when a product
  becomes visible or hidden, or changes a value the query filters or sorts
  on. Such a change bumps the scope of that dimension for "all" and for the
  product's old and new categories and every category above them (a category
  filter takes the whole subtree).
A stock change that leaves `in_stock` as it was, a new title or image, a
rating: only the product's and its seller's scopes. Pages showing other
products stay cached: with a hundred sellers, a page of twenty products
shows twenty sellers, so depending on sellers would empty most pages at
twenty changes a second (bench/listing_cache.py).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import (
    BigInteger, ColumnElement, Row, Select, String, Subquery, false, func, literal, select, true, tuple_, update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, aliased

from marketplace.catalog.models import Category, Product, ProductImage, ProductListing, ProductStatus, Variant
from marketplace.core.cache import invalidate, product_scope, tenant_scope
from tenants.locks import lock_selected
from tenants.models import TenantRef, TenantStatus
from tenants.registry import TenantNotFound, get_tenant_by_id
from tenants.uow import UnitOfWork

_LISTING_COLUMNS = (
    "tenant_id", "product_id", "product_slug", "title", "status", "category_id", "min_price_amount",
    "max_price_amount", "currency", "in_stock", "image_url", "rating_total", "rating_count", "published_at",
    "updated_at", "product_version",
)
_PRODUCTS_TO_APPLY = "catalog.listing_products_to_apply"
LISTING_JOB = "marketplace.catalog.jobs.apply_listings"
SEARCH_INDEX_JOB = "marketplace.search.jobs.index_products"
RESYNC_BATCH_SIZE = 1000
# Guards the walk up the category tree against a malformed one: categories are never this deep.
MAX_CATEGORY_DEPTH = 32


class ListingDimension:
    """What a listing query's membership or order depends on, beside its sellers."""

    VISIBLE = "visible"            # every query: a product published / unpublished
    NEWEST = "published_at"        # sort=newest
    PRICE = "price"                # a price bound or a price sort
    IN_STOCK = "in_stock"          # the in_stock filter
    CATEGORY = "category"          # the category filter


def listing_scope(dimension: str, category_id: int | None = None) -> str:
    """The cache scope of listing queries on `dimension`, across the marketplace or under one category."""
    return f"listing:{dimension}:{'all' if category_id is None else int(category_id)}"


def sync_listing(uow: UnitOfWork, tenant: TenantRef, product_id: int) -> None:
    """Rewrite one product's listing row from the tenant's catalog (e.g. after a rating change)."""
    sync_listings(uow, tenant, [product_id])


def sync_listings(uow: UnitOfWork, tenant: TenantRef, product_ids: Iterable[int]) -> None:
    """Have the listing and the search index take these products as `uow` (tenant-bound) commits them."""
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return
    uow.add_message(LISTING_JOB, {"tenant_id": tenant.id, "product_ids": product_ids}, queue="read_models")
    uow.add_message(SEARCH_INDEX_JOB, {"tenant_id": tenant.id, "product_ids": product_ids}, queue="search")
    _apply_after_commit(uow, tenant, product_ids)


def apply_listings(tenant: TenantRef, product_ids: list[int]) -> int:
    """Write the listing rows of these products as the tenant's catalog holds them now; return how many changed.

    Two transactions, one per database: read the tenant's rows, then upsert
    them in the control database, where a row already at the same or a newer
    version is left alone. Safe to run again and in any order.
    """
    with UnitOfWork(tenant) as uow:
        rows = [dict(row._mapping) for row in uow.session.execute(_listing_rows(tenant, product_ids))]
    if not rows:
        return 0
    with UnitOfWork() as uow:
        before = _lock_membership_values(uow.session, tenant, product_ids)
        upsert = pg_insert(ProductListing).values(rows)
        upsert = upsert.on_conflict_do_update(
            index_elements=["tenant_id", "product_id"],
            set_={name: upsert.excluded[name] for name in _LISTING_COLUMNS[2:]},
            where=ProductListing.product_version < upsert.excluded.product_version,
        ).returning(*_membership_columns())
        after = {row.product_id: row for row in uow.session.execute(upsert)}
        scopes = {tenant_scope(tenant.id), *(product_scope(tenant.id, product_id) for product_id in after)}
        scopes |= _membership_scopes(uow.session, before, after)
        uow.commit()
    if after:
        invalidate(*sorted(scopes))
    return len(after)


def _membership_columns() -> tuple:
    return (ProductListing.product_id, ProductListing.status, ProductListing.category_id,
            ProductListing.min_price_amount, ProductListing.in_stock, ProductListing.published_at)


def _lock_membership_values(session: Session, tenant: TenantRef, product_ids: list[int]) -> dict[int, Row]:
    """The listing values queries filter and sort on, as last committed, locked until this transaction ends.

    The lock makes a concurrent sync of the same product wait and then
    compare against this one's result, so no transition goes unseen.
    """
    rows = lock_selected(session, select(*_membership_columns())
                         .where(tuple_(ProductListing.tenant_id, ProductListing.product_id).in_(
                             [(tenant.id, product_id) for product_id in product_ids]))
                         .order_by(ProductListing.product_id))
    return {row.product_id: row for row in rows}


def _membership_scopes(session: Session, before: dict[int, Row], after: dict[int, Row]) -> set[str]:
    """The listing scopes whose queries may hold other products, or in another order, after this change."""
    changes: dict[str, set[int | None]] = {}
    for product_id, new in after.items():
        old = before.get(product_id)
        dimensions = _changed_dimensions(old, new)
        if dimensions:
            categories = {new.category_id} | ({old.category_id} if old is not None else set())
            for dimension in dimensions:
                changes.setdefault(dimension, set()).update(categories)
    if not changes:
        return set()
    ancestors = _ancestors_or_self(session, {category for categories in changes.values()
                                             for category in categories if category is not None})
    scopes = set()
    for dimension, categories in changes.items():
        scopes.add(listing_scope(dimension))
        for category in categories - {None}:
            scopes.update(listing_scope(dimension, ancestor) for ancestor in ancestors.get(category, {category}))
    return scopes


def _changed_dimensions(old: Row | None, new: Row) -> set[str]:
    was_visible = old is not None and old.status == ProductStatus.PUBLISHED
    is_visible = new.status == ProductStatus.PUBLISHED
    if not (was_visible or is_visible):
        return set()  # a draft or archived product is in no query's result
    if was_visible != is_visible:
        return {ListingDimension.VISIBLE}  # every query depends on this one
    compared = {
        ListingDimension.NEWEST: "published_at", ListingDimension.PRICE: "min_price_amount",
        ListingDimension.IN_STOCK: "in_stock", ListingDimension.CATEGORY: "category_id",
    }
    return {dimension for dimension, column in compared.items() if getattr(old, column) != getattr(new, column)}


def _ancestors_or_self(session: Session, category_ids: set[int]) -> dict[int, set[int]]:
    """Per category: its id and those of every category above it."""
    if not category_ids:
        return {}
    walk = select(Category.id, Category.parent_id, Category.id.label("start"), literal(0).label("depth")) \
        .where(Category.id.in_(category_ids)).cte("ancestors", recursive=True)
    parent = aliased(Category)
    walk = walk.union_all(
        select(parent.id, parent.parent_id, walk.c.start, walk.c.depth + 1)
        .where(parent.id == walk.c.parent_id, walk.c.depth < MAX_CATEGORY_DEPTH)
    )
    ancestors: dict[int, set[int]] = {}
    for category_id, start in session.execute(select(walk.c.id, walk.c.start)):
        ancestors.setdefault(start, set()).add(category_id)
    return ancestors


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
            literal(tenant.id, BigInteger).label("tenant_id"), Product.id.label("product_id"),
            Product.slug.label("product_slug"), Product.title, Product.status, Product.category_id,
            figures.c.min_price_amount, figures.c.max_price_amount, literal(tenant.currency, String).label("currency"),
            func.coalesce(figures.c.in_stock, false()).label("in_stock"), first_image_url.label("image_url"),
            Product.rating_total, Product.rating_count, Product.published_at, func.now().label("updated_at"),
            Product.version.label("product_version"),
        )
        .outerjoin(figures, figures.c.product_id == Product.id)
        .where(Product.id.in_(product_ids))
    )


def _apply_after_commit(uow: UnitOfWork, tenant: TenantRef, product_ids: list[int]) -> None:
    # Once per unit of work, however many products it synced: later syncs add to the same set.
    pending = uow.session.info.get(_PRODUCTS_TO_APPLY)
    if pending is not None:
        pending.update(product_ids)
        return
    uow.session.info[_PRODUCTS_TO_APPLY] = pending = set(product_ids)

    def apply_pending() -> None:
        uow.session.info.pop(_PRODUCTS_TO_APPLY, None)
        # The product's own page reads the tenant schema: fresh at once, whatever happens to the listing.
        invalidate(tenant_scope(tenant.id), *(product_scope(tenant.id, product_id) for product_id in sorted(pending)))

    uow.after_commit(apply_pending)
    uow.apply_after_commit(lambda: apply_listings(tenant, sorted(pending)), "listing rows", tenant_id=tenant.id)


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
