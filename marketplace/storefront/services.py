"""Public catalog reads: the marketplace listing, product detail and seller profiles, cached in Redis.

A buyer only ever sees published products of active sellers. The listing reads
the shared read model joined with the tenant registry, so a suspended seller's
products drop out at once; detail and profile read the seller's own schema.

Every read returns JSON-ready dicts and is cached: detail and profile under the
seller's tenant scope, product category paths under the marketplace scope.
The listing is cached as whole responses only (`storefront.response_cache`),
each page depending on the scopes of what it shows and of what its query
filters and sorts on (`list_products`), so a change empties only the pages
it can alter. Writers invalidate those scopes after they commit (product
changes, seller status and settings, category changes, reviews), so the next
read is fresh. A cached read of a seller costs one Redis round trip: the
process remembers which tenant id a slug names, and each computed value
checks the seller's status itself.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.orm import Session, aliased, selectinload

from marketplace.core.cache import (
    MARKET_SCOPE, cached, cached_many, depend_on, product_scope, seller_face_scope, tenant_scope,
)
from marketplace.catalog.categories import descendant_ids
from marketplace.catalog.listing import ListingDimension, listing_scope
from marketplace.catalog.models import Category, Product, ProductListing, ProductStatus
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.reviews.ratings import average_rating
from marketplace.storefront.settings import get_storefront_settings
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.registry import TenantNotFound, get_tenant_by_slug, slug_for_verified_host
from tenants.uow import UnitOfWork

MAX_PRODUCT_SLUG_LENGTH = 120
PROFILE_PRODUCTS_PAGE = PageRequest(number=1, size=20)
# A guard against a malformed tree: categories are never this deep.
MAX_CATEGORY_DEPTH = 32


class ListingSort(str, enum.Enum):
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"


@dataclass(frozen=True)
class ListingFilters:
    category_id: int | None = None
    seller_slug: str | None = None
    currency: str | None = None
    min_price_amount: int | None = None
    max_price_amount: int | None = None
    in_stock: bool | None = None
    sort: ListingSort = ListingSort.NEWEST


@dataclass(frozen=True)
class PublicSeller:
    """An active seller as buyers see it: enough to bind its schema and to name it."""

    tenant: TenantRef
    name: str


class ProductNotFound(NotFound):
    def __init__(self, seller_slug: str, product_slug: str):
        super().__init__("This seller has no product with this slug.")
        self.seller_slug = seller_slug
        self.product_slug = product_slug


class UnknownCategory(ValidationFailed):
    def __init__(self, category_id: int):
        super().__init__("There is no such category.", errors={"category_id": ["There is no such category."]})
        self.category_id = category_id


# The marketplace listing

def list_products(filters: ListingFilters, page_request: PageRequest) -> Page[dict[str, Any]]:
    """One page of published products of active sellers, filtered and sorted.

    Cached as a whole response by the route (which also depends on the
    marketplace scope: category tree, seller status). Here it records the
    narrower scopes the page depends on, each before reading what it guards:
    first those of the query's result set, then, once the page's products
    are known and before their rows are read, the scope of each product shown
    and the face (name) of each seller shown.
    """
    depend_on(*_query_scopes(filters))
    category_ids = None
    if filters.category_id is not None:
        category_ids = descendant_ids(filters.category_id)
        if not category_ids:
            raise UnknownCategory(filters.category_id)
    with UnitOfWork() as uow:
        keys = fetch_page(uow.session, _listing_statement(filters, category_ids, _LISTING_KEY), page_request)
        depend_on(*(product_scope(tenant_id, product_id) for tenant_id, product_id in keys.items),
                  *(seller_face_scope(tenant_id) for tenant_id, _ in keys.items))
        rows = _listing_rows_by_key(uow.session, [tuple(key) for key in keys.items])
    return Page([_listing_item(row) for row in rows], keys.total)


def _query_scopes(filters: ListingFilters) -> list[str]:
    """The scopes of what can change which products a query selects, or their order."""
    if filters.seller_slug is not None:
        # Every change of a seller's products bumps its scope. Read from the registry, not the
        # remembered ids: a wrong id here would not be caught by the computation.
        with UnitOfWork() as uow:
            tenant_id = uow.session.scalar(select(Tenant.id).where(Tenant.slug == filters.seller_slug))
        if tenant_id is not None:
            return [tenant_scope(tenant_id)]
        # No such seller yet: the result stays empty until one is made and publishes a product.
    dimensions = [ListingDimension.VISIBLE]
    if filters.sort is ListingSort.NEWEST:
        dimensions.append(ListingDimension.NEWEST)
    if filters.sort is not ListingSort.NEWEST or filters.min_price_amount is not None \
            or filters.max_price_amount is not None:
        dimensions.append(ListingDimension.PRICE)
    if filters.in_stock is not None:
        dimensions.append(ListingDimension.IN_STOCK)
    if filters.category_id is not None:
        dimensions.append(ListingDimension.CATEGORY)
    return [listing_scope(dimension, filters.category_id) for dimension in dimensions]


def _listing_rows_by_key(session: Session, keys: list[tuple[int, int]]) -> list[Any]:
    """The listing rows of these (tenant id, product id), in that order; one that has just gone is left out."""
    if not keys:
        return []
    rows = session.execute(
        _listing_statement(ListingFilters()).order_by(None)
        .where(tuple_(ProductListing.tenant_id, ProductListing.product_id).in_(keys))
    ).all()
    by_key = {(row.tenant_id, row.product_id): row for row in rows}
    return [by_key[key] for key in keys if key in by_key]


_LISTING_KEY = (ProductListing.tenant_id, ProductListing.product_id)


def _listing_statement(filters: ListingFilters, category_ids: list[int] | None = None,
                       columns: tuple | None = None) -> Select:
    """The listing rows `filters` select (`columns` of them, else all the listing shows).

    `category_ids` is the filter's category and every one below it.
    """
    listing = ProductListing
    columns = columns or (
        listing.tenant_id, listing.product_id, Tenant.slug.label("seller_slug"),
        Tenant.display_name.label("seller_name"), listing.product_slug, listing.title, listing.category_id,
        listing.min_price_amount, listing.max_price_amount, listing.currency, listing.in_stock, listing.image_url,
        listing.rating_total, listing.rating_count, listing.published_at)
    statement = (
        select(*columns)
        .join(Tenant, Tenant.id == listing.tenant_id)
        .where(listing.status == ProductStatus.PUBLISHED, Tenant.status == TenantStatus.ACTIVE)
    )
    if category_ids is not None:
        statement = statement.where(listing.category_id.in_(category_ids))
    if filters.seller_slug is not None:
        statement = statement.where(Tenant.slug == filters.seller_slug)
    if filters.currency is not None:
        statement = statement.where(listing.currency == filters.currency)
    # Price bounds apply to the "from" price, the one the listing shows and sorts by.
    if filters.min_price_amount is not None:
        statement = statement.where(listing.min_price_amount >= filters.min_price_amount)
    if filters.max_price_amount is not None:
        statement = statement.where(listing.min_price_amount <= filters.max_price_amount)
    if filters.in_stock is not None:
        statement = statement.where(listing.in_stock.is_(filters.in_stock))
    return statement.order_by(*_LISTING_ORDERS[filters.sort])


# The primary key ends every order, so pages never overlap or skip a product.
_LISTING_ORDERS = {
    ListingSort.NEWEST: (ProductListing.published_at.desc(), ProductListing.tenant_id.desc(),
                         ProductListing.product_id.desc()),
    ListingSort.PRICE_ASC: (ProductListing.min_price_amount.asc().nulls_last(), ProductListing.tenant_id.asc(),
                            ProductListing.product_id.asc()),
    ListingSort.PRICE_DESC: (ProductListing.min_price_amount.desc().nulls_last(), ProductListing.tenant_id.desc(),
                             ProductListing.product_id.desc()),
}


def _listing_item(row) -> dict[str, Any]:
    return {
        "seller": {"slug": row.seller_slug, "name": row.seller_name},
        "slug": row.product_slug,
        "title": row.title,
        "category_id": row.category_id,
        "min_price_amount": row.min_price_amount,
        "max_price_amount": row.max_price_amount,
        "currency": row.currency,
        "in_stock": row.in_stock,
        "image_url": row.image_url,
        "rating": rating(row.rating_total, row.rating_count),
        "published_at": _iso(row.published_at),
    }


# Sellers

class _StaleTenantId(Exception):
    """The remembered tenant id of a slug names another tenant (the database was reset, e.g. between tests)."""


# slug -> tenant id. A slug names one tenant for good: tenants are never renamed
# or deleted (a closed one keeps its row), so only a database reset can make an
# entry wrong, and every computed read checks it (_StaleTenantId).
_tenant_ids_by_slug: dict[str, int] = {}


def _cached_seller_reads(slug: str, lookups: Callable[[int], tuple]) -> list[Any]:
    """The cached values `lookups(tenant_id)` names for the seller with this slug."""
    # A second try, after forgetting an id found stale, looks the slug up afresh.
    for _ in range(2):
        tenant_id = _tenant_id(slug)
        try:
            return cached_many(*lookups(tenant_id))
        except _StaleTenantId:
            _tenant_ids_by_slug.pop(slug, None)
    raise TenantNotFound(slug)


def seller_scope(slug: str) -> str:
    """The cache scope of the seller with this slug; TenantNotFound if no seller has it."""
    return tenant_scope(_tenant_id(slug))


def _tenant_id(slug: str) -> int:
    tenant_id = _tenant_ids_by_slug.get(slug)
    if tenant_id is not None:
        return tenant_id
    tenant_id = _tenant_ids_by_slug[slug] = get_tenant_by_slug(slug).id
    return tenant_id


def _seller_if_active(tenant_id: int, slug: str) -> PublicSeller | None:
    """The seller `tenant_id` names if it is active; None if it is not; _StaleTenantId if the slug is not its."""
    with UnitOfWork() as uow:
        tenant = uow.session.get(Tenant, tenant_id)
        if tenant is None or tenant.slug != slug:
            raise _StaleTenantId(slug)
        if tenant.status != TenantStatus.ACTIVE:
            return None
        return PublicSeller(tenant=tenant.ref(), name=tenant.display_name)


def get_seller_profile(slug: str) -> dict[str, Any]:
    """An active seller's storefront face and policies, its rating and its newest products."""
    [profile] = _cached_seller_reads(slug, lambda tenant_id: (
        (tenant_scope(tenant_id), f"profile:{slug}", lambda: _compute_profile(tenant_id, slug)),
    ))
    if profile is None:
        raise TenantNotFound(slug)  # not active: buyers cannot tell it from one that never existed
    return profile


