"""Seller-side catalog use cases: products, their status, variants and stock movements.

Every function takes the tenant (from the URL) and plain values, runs one unit
of work bound to that tenant and commits once. A change locks its product row
first (then, for stock, the variants: one lock order), bumps the product's
version and asks, through the outbox, for its listing row and search document
to follow (`listing`).
Results are frozen dataclasses that outlive the session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.catalog.categories import require_category
from marketplace.catalog.listing import sync_listing
from billing.plans import product_limit_of
from marketplace.catalog.models import (
    Product, ProductImage, ProductStatus, StockMovement, StockReason, Variant,
)
from marketplace.catalog.plan_limit import require_room
from marketplace.catalog.stock import StockChange, record_movements
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.field_updates import writable_changes
from tenants.locks import lock_catalog_imports, lock_row
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.core.state_machine import StateMachine
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

# What an update may write: status moves through publish/unpublish/archive, stock through movements.
PRODUCT_WRITABLE_FIELDS = ("title", "slug", "description", "category_id", "attributes", "images")
VARIANT_WRITABLE_FIELDS = ("sku", "options", "price_amount", "compare_at_amount", "weight_grams",
                           "low_stock_threshold")


class ProductNotFound(NotFound):
    def __init__(self, product_id: int):
        super().__init__(f"This seller has no product {product_id}.")


class VariantNotFound(NotFound):
    def __init__(self, variant_id: int):
        super().__init__(f"This product has no variant {variant_id}.")


class WrongCurrency(ValidationFailed):
    def __init__(self, currency: str, tenant_currency: str):
        super().__init__(f"Prices of this seller are in {tenant_currency}, not {currency}.",
                         errors={"currency": [f"Must be {tenant_currency}, the seller's currency."]})


class NothingToSell(Conflict):
    code = "no_variants"

    def __init__(self) -> None:
        super().__init__("A product needs at least one variant with a price before it can be published.")


class LastVariantOfPublishedProduct(Conflict):
    code = "last_variant"

    def __init__(self) -> None:
        super().__init__("This is the only variant of a published product; unpublish or archive the product first.")


PRODUCT_LIFECYCLE: StateMachine[ProductStatus, str] = StateMachine("product", {
    "publish": (frozenset({ProductStatus.DRAFT, ProductStatus.ARCHIVED}), ProductStatus.PUBLISHED),
    "unpublish": (frozenset({ProductStatus.PUBLISHED}), ProductStatus.DRAFT),
    "archive": (frozenset({ProductStatus.DRAFT, ProductStatus.PUBLISHED}), ProductStatus.ARCHIVED),
}, {"publish": "published", "unpublish": "unpublished", "archive": "archived"})


@dataclass(frozen=True)
class ImageDetails:
    url: str
    alt: str
    position: int


@dataclass(frozen=True)
class VariantDetails:
    id: int
    product_id: int
    sku: str
    options: dict[str, str]
    price_amount: int
    compare_at_amount: int | None
    currency: str
    weight_grams: int | None
    stock_on_hand: int
    stock_reserved: int
    low_stock_threshold: int

    @property
    def stock_available(self) -> int:
        return self.stock_on_hand - self.stock_reserved

    @property
    def is_low_on_stock(self) -> bool:
        return self.stock_available <= self.low_stock_threshold

    @classmethod
    def of(cls, variant: Variant) -> "VariantDetails":
        return cls(id=variant.id, product_id=variant.product_id, sku=variant.sku, options=dict(variant.options),
                   price_amount=variant.price_amount, compare_at_amount=variant.compare_at_amount,
                   currency=variant.currency, weight_grams=variant.weight_grams, stock_on_hand=variant.stock_on_hand,
                   stock_reserved=variant.stock_reserved, low_stock_threshold=variant.low_stock_threshold)


@dataclass(frozen=True)
class ProductDetails:
    id: int
    slug: str
    title: str
    description: str
    status: ProductStatus
    category_id: int | None
    attributes: dict[str, str]
    images: tuple[ImageDetails, ...]
    variants: tuple[VariantDetails, ...]
    version: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> "ProductDetails":
        return cls(
            id=product.id, slug=product.slug, title=product.title, description=product.description,
            status=ProductStatus(product.status), category_id=product.category_id,
            attributes=dict(product.attributes),
            images=tuple(ImageDetails(image.url, image.alt, image.position) for image in product.images),
            variants=tuple(VariantDetails.of(variant) for variant in product.variants),
            version=product.version, published_at=product.published_at, created_at=product.created_at,
            updated_at=product.updated_at,
        )


@dataclass(frozen=True)
class MovementDetails:
    id: int
    variant_id: int
    quantity_delta: int
    reason: StockReason
    note: str
    created_by_user_id: int | None
    created_at: datetime
    stock_on_hand: int

    @classmethod
    def of(cls, movement: Any, stock_on_hand: int) -> "MovementDetails":
        """From a StockMovement or a row with its columns, and the stock on hand just after it."""
        return cls(id=movement.id, variant_id=movement.variant_id, quantity_delta=movement.quantity_delta,
                   reason=StockReason(movement.reason), note=movement.note,
                   created_by_user_id=movement.created_by_user_id, created_at=movement.created_at,
                   stock_on_hand=stock_on_hand)


# Products

def create_product(tenant: TenantRef, fields: dict[str, Any]) -> ProductDetails:
    """Add a draft product; its slug must be new to the seller, its category must exist, and the seller's plan
    must have room for it (PlanLimitReached)."""
    if fields.get("category_id") is not None:
        require_category(fields["category_id"])
    product_limit = product_limit_of(tenant.id)
    with UnitOfWork(tenant) as uow:
        require_room(uow.session, tenant.id, product_limit)
        product = Product(slug=fields["slug"], title=fields["title"], description=fields["description"],
                          category_id=fields["category_id"], attributes=fields["attributes"],
                          images=_images(fields["images"]), variants=[])
        uow.session.add(product)
        uow.session.flush()
        return _finish(uow, tenant, product, created=True)


def list_products(tenant: TenantRef, page_request: PageRequest,
                  status: ProductStatus | None = None) -> Page[ProductDetails]:
    """The seller's products, newest first, optionally only those with one status."""
    query = (select(Product).options(selectinload(Product.images), selectinload(Product.variants))
             .order_by(Product.id.desc()))
    if status is not None:
        query = query.where(Product.status == status)
    with UnitOfWork(tenant) as uow:
        return fetch_page(uow.session, query, page_request).map(ProductDetails.of)


