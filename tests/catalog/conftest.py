"""Fixtures of the catalog tests: a seller with a member of each role, an HTTP helper, state snapshots."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


from marketplace.accounts.models import MemberRole, Membership
from tenants.models import TenantRef
from tests import shard_support
from tenants.uow import UnitOfWork

TENANT_TABLES = ("products", "product_images", "variants", "stock_movements", "catalog_imports")


@dataclass(frozen=True)
class Shop:
    """A seller and its staff member (the lowest role, which may already write the catalog)."""

    tenant: TenantRef
    staff: Any

    @property
    def url(self) -> str:
        return f"/api/v1/sellers/{self.tenant.slug}"


@pytest.fixture
def shop(sign_up, make_seller) -> Shop:
    staff = sign_up("staff@acme.example")
    return Shop(make_seller("acme", {staff.user_id: MemberRole.STAFF}), staff)


@pytest.fixture
def shop_team(app, shop, sign_up) -> dict[str, Any]:
    """The shop's members by role: its staff member, and an owner and a manager who join it."""
    owner, manager = sign_up("owner@acme.example"), sign_up("manager@acme.example")
    with app.app_context(), UnitOfWork() as uow:
        uow.session.add_all([Membership(user_id=owner.user_id, tenant_id=shop.tenant.id, role=MemberRole.OWNER),
                             Membership(user_id=manager.user_id, tenant_id=shop.tenant.id, role=MemberRole.MANAGER)])
        uow.commit()
    return {"owner": owner, "manager": manager, "staff": shop.staff}


class CatalogClient:
    """Arranges catalog state over HTTP as the shop's staff member, failing loudly if a step is refused."""

    def __init__(self, client, shop: Shop):
        self.client = client
        self.shop = shop
        self.headers = shop.staff.headers

    def call(self, method: str, path: str, expected_status: int, **kwargs) -> Any:
        response = self.client.open(f"{self.shop.url}{path}", method=method, headers=self.headers, **kwargs)
        assert response.status_code == expected_status, response.get_json(silent=True)
        return response.get_json(silent=True)

    def create_product(self, slug: str = "oak-table", **fields) -> dict:
        body = {"slug": slug, "title": slug.replace("-", " ").title(), **fields}
        return self.call("POST", "/products", 201, json=body)

    def add_variant(self, product_id: int, sku: str = "OAK-1", price_amount: int = 19900, **fields) -> dict:
        body = {"sku": sku, "price_amount": price_amount, **fields}
        return self.call("POST", f"/products/{product_id}/variants", 201, json=body)

    def move_stock(self, product_id: int, variant_id: int, quantity_delta: int, reason: str = "adjustment") -> dict:
        return self.call("POST", f"/products/{product_id}/variants/{variant_id}/stock-movements", 201,
                         json={"quantity_delta": quantity_delta, "reason": reason})

    def publish(self, product_id: int) -> dict:
        return self.call("POST", f"/products/{product_id}/publish", 200)

    def product(self, product_id: int) -> dict:
        return self.call("GET", f"/products/{product_id}", 200)

    def published_product(self, slug: str = "oak-table", sku: str = "OAK-1", price_amount: int = 19900,
                          stock: int = 0, **fields) -> dict:
        product = self.create_product(slug, **fields)
        variant = self.add_variant(product["id"], sku, price_amount)
        if stock:
            self.move_stock(product["id"], variant["id"], stock, "receipt")
        return self.publish(product["id"])


@pytest.fixture
def catalog(client, shop) -> CatalogClient:
    return CatalogClient(client, shop)


@pytest.fixture
def listing_row(sql):
    """The marketplace listing row of a product, as a dict (None if there is none)."""

    def read(tenant: TenantRef, product_id: int) -> dict | None:
        rows = sql("SELECT * FROM platform.product_listings WHERE tenant_id = :tenant_id AND product_id = :product_id",
                   tenant_id=tenant.id, product_id=product_id)
        return dict(rows[0]._mapping) if rows else None

    return read


@pytest.fixture
def tenant_sql(app):
    """Run one statement with the search path on a tenant's schema, on its shard, and return its rows."""
    return shard_support.tenant_sql


@pytest.fixture
def catalog_state(row_counts, sql, tenant_sql):
    """Everything a catalog request could change, to show that a refused one changed nothing."""

    def snapshot(tenant: TenantRef) -> tuple:
        tenant_rows = {table: tenant_sql(tenant, f"SELECT * FROM {table} ORDER BY id") for table in TENANT_TABLES}
        return (row_counts(), tenant_rows,
                sql("SELECT * FROM platform.categories ORDER BY id"),
                sql("SELECT * FROM platform.product_listings ORDER BY tenant_id, product_id"))

    return snapshot


@pytest.fixture
def make_category(app):
    """Create a category directly through the service: make_category("kitchen", parent_id=None)."""
    from marketplace.catalog.categories import create_category

    def make(slug: str, parent_id: int | None = None, position: int = 0) -> int:
        with app.app_context():
            return create_category(None, slug.title(), slug, parent_id, position).id

    return make