def get_storefront_for_host(hostname: str) -> dict[str, Any]:
    """The profile of the active seller whose verified custom domain is `hostname`; NotFound for any other host."""
    slug = slug_for_verified_host(hostname.lower().removesuffix("."))
    if slug is None:
        raise NotFound("No storefront is served on this host.")
    return get_seller_profile(slug)


def _compute_profile(tenant_id: int, slug: str) -> dict[str, Any] | None:
    seller = _seller_if_active(tenant_id, slug)
    if seller is None:
        return None
    settings = get_storefront_settings(seller.tenant)
    with UnitOfWork() as uow:
        rating_total, rating_count = _seller_rating(uow.session, seller.tenant.id)
        products = fetch_page(uow.session, _listing_statement(ListingFilters(seller_slug=seller.tenant.slug)),
                              PROFILE_PRODUCTS_PAGE)
    return {
        "slug": seller.tenant.slug,
        "display_name": settings["display_name"],
        "description": settings["description"],
        "logo_url": settings["logo_url"],
        "banner_url": settings["banner_url"],
        "policies": {"shipping": settings["shipping_policy"], "returns": settings["returns_policy"]},
        "support_email": settings["support_email"],
        "rating": rating(rating_total, rating_count),
        "product_count": products.total,
        "products": [_listing_item(row) for row in products.items],
    }


