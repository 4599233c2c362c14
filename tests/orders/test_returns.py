"""Returns: the buyer sends back delivered units in the window, the seller decides and receives, the refund is exact."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace.orders import returns
from marketplace.orders.models import Return, SellerOrderEvent
from marketplace.orders.tracking import complete_past_return_window
from marketplace.refunds.models import Refund
from tenants.db import utcnow
from tenants.models import TenantRef, TenantStatus
from tenants.uow import UnitOfWork
from tests.checkout.conftest import Offer, stock_of
from tests.concurrency import run_together
from tests.conftest import SignedIn
from tests.orders.conftest import accept, seller_lines, seller_order_status, set_tenant_status
from tests.workers.support import run_jobs


@dataclass(frozen=True)
class Delivered:
    buyer: SignedIn
    order: dict
    offer: Offer
    owner: SignedIn
    seller_order_id: int
    order_line_id: int  # the buyer's line id
    seller_line_id: int

    @property
    def seller(self) -> TenantRef:
        return self.offer.tenant

    @property
    def returns_url(self) -> str:
        return f"/api/v1/orders/{self.order['id']}/sellers/{self.seller.slug}/returns"

    def seller_url(self, return_id: int, action: str = "") -> str:
        return f"/api/v1/sellers/{self.seller.slug}/returns/{return_id}" + (f"/{action}" if action else "")


@pytest.fixture
def delivered(app, client, offer, routed_order, member_of):
    """delivered(quantity=3, stock=5): a buyer's order of `quantity` units of one seller, shipped and delivered."""

    def make(quantity: int = 3, stock: int = 5, slug: str = "oak") -> Delivered:
        seller_offer = offer(slug, price_amount=1000, stock=stock)
        buyer, order = routed_order([seller_offer], quantity=quantity)
        [part] = order["sellers"]
        seller, seller_order_id = seller_offer.tenant, part["seller_order_id"]
        accept(app, seller, seller_order_id)
        [(seller_line_id, _)] = seller_lines(app, seller, seller_order_id)
        owner = member_of(seller)
        shipment = client.post(f"/api/v1/sellers/{slug}/orders/{seller_order_id}/shipments", headers=owner.headers,
                               json={"carrier": "DHL", "tracking_number": f"{slug}-1",
                                     "lines": [{"line_id": seller_line_id, "quantity": quantity}]}).get_json()
        client.post(f"/api/v1/sellers/{slug}/shipments/{shipment['id']}/tracking-events", headers=owner.headers,
                    json={"status": "delivered"})
        assert seller_order_status(app, seller, seller_order_id) == "delivered"
        return Delivered(buyer, order, seller_offer, owner, seller_order_id, part["lines"][0]["id"], seller_line_id)

    return make


def ask(client, delivered: Delivered, quantity: int, reason: str = "Too small", buyer: SignedIn | None = None):
    return client.post(delivered.returns_url, headers=(buyer or delivered.buyer).headers,
                       json={"reason": reason, "lines": [{"line_id": delivered.order_line_id, "quantity": quantity}]})


def return_and_receive(client, delivered: Delivered, quantity: int, resellable: bool) -> int:
    """A return of `quantity` units, approved and received by the seller; its id."""
    return_id = ask(client, delivered, quantity).get_json()["id"]
    headers = delivered.owner.headers
    assert client.post(delivered.seller_url(return_id, "approve"), headers=headers).status_code == 200
    received = client.post(delivered.seller_url(return_id, "receive"), headers=headers,
                           json={"lines": [{"line_id": delivered.seller_line_id, "resellable": resellable}]})
    assert received.status_code == 200, received.get_json()
    return return_id


def refunds_of_order(app, order_id: int) -> list[tuple[int, str, str]]:
    with app.app_context(), UnitOfWork() as uow:
        return [(refund.amount, refund.status.value, refund.idempotency_key) for refund in uow.session.scalars(
            select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))]


def return_count(app, seller) -> int:
    with app.app_context(), UnitOfWork(seller) as uow:
        return uow.session.scalar(select(func.count(Return.id)))


def notices(client, user: SignedIn) -> list[tuple[str, str]]:
    return [(notice["kind"], notice["subject"])
            for notice in client.get("/api/v1/me/notifications", headers=user.headers).get_json()]