@dataclass(frozen=True)
class LowStock:
    product_id: int
    title: str
    sku: str
    available: int
    threshold: int


def low_stock(tenant: TenantRef, limit: int) -> list[LowStock]:
    """Variants of products still on sale or in preparation whose available stock is at or below their threshold,
    the lowest first."""
    available = Variant.stock_on_hand - Variant.stock_reserved
    query = (select(Product.id, Product.title, Variant.sku, available, Variant.low_stock_threshold)
             .join(Variant, Variant.product_id == Product.id)
             .where(Product.status != ProductStatus.ARCHIVED, available <= Variant.low_stock_threshold)
             .order_by(available, Variant.id).limit(limit))
    with UnitOfWork(tenant) as uow:
        return [LowStock(*row) for row in uow.session.execute(query).all()]


def get_product(tenant: TenantRef, product_id: int) -> ProductDetails:
    with UnitOfWork(tenant) as uow:
        product = uow.session.get(Product, product_id)
        if product is None:
            raise ProductNotFound(product_id)
        return ProductDetails.of(product)


def update_product(tenant: TenantRef, product_id: int, changes: dict[str, Any]) -> ProductDetails:
    """Change any of title, slug, description, category, attributes and images (the list is replaced)."""
    changes = writable_changes(changes, PRODUCT_WRITABLE_FIELDS)
    if changes.get("category_id") is not None:
        require_category(changes["category_id"])
    with UnitOfWork(tenant) as uow:
        product = _locked_product(uow.session, product_id)
        # Loading the old images would autoflush a new slug before the check below could name its conflict.
        with uow.session.no_autoflush:
            for name, value in changes.items():
                if name == "images":
                    product.images = _images(value)
                else:
                    setattr(product, name, value)
        uow.session.flush()
        return _finish(uow, tenant, product)


def change_status(tenant: TenantRef, product_id: int, action: str) -> ProductDetails:
    """Publish, unpublish or archive a product; a move the state machine does not allow is IllegalTransition.

    Publishing an archived product takes a place under the plan's product limit again (PlanLimitReached).
    """
    product_limit = product_limit_of(tenant.id) if action == "publish" else None
    with UnitOfWork(tenant) as uow:
        if product_limit is not None:
            # The catalog write lock before the product's row, in the order an import takes them.
            lock_catalog_imports(uow.session, tenant.id)
        product = _locked_product(uow.session, product_id)
        new_status = PRODUCT_LIFECYCLE.check(ProductStatus(product.status), action)
        if product.status is ProductStatus.ARCHIVED:
            require_room(uow.session, tenant.id, product_limit)
        if new_status is ProductStatus.PUBLISHED:
            _check_sellable(product)
            # Kept from the first publication, so that unpublishing to fix a typo does not make it "new" again.
            product.published_at = product.published_at or func.now()
        product.status = new_status
        return _finish(uow, tenant, product)


def archive_product(tenant: TenantRef, product_id: int) -> None:
    """Take a product off sale for good (DELETE): products are archived, never erased; repeating is harmless."""
    with UnitOfWork(tenant) as uow:
        product = _locked_product(uow.session, product_id)
        if product.status is ProductStatus.ARCHIVED:
            return
        product.status = ProductStatus.ARCHIVED
        _finish(uow, tenant, product)


# Variants

def list_variants(tenant: TenantRef, product_id: int, page_request: PageRequest) -> Page[VariantDetails]:
    with UnitOfWork(tenant) as uow:
        _get_product(uow.session, product_id)
        query = select(Variant).where(Variant.product_id == product_id).order_by(Variant.id)
        return fetch_page(uow.session, query, page_request).map(VariantDetails.of)


