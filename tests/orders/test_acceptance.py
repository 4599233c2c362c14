"""Sellers accept, reject and cancel their orders; buyers cancel before acceptance; races have one winner."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from marketplace.orders import services
from marketplace.refunds.models import Refund
from tenants.models import TenantStatus
from tenants.uow import UnitOfWork
from tests.checkout.conftest import stock_of
from tests.concurrency import run_together
from tests.orders.conftest import set_tenant_status, stock_movements
from tests.workers.support import run_jobs


def seller_path(seller_offer, seller_order_id: int, action: str) -> str:
    return f"/api/v1/sellers/{seller_offer.tenant.slug}/orders/{seller_order_id}/{action}"


def buyer_view(client, buyer, order_id: int) -> dict:
    return client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).get_json()


def test_a_member_accepts_an_order_and_the_buyer_sees_it(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak")
    buyer, order = routed_order([seller_offer])
    staff = seller_member(seller_offer.tenant)

    response = client.post(seller_path(seller_offer, order["sellers"][0]["seller_order_id"], "accept"),
                           headers=staff.headers)
    run_jobs(app)

    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted"
    assert buyer_view(client, buyer, order["id"])["sellers"][0]["status"] == "accepted"


def test_accepting_twice_is_an_illegal_transition(client, offer, routed_order, seller_member):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    staff = seller_member(seller_offer.tenant)
    path = seller_path(seller_offer, order["sellers"][0]["seller_order_id"], "accept")
    client.post(path, headers=staff.headers)

    response = client.post(path, headers=staff.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "illegal_transition"


def test_a_non_member_cannot_accept(client, offer, routed_order, shopper):
    seller_offer = offer("oak")
    buyer, order = routed_order([seller_offer])

    response = client.post(seller_path(seller_offer, order["sellers"][0]["seller_order_id"], "accept"),
                           headers=buyer.headers)

    assert response.status_code == 403


def test_another_sellers_order_id_is_not_found(client, offer, routed_order, seller_member):
    oak, elm = offer("oak"), offer("elm")
    _, order = routed_order([oak, elm])
    elm_order_id = next(part["seller_order_id"] for part in order["sellers"] if part["seller"] == "elm")
    oak_staff = seller_member(oak.tenant)

    response = client.post(seller_path(oak, elm_order_id + 1000, "accept"), headers=oak_staff.headers)

    assert response.status_code == 404


@pytest.mark.parametrize("body", [{}, {"reason": "   "}, {"reason": "x" * 501}])
def test_a_rejection_needs_a_reason(client, offer, routed_order, seller_member, body):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    staff = seller_member(seller_offer.tenant)

    response = client.post(seller_path(seller_offer, order["sellers"][0]["seller_order_id"], "reject"),
                           json=body, headers=staff.headers)

    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]


def test_a_rejection_puts_the_units_back_and_refunds_the_sellers_part(app, client, offer, routed_order,
                                                                      seller_member):
    oak, elm = offer("oak", price_amount=1500, stock=5), offer("elm", price_amount=900, stock=5)
    buyer, order = routed_order([oak, elm], quantity=2)
    oak_part = next(part for part in order["sellers"] if part["seller"] == "oak")
    staff = seller_member(oak.tenant)
    assert stock_of(oak.tenant, oak.variant_id) == (3, 0)

    response = client.post(seller_path(oak, oak_part["seller_order_id"], "reject"),
                           json={"reason": "Cannot ship to this address"}, headers=staff.headers)
    run_jobs(app)

    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    assert stock_of(oak.tenant, oak.variant_id) == (5, 0)
    assert stock_of(elm.tenant, elm.variant_id) == (3, 0)
    assert stock_movements(app, oak.tenant)[-1] == (oak.variant_id, 2, "cancellation", f"Order {order['id']} rejected")
    view = buyer_view(client, buyer, order["id"])
    refunded = {part["seller"]: [(r["amount"], r["status"], r["reason"]) for r in part["refunds"]]
                for part in view["sellers"]}
    assert refunded == {"oak": [(oak_part["total_amount"], "succeeded", "Cannot ship to this address")], "elm": []}


def test_a_seller_cancels_an_accepted_order_but_rejects_an_unaccepted_one(app, client, offer, routed_order,
                                                                          seller_member):
    seller_offer = offer("oak", stock=5)
    buyer, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    staff = seller_member(seller_offer.tenant)

    too_early = client.post(seller_path(seller_offer, seller_order_id, "cancel"), json={"reason": "Damaged"},
                            headers=staff.headers)
    client.post(seller_path(seller_offer, seller_order_id, "accept"), headers=staff.headers)
    cancelled = client.post(seller_path(seller_offer, seller_order_id, "cancel"), json={"reason": "Damaged"},
                            headers=staff.headers)
    run_jobs(app)

    assert too_early.status_code == 409 and too_early.get_json()["code"] == "illegal_transition"
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 0)
    [part] = buyer_view(client, buyer, order["id"])["sellers"]
    assert part["status"] == "cancelled"
    assert [(r["amount"], r["status"]) for r in part["refunds"]] == [(part["total_amount"], "succeeded")]


def test_the_buyer_cancels_before_acceptance_and_the_sellers_managers_are_told(app, client, offer, routed_order,
                                                                              seller_member):
    seller_offer = offer("oak", stock=5)
    buyer, order = routed_order([seller_offer])
    manager = seller_member(seller_offer.tenant, MemberRole.MANAGER)

    response = client.post(f"/api/v1/orders/{order['id']}/sellers/oak/cancel", json={"reason": "Wrong size"},
                           headers=buyer.headers)
    run_jobs(app)

    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 0)
    [part] = buyer_view(client, buyer, order["id"])["sellers"]
    assert [(r["amount"], r["status"]) for r in part["refunds"]] == [(part["total_amount"], "succeeded")]
    notices = client.get("/api/v1/me/notifications", headers=manager.headers).get_json()
    assert [n["subject"] for n in notices if n["kind"] == "seller_order_cancelled"] == [
        f"Order {order['id']} was cancelled by the buyer"]


def test_the_buyer_cannot_cancel_after_acceptance(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak", stock=5)
    buyer, order = routed_order([seller_offer])
    staff = seller_member(seller_offer.tenant)
    client.post(seller_path(seller_offer, order["sellers"][0]["seller_order_id"], "accept"), headers=staff.headers)

    response = client.post(f"/api/v1/orders/{order['id']}/sellers/oak/cancel", json={"reason": "Changed my mind"},
                           headers=buyer.headers)
    run_jobs(app)

    assert response.status_code == 409 and response.get_json()["code"] == "illegal_transition"
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (4, 0)
    assert buyer_view(client, buyer, order["id"])["sellers"][0]["refunds"] == []


def test_another_buyer_cannot_cancel_my_order(client, offer, routed_order, shopper):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])

    response = client.post(f"/api/v1/orders/{order['id']}/sellers/oak/cancel", json={"reason": "Mine now"},
                           headers=shopper().headers)

    assert response.status_code == 404


def test_a_suspended_seller_still_handles_its_orders(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    staff = seller_member(seller_offer.tenant)
    set_tenant_status(app, seller_offer.tenant, TenantStatus.SUSPENDED)

    response = client.post(seller_path(seller_offer, order["sellers"][0]["seller_order_id"], "accept"),
                           headers=staff.headers)

    assert response.status_code == 200 and response.get_json()["status"] == "accepted"


def test_concurrent_accept_reject_and_cancel_have_exactly_one_winner(app, client, offer, routed_order):
    seller_offer = offer("oak", stock=5)
    buyer, order = routed_order([seller_offer])
    tenant, seller_order_id = seller_offer.tenant, order["sellers"][0]["seller_order_id"]

    outcomes = run_together(
        app,
        lambda: services.accept(tenant, seller_order_id, None),
        lambda: services.reject(tenant, seller_order_id, None, "No stock"),
        lambda: services.cancel_by_buyer(buyer.user_id, order["id"], "oak", "Too slow"))
    run_jobs(app)

    assert sorted(outcomes) == ["IllegalTransition", "IllegalTransition", "done"]
    with app.app_context(), UnitOfWork() as uow:
        refunds = uow.session.query(Refund).count()
    status = buyer_view(client, buyer, order["id"])["sellers"][0]["status"]
    assert (status, refunds, stock_of(tenant, seller_offer.variant_id)) in [
        ("accepted", 0, (4, 0)), ("rejected", 1, (5, 0)), ("cancelled", 1, (5, 0))]


def test_a_seller_with_open_orders_is_not_closed(app, client, offer, routed_order, seller_member, operator):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    close = f"/api/v1/operator/tenants/{seller_offer.tenant.slug}/close"

    refused = client.post(close, json={"reason": "Leaving"}, headers=operator.headers)
    services.reject(seller_offer.tenant, seller_order_id, None, "Closing down")
    closed = client.post(close, json={"reason": "Leaving"}, headers=operator.headers)

    assert refused.status_code == 409
    assert refused.get_json()["code"] == "open_orders"
    assert refused.get_json()["errors"] == {"open_orders": [str(seller_order_id)]}
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
