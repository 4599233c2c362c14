"""Fixtures of the seller order tests: checkout's sellers and buyers, and a paid, routed order."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from marketplace.accounts.models import MemberRole, Membership
from marketplace.catalog.models import StockMovement
from tenants.models import Tenant, TenantStatus
from tenants.uow import UnitOfWork

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
def seller_member(app, shopper):  # noqa: F811 - the fixture imported above
    """seller_member(tenant, role=MemberRole.STAFF): a signed-in member of that seller."""

    def make(tenant, role=MemberRole.STAFF):
        member = shopper()
        with app.app_context(), UnitOfWork() as uow:
            uow.session.add(Membership(user_id=member.user_id, tenant_id=tenant.id, role=role))
            uow.commit()
        return member

    return make


def set_tenant_status(app, tenant, status: TenantStatus) -> None:
    with app.app_context(), UnitOfWork() as uow:
        uow.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(status=status))
        uow.commit()


def stock_movements(app, tenant) -> list[tuple[int, int, str, str]]:
    """(variant id, delta, reason, note) of the seller's stock movements, oldest first."""
    with app.app_context(), UnitOfWork(tenant) as uow:
        return [(m.variant_id, m.quantity_delta, m.reason.value, m.note)
                for m in uow.session.scalars(select(StockMovement).order_by(StockMovement.id))]