def delivered_days_ago(app, seller, seller_order_id: int, days: int) -> None:
    with app.app_context(), UnitOfWork(seller) as uow:
        uow.session.execute(update(SellerOrderEvent).where(SellerOrderEvent.seller_order_id == seller_order_id,
                                                           SellerOrderEvent.action == "deliver")
                            .values(created_at=utcnow() - timedelta(days=days)))
        uow.commit()


# The journey

def test_a_return_is_refunded_once_received_and_only_resellable_units_go_back_in_stock(app, client, delivered):
    sale = delivered(quantity=3, stock=5)
    order_id = sale.order["id"]

    first = return_and_receive(client, sale, 1, resellable=True)
    run_jobs(app)
    second = return_and_receive(client, sale, 2, resellable=False)
    run_jobs(app)

    # Each unit takes its share of the line (3 × 1000); shipping stays with the seller by default.
    tenant_key = f"return:{sale.seller.id}"
    assert refunds_of_order(app, order_id) == [(1000, "succeeded", f"{tenant_key}:{first}"),
                                               (2000, "succeeded", f"{tenant_key}:{second}")]
    assert stock_of(sale.seller, sale.offer.variant_id) == (2 + 1, 0)
    listed = client.get(f"/api/v1/sellers/{sale.seller.slug}/returns", headers=sale.owner.headers).get_json()
    assert [(r["id"], r["status"], r["refund_amount"], r["lines"][0]["resellable"]) for r in listed] == [
        (second, "refunded", 2000, False), (first, "refunded", 1000, True)]
    part = client.get(f"/api/v1/orders/{order_id}", headers=sale.buyer.headers).get_json()["sellers"][0]
    assert [(r["status"], r["lines"], r["refund_amount"]) for r in part["returns"]] == [
        ("refunded", [{"line_id": sale.order_line_id, "quantity": 1}], 1000),
        ("refunded", [{"line_id": sale.order_line_id, "quantity": 2}], 2000)]
    assert part["status"] == "delivered"  # a return never moves the seller order
    assert [kind for kind, _ in notices(client, sale.buyer) if kind.startswith("return_")] == [
        "return_refunded", "return_approved", "return_refunded", "return_approved"]
    assert [kind for kind, _ in notices(client, sale.owner)].count("return_requested") == 2


def test_with_the_policy_shipping_is_refunded_in_proportion_and_the_pieces_add_up_to_the_order(app, client, delivered):
    sale = delivered(quantity=7, stock=10)
    policy = client.put(f"/api/v1/sellers/{sale.seller.slug}/fulfilment-settings", headers=sale.owner.headers,
                        json={"return_window_days": None, "refund_shipping_on_return": True})
    assert policy.status_code == 200 and policy.get_json()["refund_shipping_on_return"] is True

    return_and_receive(client, sale, 3, resellable=True)
    return_and_receive(client, sale, 4, resellable=True)
    run_jobs(app)

    # Shipping 450 over goods 7000: 3000 of them take 192.86 → 193 (largest remainder), the other 4000 the rest.
    assert [amount for amount, _, _ in refunds_of_order(app, sale.order["id"])] == [3000 + 193, 4000 + 257]
    assert 3193 + 4257 == sale.order["sellers"][0]["total_amount"]


# Bad input and races

def test_a_return_after_the_window_is_refused(app, client, delivered):
    sale = delivered()
    delivered_days_ago(app, sale.seller, sale.seller_order_id, 15)

    response = ask(client, sale, 1)

    assert response.status_code == 409
    assert response.get_json()["code"] == "return_window_closed"
    assert return_count(app, sale.seller) == 0


def test_an_order_not_delivered_yet_is_not_returned(app, client, offer, routed_order):
    seller_offer = offer("oak")
    buyer, order = routed_order([seller_offer])
    accept(app, seller_offer.tenant, order["sellers"][0]["seller_order_id"])

    response = client.post(f"/api/v1/orders/{order['id']}/sellers/oak/returns", headers=buyer.headers,
                           json={"reason": "Changed my mind",
                                 "lines": [{"line_id": order["sellers"][0]["lines"][0]["id"], "quantity": 1}]})

    assert response.status_code == 409
    assert response.get_json()["code"] == "not_delivered"


def test_more_units_than_delivered_and_not_returned_are_refused_naming_the_line(app, client, delivered):
    sale = delivered(quantity=3)
    assert ask(client, sale, 2).status_code == 201

    response = ask(client, sale, 2)

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"lines": {"0": {"quantity": [
        f"Line {sale.order_line_id} has 1 delivered unit(s) not returned yet, not 2."]}}}
    assert return_count(app, sale.seller) == 1


