"""Real catalog rows for the search tests, written with the catalog models in units of work.

The tests index what they create through the same path as the jobs
(`services.index_products`: reload from the tenant schema, build documents,
write them), never by hand-made documents, except where a test needs a
document as a late job would carry it.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from itertools import count

from flask import Flask
from sqlalchemy import func, select, update

from marketplace.catalog.models import Category, Product, ProductStatus, Variant
from marketplace.search import services
from marketplace.search.models import SearchDocument
from marketplace.search.port import SearchBackend
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork

# Products made later are newer: "newest" orders are predictable.
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Catalog:
    def __init__(self, app: Flask):
        self.app = app
        self._sequence = count(1)

    def seller(self, slug: str, currency: str = "USD") -> TenantRef:
        return provision_tenant(slug, slug.replace("-", " ").title(), currency=currency)

    def category(self, name: str, parent_id: int | None = None) -> int:
        with UnitOfWork() as uow:
            category = Category(name=name, slug=slugify(name), parent_id=parent_id)
            uow.session.add(category)
            uow.commit()
            return category.id

    def product(self, tenant: TenantRef, title: str, *, description: str = "", category_id: int | None = None,
                attributes: dict[str, str] | None = None, prices: tuple[int, ...] = (1000,), stock: int = 1,
                ratings: tuple[int, ...] = (), status: ProductStatus = ProductStatus.PUBLISHED,
                index: bool = True) -> int:
        """Create a product with one variant per price (the first one holding `stock`); index it."""
        number = next(self._sequence)
        with UnitOfWork(tenant) as uow:
            product = Product(
                slug=f"{slugify(title)}-{number}", title=title, description=description, status=status,
                category_id=category_id, attributes=attributes or {}, rating_total=sum(ratings),
                rating_count=len(ratings),
                published_at=EPOCH + timedelta(days=number) if status == ProductStatus.PUBLISHED else None,
                variants=[Variant(sku=f"SKU-{number}-{position}", price_amount=price, currency=tenant.currency,
                                  stock_on_hand=stock if position == 0 else 0)
                          for position, price in enumerate(prices)],
            )
            uow.session.add(product)
            uow.commit()
            product_id = product.id
        if index:
            self.index(tenant, [product_id])
        return product_id

    def change(self, tenant: TenantRef, product_id: int, index: bool = True, **changes) -> int:
        """Change product columns as the catalog would (bumping the version); returns the new version."""
        with UnitOfWork(tenant) as uow:
            version = uow.session.execute(
                update(Product).where(Product.id == product_id)
                .values(**changes, version=Product.version + 1).returning(Product.version)
            ).scalar_one()
            uow.commit()
        if index:
            self.index(tenant, [product_id])
        return version

    def delete(self, tenant: TenantRef, product_id: int, index: bool = True) -> None:
        with UnitOfWork(tenant) as uow:
            uow.session.delete(uow.session.get(Product, product_id))
            uow.commit()
        if index:
            self.index(tenant, [product_id])

    def index(self, tenant: TenantRef, product_ids: list[int]) -> None:
        services.index_products(tenant.id, product_ids)

    def set_status(self, tenant: TenantRef, status: TenantStatus) -> None:
        """Change the tenant's status in the registry, then run the search follow-up of that change."""
        with UnitOfWork() as uow:
            uow.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(status=status))
            uow.commit()
        services.sync_tenant_status(tenant.id)


def count_documents(backend: SearchBackend, seller_id: int) -> int:
    """Every document of a seller, visible to buyers or not, straight from the engine."""
    if backend.name == "opensearch":
        return backend.client.count(index=backend.names.all_indices,
                                    body={"query": {"term": {"seller_id": seller_id}}})["count"]
    with UnitOfWork() as uow:
        return uow.session.scalar(select(func.count()).where(SearchDocument.tenant_id == seller_id))
