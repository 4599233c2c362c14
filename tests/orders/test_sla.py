"""The acceptance SLA: each seller's hours within the operator's bounds, and the job that cancels overdue orders."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from marketplace.accounts.models import MemberRole
from marketplace.orders.jobs import cancel_overdue_orders
from marketplace.orders.models import SellerOrder, SellerOrderEvent
from tenants.uow import UnitOfWork
from tests.checkout.conftest import stock_of
from tests.workers.support import run_jobs


def seller_order(app, tenant, seller_order_id: int) -> SellerOrder:
    with app.app_context(), UnitOfWork(tenant) as uow:
        found = uow.session.get(SellerOrder, seller_order_id)
        uow.session.expunge_all()
    return found


def make_overdue(app, tenant, seller_order_id: int) -> None:
    with app.app_context(), UnitOfWork(tenant) as uow:
        uow.session.execute(update(SellerOrder).where(SellerOrder.id == seller_order_id)
                            .values(acceptance_due_at=SellerOrder.paid_at - timedelta(minutes=1)))
        uow.commit()


def test_a_seller_chooses_its_acceptance_hours_and_new_orders_are_due_then(app, client, offer, routed_order,
                                                                            seller_member):
    seller_offer = offer("oak")
    manager = seller_member(seller_offer.tenant, MemberRole.MANAGER)

    saved = client.patch("/api/v1/sellers/oak/settings", json={"acceptance_hours": 30}, headers=manager.headers)
    _, order = routed_order([seller_offer])

    assert saved.status_code == 200 and saved.get_json()["acceptance_hours"] == 30
    placed = seller_order(app, seller_offer.tenant, order["sellers"][0]["seller_order_id"])
    assert placed.acceptance_due_at - placed.paid_at == timedelta(hours=30)


def test_a_seller_who_never_chose_gets_the_operators_default(app, offer, routed_order):
    seller_offer = offer("oak")

    _, order = routed_order([seller_offer])

    placed = seller_order(app, seller_offer.tenant, order["sellers"][0]["seller_order_id"])
    assert placed.acceptance_due_at - placed.paid_at == timedelta(hours=app.config["ORDER_ACCEPTANCE_HOURS"])


@pytest.mark.parametrize("hours", [0, 23, 169, 2**40, "soon"])
def test_acceptance_hours_outside_the_operators_bounds_are_refused(client, offer, seller_member, hours):
    seller_offer = offer("oak")
    manager = seller_member(seller_offer.tenant, MemberRole.MANAGER)

    response = client.patch("/api/v1/sellers/oak/settings", json={"acceptance_hours": hours},
                            headers=manager.headers)

    assert response.status_code == 422
    assert "acceptance_hours" in response.get_json()["errors"]
    assert client.get("/api/v1/sellers/oak/settings", headers=manager.headers).get_json()["acceptance_hours"] is None


def test_the_job_cancels_overdue_orders_refunds_them_and_tells_the_seller(app, client, offer, routed_order,
                                                                         seller_member):
    oak, elm = offer("oak", stock=5), offer("elm", stock=5)
    buyer, order = routed_order([oak, elm])
    parts = {part["seller"]: part for part in order["sellers"]}
    manager = seller_member(oak.tenant, MemberRole.MANAGER)
    make_overdue(app, oak.tenant, parts["oak"]["seller_order_id"])

    with app.app_context():
        cancel_overdue_orders()
    run_jobs(app)

    view = {part["seller"]: part for part in
            client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()["sellers"]}
    assert (view["oak"]["status"], view["elm"]["status"]) == ("cancelled", "awaiting_acceptance")
    assert [(r["amount"], r["status"]) for r in view["oak"]["refunds"]] == [(view["oak"]["total_amount"], "succeeded")]
    assert view["elm"]["refunds"] == []
    assert stock_of(oak.tenant, oak.variant_id) == (5, 0)
    with app.app_context(), UnitOfWork(oak.tenant) as uow:
        event = uow.session.scalar(select(SellerOrderEvent))
        assert (event.actor_kind, event.reason) == ("system", "acceptance SLA missed")
    notices = client.get("/api/v1/me/notifications", headers=manager.headers).get_json()
    assert [n["subject"] for n in notices if n["kind"] == "seller_order_cancelled"] == [
        f"Order {order['id']} was cancelled by the marketplace"]


def test_accepting_after_the_sla_cancellation_is_an_illegal_transition(app, client, offer, routed_order,
                                                                       seller_member):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    staff = seller_member(seller_offer.tenant)
    make_overdue(app, seller_offer.tenant, seller_order_id)
    with app.app_context():
        cancel_overdue_orders()

    response = client.post(f"/api/v1/sellers/oak/orders/{seller_order_id}/accept", headers=staff.headers)

    assert response.status_code == 409 and response.get_json()["code"] == "illegal_transition"


def test_the_job_leaves_accepted_orders_alone_and_a_second_run_does_nothing(app, client, offer, routed_order,
                                                                            seller_member):
    seller_offer = offer("oak", stock=5)
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    staff = seller_member(seller_offer.tenant)
    client.post(f"/api/v1/sellers/oak/orders/{seller_order_id}/accept", headers=staff.headers)
    make_overdue(app, seller_offer.tenant, seller_order_id)

    with app.app_context():
        cancel_overdue_orders()
        cancel_overdue_orders()
    run_jobs(app)

    assert seller_order(app, seller_offer.tenant, seller_order_id).status.value == "accepted"
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (4, 0)