def test_a_rejected_return_gives_its_units_back_to_ask_for(app, client, delivered):
    sale = delivered(quantity=2)
    return_id = ask(client, sale, 2).get_json()["id"]

    rejected = client.post(sale.seller_url(return_id, "reject"), headers=sale.owner.headers,
                           json={"reason": "Please send photos first"})
    again = ask(client, sale, 2, reason="Photos attached")
    run_jobs(app)

    assert rejected.status_code == 200 and rejected.get_json()["decision_reason"] == "Please send photos first"
    assert again.status_code == 201
    assert ("return_rejected", f"Order {sale.order['id']}: your return to Oak was rejected") in notices(client,
                                                                                                         sale.buyer)


def test_another_buyers_order_is_not_found(app, client, delivered, shopper):
    sale = delivered()

    stranger = ask(client, sale, 1, buyer=shopper())
    unknown_seller = client.post(f"/api/v1/orders/{sale.order['id']}/sellers/nobody/returns",
                                 headers=sale.buyer.headers,
                                 json={"reason": "x", "lines": [{"line_id": sale.order_line_id, "quantity": 1}]})

    assert (stranger.status_code, unknown_seller.status_code) == (404, 404)
    assert return_count(app, sale.seller) == 0


@pytest.mark.parametrize("body", [{}, {"reason": "x", "lines": []}, {"reason": "", "lines": [{"line_id": 1,
                                                                                              "quantity": 1}]},
                                  {"reason": "x", "lines": [{"line_id": 1, "quantity": 0}]},
                                  {"reason": "x", "lines": [{"line_id": "1", "quantity": 1}]}])
def test_a_malformed_request_is_a_422_and_changes_nothing(app, client, delivered, body):
    sale = delivered()

    response = client.post(sale.returns_url, headers=sale.buyer.headers, json=body)

    assert response.status_code == 422
    assert return_count(app, sale.seller) == 0


def test_illegal_moves_of_a_return_are_refused_and_change_nothing(app, client, delivered):
    sale = delivered()
    return_id = ask(client, sale, 1).get_json()["id"]
    headers = sale.owner.headers
    receipt = {"lines": [{"line_id": sale.seller_line_id, "resellable": True}]}

    received_early = client.post(sale.seller_url(return_id, "receive"), headers=headers, json=receipt)
    client.post(sale.seller_url(return_id, "approve"), headers=headers)
    approved_twice = client.post(sale.seller_url(return_id, "approve"), headers=headers)
    rejected_late = client.post(sale.seller_url(return_id, "reject"), headers=headers, json={"reason": "No"})

    for response in (received_early, approved_twice, rejected_late):
        assert response.status_code == 409
        assert response.get_json()["code"] == "illegal_transition"
    view = client.get(sale.seller_url(return_id), headers=headers).get_json()
    assert (view["status"], view["decision_reason"], view["lines"][0]["resellable"]) == ("approved", "", None)
    assert stock_of(sale.seller, sale.offer.variant_id) == (5 - 3, 0)


@pytest.mark.parametrize("lines", [[], [{"line_id": 999_999, "resellable": True}]])
def test_a_receipt_must_name_every_line_of_the_return(app, client, delivered, lines):
    sale = delivered()
    return_id = ask(client, sale, 1).get_json()["id"]
    client.post(sale.seller_url(return_id, "approve"), headers=sale.owner.headers)

    response = client.post(sale.seller_url(return_id, "receive"), headers=sale.owner.headers, json={"lines": lines})

    assert response.status_code == 422
    assert client.get(sale.seller_url(return_id), headers=sale.owner.headers).get_json()["status"] == "approved"


def test_two_concurrent_requests_for_the_last_units_let_exactly_one_through(app, delivered):
    sale = delivered(quantity=2)
    lines = [{"line_id": sale.order_line_id, "quantity": 2}]

    def request():
        returns.request_return(sale.buyer.user_id, sale.order["id"], "oak", "Wrong colour", lines, 14)

    outcomes = run_together(app, request, request)

    assert sorted(outcomes) == ["UnitsNotReturnable", "done"]
    assert return_count(app, sale.seller) == 1