def _seller_rating(session: Session, tenant_id: int) -> tuple[int, int]:
    # Every product counts, archived ones too: a seller's record does not vanish with a product.
    return session.execute(
        select(func.coalesce(func.sum(ProductListing.rating_total), 0),
               func.coalesce(func.sum(ProductListing.rating_count), 0))
        .where(ProductListing.tenant_id == tenant_id)
    ).one()


# Product detail

def get_product(seller_slug: str, product_slug: str) -> dict[str, Any]:
    """A published product of an active seller, with its variants, images, category path and rating."""
    if len(product_slug) > MAX_PRODUCT_SLUG_LENGTH:
        raise ProductNotFound(seller_slug, product_slug)
    name = f"{seller_slug}:{product_slug}"
    # The category path is cached marketplace-wide, apart from the product:
    # operators' category changes invalidate the marketplace scope, not every seller's.
    # A miss is cached too (as None): unknown slugs cost no query until the catalog changes.
    detail, path = _cached_seller_reads(seller_slug, lambda tenant_id: (
        (tenant_scope(tenant_id), f"product:{name}", lambda: _compute_product(tenant_id, seller_slug, product_slug)),
        (MARKET_SCOPE, f"category-path:{tenant_id}:{name}",
         lambda: _compute_category_path(tenant_id, seller_slug, product_slug)),
    ))
    if detail is None:
        raise ProductNotFound(seller_slug, product_slug)
    if _path_end(path) != detail["category_id"]:
        # The product moved to another category since the path was cached (a product change bumps
        # only its seller's scope): read the path of the category it is in now, cached by category.
        category_id = detail["category_id"]
        path = cached(MARKET_SCOPE, f"category-path:{category_id}", lambda: _category_path_of(category_id))
    return {**detail, "category_path": path}


