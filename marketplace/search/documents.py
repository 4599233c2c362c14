"""The document builder: a product with its variants, seller and category path becomes one search document.

Both backends index the same `ProductDocument`. It is built from the
catalog, the source of truth, never patched field by field: a job reloads
the product and rebuilds its whole document, stamped with the product row's
version so that a late write of an older document is refused.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import ColumnElement, Row, Select, false, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from marketplace.catalog.listing import variant_figures
from marketplace.catalog.models import Category, Product, ProductImage, ProductStatus
from marketplace.reviews.ratings import average_rating
from marketplace.storefront.models import StorefrontSettings
from tenants.models import Tenant, TenantStatus
from tenants.uow import UnitOfWork


@dataclass(frozen=True)
class ProductDocument:
    seller_id: int
    product_id: int
    version: int
    product_slug: str
    title: str
    description: str
    category_id: int | None
    category_path_ids: list[int]
    category_path_names: list[str]
    attributes: dict[str, str]
    min_price_amount: int | None
    max_price_amount: int | None
    currency: str
    in_stock: bool
    rating: float | None
    rating_count: int
    seller_slug: str
    seller_name: str
    image_url: str | None
    published: bool
    seller_active: bool
    published_at: datetime | None

    @property
    def doc_id(self) -> str:
        """Unique across sellers: product ids are per tenant schema, so they repeat between sellers."""
        return f"{self.seller_id}-{self.product_id}"

    def as_dict(self) -> dict[str, Any]:
        """The fields by name; lists and dicts are shared with the document, not copied."""
        # Not dataclasses.asdict: its deep copy was a third of an indexing job's time (bench/search.py).
        return {name: getattr(self, name) for name in _DOCUMENT_FIELD_NAMES}


@dataclass(frozen=True)
class Seller:
    """The seller's part of every one of its documents."""

    id: int
    slug: str
    name: str
    active: bool
    currency: str


# category id -> the path from the root down to it, as (id, name) pairs
CategoryPaths = dict[int, tuple[tuple[int, str], ...]]


def build_document(product: Row, seller: Seller, category_paths: CategoryPaths) -> ProductDocument:
    """The search document of one row of `_product_rows` (a product with its variants' figures)."""
    path = category_paths.get(product.category_id, ()) if product.category_id is not None else ()
    return ProductDocument(
        seller_id=seller.id,
        product_id=product.id,
        version=product.version,
        product_slug=product.slug,
        title=product.title,
        description=product.description or "",
        category_id=product.category_id,
        category_path_ids=[category_id for category_id, _ in path],
        category_path_names=[name for _, name in path],
        attributes={str(key): str(value) for key, value in (product.attributes or {}).items()},
        min_price_amount=product.min_price_amount,
        max_price_amount=product.max_price_amount,
        currency=seller.currency,
        in_stock=product.in_stock,
        rating=average_rating(product.rating_total, product.rating_count),
        rating_count=product.rating_count,
        seller_slug=seller.slug,
        seller_name=seller.name,
        image_url=product.image_url,
        published=product.status == ProductStatus.PUBLISHED,
        seller_active=seller.active,
        published_at=product.published_at,
    )


def load_category_paths(session: Session) -> CategoryPaths:
    """Every category's path from its root; the operator's tree is small enough to read whole."""
    rows = session.execute(select(Category.id, Category.parent_id, Category.name)).all()
    parents = {row.id: row.parent_id for row in rows}
    names = {row.id: row.name for row in rows}
    paths: CategoryPaths = {}
    for category_id in parents:
        path: list[tuple[int, str]] = []
        current: int | None = category_id
        # The category service prevents cycles; the bound keeps a corrupt tree from looping forever.
        while current is not None and current in names and len(path) <= len(names):
            path.append((current, names[current]))
            current = parents[current]
        paths[category_id] = tuple(reversed(path))
    return paths


def load_seller(session: Session, tenant: Tenant) -> Seller:
    storefront = session.get(StorefrontSettings, 1)
    name = storefront.display_name if storefront is not None and storefront.display_name else tenant.display_name
    return Seller(id=tenant.id, slug=tenant.slug, name=name, active=tenant.status == TenantStatus.ACTIVE,
                  currency=tenant.currency)


def load_tenant(tenant_id: int) -> Tenant | None:
    """The registry row of a provisioned tenant, detached, or None."""
    with UnitOfWork() as uow:
        tenant = uow.session.get(Tenant, tenant_id)
        if tenant is None or tenant.schema_name is None:
            return None
        uow.session.expunge(tenant)
        return tenant