def test_a_rerun_of_the_refund_job_refunds_once(app, client, delivered):
    sale = delivered(quantity=2)
    return_id = return_and_receive(client, sale, 1, resellable=True)
    run_jobs(app)
    before = client.get(sale.seller_url(return_id), headers=sale.owner.headers).get_json()

    with app.app_context():
        rerun = returns.refund_return(sale.seller.id, return_id, sale.order["id"], 1000, "USD",
                                      [{"line_id": sale.order_line_id, "quantity": 1}])
        recorded_again = returns.record_return_refund(sale.seller.id, return_id, before["refund_id"] + 1)
    run_jobs(app)

    assert rerun is True and recorded_again is False
    assert refunds_of_order(app, sale.order["id"]) == [(1000, "succeeded", f"return:{sale.seller.id}:{return_id}")]
    after = client.get(sale.seller_url(return_id), headers=sale.owner.headers).get_json()
    assert (after["status"], after["refund_id"], after["refunded_at"]) == (
        "refunded", before["refund_id"], before["refunded_at"])
    assert [kind for kind, _ in notices(client, sale.buyer)].count("return_refunded") == 1


# The seller's side

def test_members_handle_returns_while_suspended_and_list_them_by_status(app, client, delivered, seller_member):
    sale = delivered(quantity=3)
    first = ask(client, sale, 1).get_json()["id"]
    second = ask(client, sale, 1).get_json()["id"]
    staff = seller_member(sale.seller)
    set_tenant_status(app, sale.seller, TenantStatus.SUSPENDED)

    approved = client.post(sale.seller_url(first, "approve"), headers=staff.headers)
    requested = client.get(f"/api/v1/sellers/{sale.seller.slug}/returns?status=requested", headers=staff.headers)

    assert approved.status_code == 200
    assert [r["id"] for r in requested.get_json()] == [second]
    assert requested.headers["X-Pagination"]


def test_a_buyer_cannot_see_or_decide_a_sellers_returns(app, client, delivered):
    sale = delivered()
    return_id = ask(client, sale, 1).get_json()["id"]

    assert client.get(sale.seller_url(return_id), headers=sale.buyer.headers).status_code == 403
    assert client.post(sale.seller_url(return_id, "approve"), headers=sale.buyer.headers).status_code == 403


def test_an_order_with_an_open_return_is_not_completed_until_it_is_refunded(app, client, delivered):
    sale = delivered(quantity=2)
    return_id = ask(client, sale, 1).get_json()["id"]
    delivered_days_ago(app, sale.seller, sale.seller_order_id, 15)

    with app.app_context():
        assert complete_past_return_window(14) == 0
    assert seller_order_status(app, sale.seller, sale.seller_order_id) == "delivered"
    client.post(sale.seller_url(return_id, "approve"), headers=sale.owner.headers)
    client.post(sale.seller_url(return_id, "receive"), headers=sale.owner.headers,
                json={"lines": [{"line_id": sale.seller_line_id, "resellable": False}]})
    run_jobs(app)

    with app.app_context():
        assert complete_past_return_window(14) == 1
    assert seller_order_status(app, sale.seller, sale.seller_order_id) == "completed"


def test_a_return_whose_units_were_refunded_by_hand_stays_received_and_the_seller_is_told(app, client, delivered):
    sale = delivered(quantity=1)
    return_id = ask(client, sale, 1).get_json()["id"]
    client.post(sale.seller_url(return_id, "approve"), headers=sale.owner.headers)
    by_hand = client.post(f"/api/v1/sellers/{sale.seller.slug}/orders/{sale.seller_order_id}/refunds",
                          headers=sale.owner.headers, json={"amount": 1000, "reason": "Refunded before it came back",
                                                            "lines": [{"line_id": sale.order_line_id,
                                                                       "quantity": 1}]})

    client.post(sale.seller_url(return_id, "receive"), headers=sale.owner.headers,
                json={"lines": [{"line_id": sale.seller_line_id, "resellable": True}]})
    run_jobs(app)

    assert by_hand.status_code == 201
    assert [amount for amount, _, _ in refunds_of_order(app, sale.order["id"])] == [1000]
    assert client.get(sale.seller_url(return_id), headers=sale.owner.headers).get_json()["status"] == "received"
    assert ("return_refund_failed", f"Return {return_id} of order {sale.order['id']} was not refunded") in notices(
        client, sale.owner)
