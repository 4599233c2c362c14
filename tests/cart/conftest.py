"""Fixtures of the cart tests: sellers with a catalog (over HTTP, as their staff), and a cart client."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from marketplace.accounts.models import MemberRole, Membership
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork
from tests.catalog.conftest import CatalogClient, Shop

CART = "/api/v1/cart"
LINES = "/api/v1/cart/lines"


@dataclass(frozen=True)
class Seller:
    """A seller and its catalog, arranged as its staff member would."""

    tenant: TenantRef
    catalog: CatalogClient
    products_by_variant: dict[int, int] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug

    def variant_on_sale(self, product_slug: str, price_amount: int = 1000, stock: int = 10,
                        weight_grams: int | None = 500, options: dict[str, str] | None = None,
                        **product_fields) -> int:
        """A published product with one variant in stock; returns the variant's id."""
        product = self.catalog.create_product(product_slug, **product_fields)
        variant = self.catalog.add_variant(product["id"], f"{product_slug.upper()}-1", price_amount,
                                           weight_grams=weight_grams, options=options or {})
        if stock:
            self.catalog.move_stock(product["id"], variant["id"], stock, "receipt")
        self.catalog.publish(product["id"])
        self.products_by_variant[variant["id"]] = product["id"]
        return variant["id"]

    def product_of(self, variant_id: int) -> int:
        return self.products_by_variant[variant_id]

    def change_variant(self, variant_id: int, **changes) -> None:
        self.catalog.call("PATCH", f"/products/{self.product_of(variant_id)}/variants/{variant_id}", 200,
                          json=changes)

    def move_stock(self, variant_id: int, quantity_delta: int) -> None:
        self.catalog.move_stock(self.product_of(variant_id), variant_id, quantity_delta)


@pytest.fixture
def open_seller(app, client, sign_up):
    """A new active seller with a staff member: open_seller("aurora", currency="EUR")."""

    def make(slug: str, currency: str = "USD") -> Seller:
        staff = sign_up(f"staff@{slug}.example")
        with app.app_context():
            tenant = provision_tenant(slug, slug.replace("-", " ").title(), currency=currency)
            with UnitOfWork() as uow:
                uow.session.add(Membership(user_id=staff.user_id, tenant_id=tenant.id, role=MemberRole.STAFF))
                uow.commit()
        return Seller(tenant, CatalogClient(client, Shop(tenant, staff)))

    return make


class CartClient:
    """One caller's cart over HTTP: a buyer's (bearer headers) or a guest's (the token it was given)."""

    def __init__(self, client, headers: dict[str, str] | None = None):
        self.client = client
        self.headers = dict(headers or {})

    def add(self, seller: Seller | str, variant_id: int, quantity: int = 1):
        slug = seller if isinstance(seller, str) else seller.slug
        response = self.client.post(LINES, headers=self.headers,
                                    json={"seller": slug, "variant_id": variant_id, "quantity": quantity})
        token = response.headers.get("X-Cart-Token")
        if token:
            self.headers["X-Cart-Token"] = token
        return response

    def view(self, **query) -> dict[str, Any]:
        response = self.client.get(CART, headers=self.headers, query_string=query)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def lines(self) -> list[dict[str, Any]]:
        return [line for group in self.view()["sellers"] for line in group["lines"]]

    def change(self, line_id: int, quantity: Any):
        return self.client.patch(f"{LINES}/{line_id}", headers=self.headers, json={"quantity": quantity})

    def remove(self, line_id: int):
        return self.client.delete(f"{LINES}/{line_id}", headers=self.headers)

    def empty(self):
        return self.client.delete(CART, headers=self.headers)


@pytest.fixture
def buyer_cart(client, buyer) -> CartClient:
    return CartClient(client, buyer.headers)


@pytest.fixture
def guest_cart(client) -> CartClient:
    return CartClient(client)
