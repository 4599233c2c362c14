"""The buyer's order shows each seller order's moves, shipments and tracking events."""
from __future__ import annotations

from tests.orders.conftest import accept, seller_lines


def test_the_buyers_order_shows_each_sellers_history_shipments_and_tracking(app, client, offer, routed_order,
                                                                            member_of):
    oak, elm = offer("oak"), offer("elm")
    buyer, order = routed_order([oak, elm], quantity=2)
    oak_part, elm_part = order["sellers"]
    accept(app, oak.tenant, oak_part["seller_order_id"])
    [(oak_line, _)] = seller_lines(app, oak.tenant, oak_part["seller_order_id"])
    owner = member_of(oak.tenant)
    shipment = client.post(f"/api/v1/sellers/oak/orders/{oak_part['seller_order_id']}/shipments",
                           headers=owner.headers, json={"carrier": "DHL", "tracking_number": "OAK-1",
                                                        "lines": [{"line_id": oak_line, "quantity": 1}]}).get_json()
    client.post(f"/api/v1/sellers/oak/shipments/{shipment['id']}/tracking-events", headers=owner.headers,
                json={"status": "in_transit", "description": "Left Porto hub"})

    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()

    oak_view, elm_view = view["sellers"]
    assert [(move["action"], move["to_status"], move["actor"]) for move in oak_view["history"]] == [
        ("accept", "accepted", "seller"), ("ship_part", "partially_shipped", "seller")]
    [parcel] = oak_view["shipments"]
    assert (parcel["carrier"], parcel["tracking_number"], parcel["status"]) == ("DHL", "OAK-1", "in_transit")
    # The buyer's own order line, not the seller's line id.
    assert parcel["lines"] == [{"line_id": oak_part["lines"][0]["id"], "quantity": 1}]
    assert [(e["status"], e["description"], e["source"]) for e in parcel["tracking_events"]] == [
        ("in_transit", "Left Porto hub", "seller")]
    assert (elm_view["status"], elm_view["history"], elm_view["shipments"]) == ("awaiting_acceptance", [], [])

