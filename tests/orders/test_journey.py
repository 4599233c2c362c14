"""One order across three sellers, from payment to a refunded return, as its buyer, sellers and a carrier live it.

oak accepts and ships in two parcels, the seller and the carrier's signed
webhook report them delivered, and one returned unit is refunded; elm rejects;
ash misses its acceptance SLA and the job cancels it. Each ended part is
refunded and its stock is back; the buyer's order shows every step.
"""
from __future__ import annotations

from marketplace.orders.jobs import cancel_overdue_orders
from tests.checkout.conftest import stock_of
from tests.orders.conftest import seller_lines, stock_movements
from tests.orders.test_carrier_webhooks import deliver_webhook, event, secret_of
from tests.orders.test_sla import make_overdue
from tests.webhooks.conftest import drive_deliveries, receiver, register_endpoint  # noqa: F401 - a fixture
from tests.workers.support import run_jobs


def test_an_order_across_three_sellers_from_payment_to_a_refunded_return(app, client, offer, routed_order, member_of,
                                                                         receiver):  # noqa: F811 - the fixture
    oak, elm, ash = offer("oak", price_amount=1500, stock=5), offer("elm", stock=5), offer("ash", stock=5)
    owners = {seller.tenant.slug: member_of(seller.tenant) for seller in (oak, elm, ash)}
    register_endpoint(client, oak.tenant, owners["oak"], receiver.url)  # oak's own system follows its orders
    buyer, order = routed_order([oak, elm, ash], quantity=2)
    parts = {part["seller"]: part for part in order["sellers"]}
    oak_order = parts["oak"]["seller_order_id"]
    oak_url = f"/api/v1/sellers/oak/orders/{oak_order}"

    # oak accepts and ships one unit per parcel; elm rejects; ash says nothing and misses its SLA.
    assert client.post(f"{oak_url}/accept", headers=owners["oak"].headers).status_code == 200
    [(oak_line, _)] = seller_lines(app, oak.tenant, oak_order)
    parcels = [client.post(f"{oak_url}/shipments", headers=owners["oak"].headers,
                           json={"carrier": "DHL", "tracking_number": f"OAK-{number}",
                                 "lines": [{"line_id": oak_line, "quantity": 1}]}).get_json()
               for number in (1, 2)]
    rejected = client.post(f"/api/v1/sellers/elm/orders/{parts['elm']['seller_order_id']}/reject",
                           headers=owners["elm"].headers, json={"reason": "Out of glaze"})
    make_overdue(app, ash.tenant, parts["ash"]["seller_order_id"])
    with app.app_context():
        cancel_overdue_orders()

    # oak reports the first parcel delivered; the carrier's signed webhook delivers the second.
    by_seller = client.post(f"/api/v1/sellers/oak/shipments/{parcels[0]['id']}/tracking-events",
                            headers=owners["oak"].headers, json={"status": "delivered"})
    secret = secret_of(client, "oak", owners["oak"])
    by_carrier = deliver_webhook(client, "oak", event("OAK-2", "delivered", "dhl-1"), secret)
    run_jobs(app)

    assert (rejected.status_code, by_carrier.status_code, by_seller.status_code) == (200, 200, 201)
    view = {part["seller"]: part for part in
            client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()["sellers"]}
    assert {seller: part["status"] for seller, part in view.items()} == {
        "oak": "delivered", "elm": "rejected", "ash": "cancelled"}
    assert [(move["to_status"], move["actor"]) for move in view["oak"]["history"]] == [
        ("accepted", "seller"), ("partially_shipped", "seller"), ("shipped", "seller"), ("delivered", "carrier")]
    assert [(parcel["tracking_number"], parcel["status"]) for parcel in view["oak"]["shipments"]] == [
        ("OAK-1", "delivered"), ("OAK-2", "delivered")]
    assert [(move["to_status"], move["actor"]) for move in view["ash"]["history"]] == [("cancelled", "system")]
    for seller, ended in (("elm", elm), ("ash", ash)):
        assert [(refund["amount"], refund["status"]) for refund in view[seller]["refunds"]] == [
            (view[seller]["total_amount"], "succeeded")]
        assert stock_of(ended.tenant, ended.variant_id) == (5, 0)
        assert [(delta, reason) for _, delta, reason, _ in stock_movements(app, ended.tenant)][-1] == (
            2, "cancellation")
    # The buyer returns one of oak's units; oak approves, receives it resellable, and the buyer is refunded.
    asked = client.post(f"/api/v1/orders/{order['id']}/sellers/oak/returns", headers=buyer.headers,
                        json={"reason": "One too many", "lines": [{"line_id": parts["oak"]["lines"][0]["id"],
                                                                   "quantity": 1}]})
    return_url = f"/api/v1/sellers/oak/returns/{asked.get_json()['id']}"
    approved = client.post(f"{return_url}/approve", headers=owners["oak"].headers)
    received = client.post(f"{return_url}/receive", headers=owners["oak"].headers,
                           json={"lines": [{"line_id": oak_line, "resellable": True}]})
    run_jobs(app)

    assert (asked.status_code, approved.status_code, received.status_code) == (201, 200, 200)
    [oak_view] = [part for part in client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
                  ["sellers"] if part["seller"] == "oak"]
    [returned] = oak_view["returns"]
    assert (returned["status"], returned["refund_amount"]) == ("refunded", 1500)
    assert [(refund["amount"], refund["status"]) for refund in oak_view["refunds"]] == [(1500, "succeeded")]
    assert stock_of(oak.tenant, oak.variant_id) == (5 - 2 + 1, 0)

    notices = {slug: [notice["subject"] for notice in
                      client.get("/api/v1/me/notifications", headers=owner.headers).get_json()
                      if notice["kind"] != "welcome"]
               for slug, owner in owners.items()}
    placed = f"New order {order['id']} awaits your acceptance"
    assert notices == {  # newest first; each seller hears of what others did, not of its own moves
        "oak": [f"Return requested on order {order['id']}", f"Order {order['id']} is now delivered", placed],
        "elm": [placed],
        "ash": [f"Order {order['id']} was cancelled by the marketplace", placed]}
    drive_deliveries(app)
    # oak's endpoint heard every step of its part, once each and in order.
    assert [request.event["type"] for request in receiver.received] == [
        "seller_order.created", "seller_order.accepted", "shipment.created", "seller_order.partially_shipped",
        "shipment.created", "seller_order.shipped", "shipment.tracking_updated", "shipment.tracking_updated",
        "seller_order.delivered", "return.requested", "return.approved", "return.received", "return.refunded"]