def get_variant(tenant: TenantRef, product_id: int, variant_id: int) -> VariantDetails:
    with UnitOfWork(tenant) as uow:
        _get_product(uow.session, product_id)
        return VariantDetails.of(_get_variant(uow.session, product_id, variant_id))


def create_variant(tenant: TenantRef, product_id: int, fields: dict[str, Any]) -> VariantDetails:
    """Add a variant with no stock; its SKU must be new to the seller, its currency the seller's."""
    _check_currency(tenant, fields.get("currency"))
    with UnitOfWork(tenant) as uow:
        product = _locked_product(uow.session, product_id)
        variant = Variant(sku=fields["sku"], options=fields["options"], price_amount=fields["price_amount"],
                          compare_at_amount=fields["compare_at_amount"], currency=tenant.currency,
                          weight_grams=fields["weight_grams"], low_stock_threshold=fields["low_stock_threshold"])
        product.variants.append(variant)
        uow.session.flush()
        details = VariantDetails.of(variant)
        _finish(uow, tenant, product)
    return details


def update_variant(tenant: TenantRef, product_id: int, variant_id: int, changes: dict[str, Any]) -> VariantDetails:
    """Change a variant's SKU, options, prices, weight or low-stock threshold (never its stock)."""
    # The currency may be named, but only as the seller's own: checked, never written.
    _check_currency(tenant, changes.get("currency"))
    changes = writable_changes({name: value for name, value in changes.items() if name != "currency"},
                               VARIANT_WRITABLE_FIELDS)
    with UnitOfWork(tenant) as uow:
        product = _locked_product(uow.session, product_id)
        variant = _get_variant(uow.session, product_id, variant_id)
        for name, value in changes.items():
            setattr(variant, name, value)
        uow.session.flush()
        details = VariantDetails.of(variant)
        _finish(uow, tenant, product)
    return details


def delete_variant(tenant: TenantRef, product_id: int, variant_id: int) -> None:
    """Remove a variant with its stock history; a published product keeps at least one."""
    with UnitOfWork(tenant) as uow:
        product = _locked_product(uow.session, product_id)
        variant = _get_variant(uow.session, product_id, variant_id)
        if product.status is ProductStatus.PUBLISHED and len(product.variants) == 1:
            raise LastVariantOfPublishedProduct()
        product.variants.remove(variant)
        _finish(uow, tenant, product)


# Stock

def record_stock_movement(tenant: TenantRef, product_id: int, variant_id: int, quantity_delta: int,
                          reason: StockReason, note: str, actor_user_id: int) -> MovementDetails:
    """Receive, adjust or take back stock; stock never goes below zero (InsufficientStock)."""
    with UnitOfWork(tenant) as uow:
        product = _locked_product(uow.session, product_id)
        variant = _get_variant(uow.session, product_id, variant_id)
        [movement] = record_movements(uow.session, [StockChange(variant.id, quantity_delta, reason, note)],
                                      actor_user_id)
        details = MovementDetails.of(movement, stock_on_hand=variant.stock_on_hand)
        _finish(uow, tenant, product)
    return details


def list_stock_movements(tenant: TenantRef, product_id: int, variant_id: int,
                         page_request: PageRequest) -> Page[MovementDetails]:
    """A variant's movements, newest first, each with the stock on hand just after it."""
    running_stock = func.sum(StockMovement.quantity_delta).over(order_by=StockMovement.id)
    movements = (
        select(StockMovement, running_stock.label("stock_on_hand"))
        .where(StockMovement.variant_id == variant_id)
        .subquery()
    )
    query = select(movements).order_by(movements.c.id.desc())
    with UnitOfWork(tenant) as uow:
        _get_product(uow.session, product_id)
        _get_variant(uow.session, product_id, variant_id)
        page = fetch_page(uow.session, query, page_request)
    return page.map(lambda row: MovementDetails.of(row, stock_on_hand=row.stock_on_hand))


# Helpers

def _finish(uow: UnitOfWork, tenant: TenantRef, product: Product, *, created: bool = False) -> ProductDetails:
    """Bump the version of a changed product, rewrite its listing row, commit, and return what was committed."""
    if not created:
        product.version += 1  # the row is locked: no lost update
    uow.session.flush()
    sync_listing(uow, tenant, product.id)
    details = ProductDetails.of(product)
    uow.commit()
    return details


def _locked_product(session: Session, product_id: int) -> Product:
    product = lock_row(session, Product, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product


def _get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product


def _get_variant(session: Session, product_id: int, variant_id: int) -> Variant:
    variant = session.get(Variant, variant_id)
    # Another product's variant id in this URL is as unknown as a missing one.
    if variant is None or variant.product_id != product_id:
        raise VariantNotFound(variant_id)
    return variant


def _check_sellable(product: Product) -> None:
    if not product.variants:
        raise NothingToSell()


def _check_currency(tenant: TenantRef, currency: str | None) -> None:
    if currency is not None and currency != tenant.currency:
        raise WrongCurrency(currency, tenant.currency)


def _images(images: list[dict[str, Any]]) -> list[ProductImage]:
    return [ProductImage(url=image["url"], alt=image["alt"], position=image["position"]) for image in images]
