"""Fixtures of the seller order tests: checkout's sellers and buyers, a paid, routed order, its seller's members."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from marketplace.accounts.models import MemberRole, Membership
from marketplace.catalog.models import StockMovement
from marketplace.orders.lifecycle import Action, Actor, ActorKind, lock_seller_order, move
from marketplace.orders.models import SellerOrder, SellerOrderLine
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.uow import UnitOfWork
from tests.conftest import SignedIn
from tests.checkout.conftest import check_out, offer, pay, put_in_cart, shopper  # noqa: F401 - fixtures used here
from tests.workers.support import run_jobs


@pytest.fixture
def routed_order(app, client, offer, shopper):  # noqa: F811 - the fixtures imported above
    """routed_order([offer, ...], quantity=1): a buyer's paid order of those offers, routed; (buyer, order view)."""

    def make(offers, quantity: int = 1):
        buyer = shopper()
        for seller_offer in offers:
            put_in_cart(app, buyer, seller_offer, quantity)
        order = check_out(client, buyer).get_json()
        assert pay(client, buyer, order["id"]).status_code == 200
        run_jobs(app)
        return buyer, client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()

    return make


@pytest.fixture
def member_of(app, shopper):  # noqa: F811 - the fixture imported above
    """member_of(tenant, role=MemberRole.OWNER): a new signed-in member of the seller."""

    def make(tenant: TenantRef, role: MemberRole = MemberRole.OWNER) -> SignedIn:
        member = shopper()
        with app.app_context(), UnitOfWork() as uow:
            uow.session.add(Membership(user_id=member.user_id, tenant_id=tenant.id, role=role))
            uow.commit()
        return member

    return make


@pytest.fixture
def seller_member(member_of):
    """seller_member(tenant, role=MemberRole.STAFF): a signed-in member of that seller, staff unless said."""
    return lambda tenant, role=MemberRole.STAFF: member_of(tenant, role)


def accept(app, tenant: TenantRef, seller_order_id: int) -> None:
    """The seller accepts its order, as the accept endpoint does."""
    with app.app_context(), UnitOfWork(tenant) as uow:
        move(uow, lock_seller_order(uow, seller_order_id), Action.ACCEPT, Actor(ActorKind.SELLER))
        uow.commit()


def seller_lines(app, tenant: TenantRef, seller_order_id: int) -> list[tuple[int, int]]:
    """(line id, quantity) of each line of a seller order, in id order."""
    with app.app_context(), UnitOfWork(tenant) as uow:
        return [(line.id, line.quantity) for line in uow.session.scalars(
            select(SellerOrderLine).where(SellerOrderLine.seller_order_id == seller_order_id)
            .order_by(SellerOrderLine.id))]


def seller_order_status(app, tenant: TenantRef, seller_order_id: int) -> str:
    with app.app_context(), UnitOfWork(tenant) as uow:
        return uow.session.get(SellerOrder, seller_order_id).status.value


def set_tenant_status(app, tenant, status: TenantStatus) -> None:
    with app.app_context(), UnitOfWork() as uow:
        uow.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(status=status))
        uow.commit()


def stock_movements(app, tenant) -> list[tuple[int, int, str, str]]:
    """(variant id, delta, reason, note) of the seller's stock movements, oldest first."""
    with app.app_context(), UnitOfWork(tenant) as uow:
        return [(m.variant_id, m.quantity_delta, m.reason.value, m.note)
                for m in uow.session.scalars(select(StockMovement).order_by(StockMovement.id))]
