"""The product limit of a seller's SaaS plan, as the catalog enforces it.

Products count when they are not archived: archiving a product frees its
place (it stays, for the orders and reviews that point at it), and bringing
an archived product back (publishing it, or an import giving it a status)
takes a place again. The limit is read from the control database in its own
transaction (billing/plans.py), before the catalog's tenant-bound one; there,
the count is taken under the seller's catalog write lock (the lock imports
take), so that two creates racing for the last place cannot both get it.
A plan whose limit was lowered below what a seller has keeps its products;
it only refuses new ones.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.catalog.csv_rows import ProductRows
from marketplace.catalog.models import Product, ProductStatus
from marketplace.core.errors import Forbidden
from tenants.locks import lock_catalog_imports


class PlanLimitReached(Forbidden):
    code = "plan_limit_reached"

    def __init__(self, product_limit: int):
        super().__init__(f"Your plan allows {product_limit} products, archived ones aside: archive a product or "
                         "ask for a larger plan.")
        self.product_limit = product_limit


def counted_products(session: Session) -> int:
    """The seller's products that count against a limit: those not archived."""
    return session.scalar(select(func.count()).select_from(Product).where(Product.status != ProductStatus.ARCHIVED))


def require_room(session: Session, tenant_id: int, product_limit: int | None, new_products: int = 1) -> None:
    """PlanLimitReached unless `new_products` more fit under the limit; takes the seller's catalog write lock."""
    if product_limit is None:
        return
    lock_catalog_imports(session, tenant_id)
    if counted_products(session) + new_products > product_limit:
        raise PlanLimitReached(product_limit)


def new_places(session: Session, products: Sequence[ProductRows]) -> list[ProductRows]:
    """The products of an import that would take a place: new ones not imported archived, and archived ones the
    import gives another status."""
    archived_by_slug = dict(session.execute(
        select(Product.slug, Product.status == ProductStatus.ARCHIVED)
        .where(Product.slug.in_([product.slug for product in products]))).all())
    return [product for product in products if product.status is not ProductStatus.ARCHIVED and (
        product.slug not in archived_by_slug
        or (archived_by_slug[product.slug] and product.status is not None))]


def beyond_limit(session: Session, products: Sequence[ProductRows], product_limit: int | None) -> list[ProductRows]:
    """The products of an import that would take a place past the limit (the file's later ones)."""
    if product_limit is None:
        return []
    taking = new_places(session, products)
    room = max(0, product_limit - counted_products(session))
    return taking[room:]