def _path_end(path: list[dict[str, Any]]) -> int | None:
    return path[-1]["id"] if path else None


def _compute_product(tenant_id: int, seller_slug: str, product_slug: str) -> dict[str, Any] | None:
    seller = _seller_if_active(tenant_id, seller_slug)
    if seller is None:
        return None
    with UnitOfWork(seller.tenant) as uow:
        product = uow.session.scalar(
            select(Product)
            .where(Product.slug == product_slug, Product.status == ProductStatus.PUBLISHED)
            .options(selectinload(Product.images), selectinload(Product.variants))
        )
        if product is None:
            return None
        return {
            "seller": {"slug": seller.tenant.slug, "name": seller.name},
            "slug": product.slug,
            "title": product.title,
            "description": product.description,
            "attributes": product.attributes,
            "images": [{"url": image.url, "alt": image.alt} for image in product.images],
            "variants": [_variant(variant) for variant in product.variants],
            "category_id": product.category_id,
            "rating": rating(product.rating_total, product.rating_count),
            "published_at": _iso(product.published_at),
        }


def _variant(variant) -> dict[str, Any]:
    # Buyers learn whether a variant can be bought, never how many are left.
    return {"id": variant.id, "sku": variant.sku, "options": variant.options, "price_amount": variant.price_amount,
            "compare_at_amount": variant.compare_at_amount, "currency": variant.currency,
            "in_stock": variant.stock_available > 0}


def _compute_category_path(tenant_id: int, seller_slug: str, product_slug: str) -> list[dict[str, Any]]:
    """The categories from the root of the tree down to the product's category."""
    seller = _seller_if_active(tenant_id, seller_slug)
    if seller is None:
        return []
    with UnitOfWork(seller.tenant) as uow:
        category_id = uow.session.scalar(select(Product.category_id).where(Product.slug == product_slug))
    return _category_path_of(category_id)


def _category_path_of(category_id: int | None) -> list[dict[str, Any]]:
    """The categories from the root of the tree down to this one."""
    if category_id is None:
        return []
    with UnitOfWork() as uow:
        path = select(Category.id, Category.parent_id, Category.name, Category.slug, literal(0).label("depth")) \
            .where(Category.id == category_id).cte("category_path", recursive=True)
        parent = aliased(Category)
        path = path.union_all(
            select(parent.id, parent.parent_id, parent.name, parent.slug, path.c.depth + 1)
            .where(parent.id == path.c.parent_id, path.c.depth < MAX_CATEGORY_DEPTH)
        )
        rows = uow.session.execute(select(path.c.id, path.c.name, path.c.slug).order_by(path.c.depth.desc())).all()
    return [{"id": row.id, "name": row.name, "slug": row.slug} for row in rows]


def rating(total: int, count: int) -> dict[str, Any]:
    """The rating buyers see: the average by the one rounding rule, and how many reviews it counts."""
    return {"average": average_rating(total, count), "count": count}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