@dataclass(frozen=True)
class LoadedDocuments:
    documents: list[ProductDocument]
    # Asked for but not in the catalog (deleted): their documents must go.
    missing_product_ids: list[int]


def load_documents(tenant: Tenant, product_ids: list[int]) -> LoadedDocuments:
    """The current documents of some of a tenant's products, read in one transaction bound to it.

    The category tree is read first, from the control database.
    """
    category_paths = _category_paths()
    with UnitOfWork(tenant.ref()) as uow:
        seller = load_seller(uow.session, tenant)
        products = uow.session.execute(_product_rows(Product.id.in_(product_ids))).all()
        documents = [build_document(product, seller, category_paths) for product in products]
    found = {document.product_id for document in documents}
    return LoadedDocuments(documents, sorted(set(product_ids) - found))


def iter_tenant_documents(tenant: Tenant, batch_size: int = 500) -> Iterator[list[ProductDocument]]:
    """All of a tenant's documents in batches, by product id (each batch its own short transaction)."""
    # Read once, not per batch: a rename meanwhile bumps the products' versions, and their jobs index it.
    category_paths = _category_paths()
    with UnitOfWork(tenant.ref()) as uow:
        seller = load_seller(uow.session, tenant)
    after_id = 0
    while True:
        with UnitOfWork(tenant.ref()) as uow:
            batch_ids = select(Product.id).where(Product.id > after_id).order_by(Product.id).limit(batch_size)
            products = uow.session.execute(
                _product_rows(Product.id.in_(batch_ids.scalar_subquery())).order_by(Product.id)).all()
            batch = [build_document(product, seller, category_paths) for product in products]
        if not batch:
            return
        yield batch
        after_id = batch[-1].product_id


def _category_paths() -> CategoryPaths:
    with UnitOfWork() as uow:
        return load_category_paths(uow.session)


def current_product_ids(tenant: Tenant) -> set[int]:
    """Ids of every product the tenant has now (to drop documents of deleted ones)."""
    with UnitOfWork(tenant.ref()) as uow:
        return set(uow.session.scalars(select(Product.id)).all())


def _product_rows(which: ColumnElement[bool]) -> Select:
    """The products `which` selects, each with its variants' price range and stock and its first image.

    One statement, figures computed by the database: loading the ORM objects
    with their variants and images was the largest part of an indexing job.
    """
    figures = variant_figures(select(Product.id).where(which))
    # One pass over the images of all the products, rather than a subquery per product.
    first_images = (
        select(ProductImage.product_id, ProductImage.url)
        .where(ProductImage.product_id.in_(select(Product.id).where(which)))
        .ext(distinct_on(ProductImage.product_id))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
        .subquery()
    )
    return (
        select(
            Product.id, Product.version, Product.slug, Product.title, Product.description, Product.category_id,
            Product.attributes, Product.rating_total, Product.rating_count, Product.status, Product.published_at,
            figures.c.min_price_amount, figures.c.max_price_amount,
            func.coalesce(figures.c.in_stock, false()).label("in_stock"),
            first_images.c.url.label("image_url"),
        )
        .outerjoin(figures, figures.c.product_id == Product.id)
        .outerjoin(first_images, first_images.c.product_id == Product.id)
        .where(which)
    )


class CatalogDocuments:
    """The catalog of every tenant as a reindex reads it (the port's `DocumentSource`)."""

    def __init__(self, batch_size: int = 500):
        self.batch_size = batch_size

    def seller_ids(self) -> list[int]:
        with UnitOfWork() as uow:
            return list(uow.session.scalars(
                select(Tenant.id).where(Tenant.schema_name.is_not(None), Tenant.status != TenantStatus.CLOSED)
                .order_by(Tenant.id)
            ).all())

    def documents(self, seller_id: int) -> Iterator[list[ProductDocument]]:
        tenant = load_tenant(seller_id)
        if tenant is not None:
            yield from iter_tenant_documents(tenant, self.batch_size)

    def product_ids(self, seller_id: int) -> set[int]:
        tenant = load_tenant(seller_id)
        return current_product_ids(tenant) if tenant is not None else set()

    def seller_active(self, seller_id: int) -> bool:
        tenant = load_tenant(seller_id)
        return tenant is not None and tenant.status == TenantStatus.ACTIVE


_DOCUMENT_FIELD_NAMES = tuple(field.name for field in fields(ProductDocument))
