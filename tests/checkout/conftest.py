"""Fixtures of the checkout tests: sellers with stock and shipping, a buyer with an address and a cart."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.accounts.services import issue_token, mark_email_verified, register_user
from marketplace.addresses.services import add_address
from marketplace.cart.models import Cart, CartLine
from marketplace.catalog.models import Product, ProductStatus, StockMovement, StockReason, Variant
from marketplace.shipping.services import create_rate
from tenants.models import TenantRef
from tenants.uow import UnitOfWork
from tests.conftest import PASSWORD, SignedIn
from tests.workers.support import run_jobs

PORTO = {"name": "Ada Lovelace", "line1": "Rua das Flores 12", "city": "Porto", "postal_code": "4050-262",
         "country": "PT"}
FLAT_SHIPPING = 450


@dataclass(frozen=True)
class Offer:
    """A published product's one variant at a seller."""

    tenant: TenantRef
    product_id: int
    variant_id: int
    price_amount: int


def stock_of(tenant: TenantRef, variant_id: int) -> tuple[int, int]:
    """(on hand, reserved) of a variant, as committed."""
    with UnitOfWork(tenant) as uow:
        variant = uow.session.get(Variant, variant_id)
        return variant.stock_on_hand, variant.stock_reserved


@pytest.fixture
def offer(app, make_seller):
    """offer("oak", price_amount=1000, stock=5): a new seller (shipping to PT for 4.50) and its product."""

    def make(slug: str, price_amount: int = 1000, stock: int = 5, currency: str = "USD") -> Offer:
        tenant = make_seller(slug)
        with app.app_context():
            create_rate(tenant, None, {"name": "Standard", "countries": ["PT"], "kind": "flat",
                                       "amount": FLAT_SHIPPING})
            with UnitOfWork(tenant) as uow:
                product = Product(slug=f"{slug}-thing", title=f"{slug.title()} thing", status=ProductStatus.PUBLISHED)
                uow.session.add(product)
                uow.session.flush()
                variant = Variant(product_id=product.id, sku=f"{slug.upper()}-1", price_amount=price_amount,
                                  currency=currency, weight_grams=500, stock_on_hand=stock)
                uow.session.add(variant)
                uow.session.flush()
                uow.session.add(StockMovement(variant_id=variant.id, quantity_delta=stock, reason=StockReason.RECEIPT))
                uow.commit()
        return Offer(tenant, product.id, variant.id, price_amount)

    return make


@pytest.fixture
def shopper(app):
    """shopper(): a new signed-in buyer (verified; signed in by the service, past the login rate limit)
    with a default address in Porto."""

    def make(email: str | None = None) -> SignedIn:
        email = email or f"buyer-{uuid.uuid4().hex[:12]}@example.com"
        with app.app_context():
            account = register_user(email, PASSWORD, "Ada Lovelace")
            mark_email_verified(account.id)
            token = issue_token(email, PASSWORD, ttl_seconds=3600)
            add_address(account.id, dict(PORTO, line2="", region="", phone=None))
        return SignedIn(user_id=account.id, email=email, password=PASSWORD, token=token.access_token)

    return make


def put_in_cart(app, buyer, offer: Offer, quantity: int = 1) -> None:
    """Arrange a cart line as the cart would add it."""
    with app.app_context(), UnitOfWork() as uow:
        cart = uow.session.scalar(select(Cart).where(Cart.buyer_user_id == buyer.user_id))
        if cart is None:
            cart = Cart(buyer_user_id=buyer.user_id, currency="USD")
            uow.session.add(cart)
            uow.session.flush()
        cart.currency = cart.currency or "USD"
        uow.session.add(CartLine(cart_id=cart.id, tenant_id=offer.tenant.id, product_id=offer.product_id,
                                 variant_id=offer.variant_id, quantity=quantity,
                                 unit_price_amount=offer.price_amount, stock_available=quantity))
        uow.commit()


def check_out(client, buyer, key: str | None = None, **body: Any):
    return client.post("/api/v1/checkout", json=body,
                       headers={**buyer.headers, "Idempotency-Key": key or uuid.uuid4().hex})


def pay(client, buyer, order_id: int, card: str = "4242424242424242"):
    return client.post(f"/api/v1/orders/{order_id}/payment", json={"payment_method": card}, headers=buyer.headers)


__all__ = ["run_jobs"]
