"""Tracking events from sellers and from carriers' signed webhooks; delivery; completion after the return window."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace.accounts.models import MemberRole
from marketplace.orders.models import SellerOrderEvent, Shipment, TrackingEvent
from marketplace.orders.tracking import carrier_signature, complete_past_return_window
from tenants.db import utcnow
from tenants.uow import UnitOfWork
from tests.orders.conftest import accept, seller_lines, seller_order_status
from tests.workers.support import run_jobs
from workers.scheduler import build_scheduler


@pytest.fixture
def shipped(app, client, offer, routed_order, member_of):
    """shipped(slug, parcels=1): a seller's order of `parcels` units shipped one unit per parcel, tracking
    numbers <SLUG>-1, <SLUG>-2...; (buyer, order, seller, owner, seller order id, shipment ids)."""

    def make(slug: str = "oak", parcels: int = 1):
        seller_offer = offer(slug)
        buyer, order = routed_order([seller_offer], quantity=parcels)
        seller, seller_order_id = seller_offer.tenant, order["sellers"][0]["seller_order_id"]
        accept(app, seller, seller_order_id)
        [(line_id, _)] = seller_lines(app, seller, seller_order_id)
        owner = member_of(seller)
        shipment_ids = [client.post(f"/api/v1/sellers/{slug}/orders/{seller_order_id}/shipments",
                                    headers=owner.headers,
                                    json={"carrier": "DHL", "tracking_number": f"{slug.upper()}-{number}",
                                          "lines": [{"line_id": line_id, "quantity": 1}]}).get_json()["id"]
                        for number in range(1, parcels + 1)]
        return buyer, order, seller, owner, seller_order_id, shipment_ids

    return make


def secret_of(client, slug: str, owner) -> str:
    response = client.post(f"/api/v1/sellers/{slug}/carrier-webhook-secret", headers=owner.headers)
    assert response.status_code == 201
    return response.get_json()["secret"]


def deliver_webhook(client, slug: str, event: dict, secret: str, signed_at: int | None = None, signature=None):
    payload = json.dumps(event).encode()
    header = signature if signature is not None else carrier_signature(payload, secret, signed_at)
    return client.post(f"/api/v1/webhooks/carriers/{slug}", data=payload,
                       headers={"Content-Type": "application/json", "Carrier-Signature": header})


def tracking_state(app, seller) -> tuple:
    """What a tracking event can change in a seller's schema: shipments' statuses, events, order moves."""
    with app.app_context(), UnitOfWork(seller) as uow:
        return (uow.session.execute(select(Shipment.id, Shipment.status).order_by(Shipment.id)).all(),
                uow.session.scalar(select(func.count(TrackingEvent.id))),
                uow.session.scalar(select(func.count(SellerOrderEvent.id))))


def event(tracking_number: str, status: str = "in_transit", event_id: str = "evt-1") -> dict:
    return {"id": event_id, "tracking_number": tracking_number, "status": status, "description": "Hub"}


# From the seller

def test_a_seller_reports_tracking_and_the_last_parcel_delivered_delivers_the_order(app, client, shipped):
    buyer, order, seller, owner, seller_order_id, (first, second) = shipped(parcels=2)
    url = "/api/v1/sellers/oak/shipments/{}/tracking-events"

    in_transit = client.post(url.format(first), headers=owner.headers, json={"status": "in_transit"})
    client.post(url.format(first), headers=owner.headers, json={"status": "delivered"})
    assert seller_order_status(app, seller, seller_order_id) == "shipped"  # one parcel still travels
    last = client.post(url.format(second), headers=owner.headers, json={"status": "delivered"})

    assert (in_transit.status_code, last.status_code) == (201, 201)
    assert last.get_json()["status"] == "delivered"
    assert seller_order_status(app, seller, seller_order_id) == "delivered"
    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert view["sellers"][0]["status"] == "delivered"


def test_a_partly_shipped_order_is_not_delivered_by_its_parcels(app, client, offer, routed_order, member_of):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer], quantity=2)
    seller_order_id = order["sellers"][0]["seller_order_id"]
    accept(app, seller_offer.tenant, seller_order_id)
    [(line_id, _)] = seller_lines(app, seller_offer.tenant, seller_order_id)
    owner = member_of(seller_offer.tenant)
    shipment = client.post(f"/api/v1/sellers/oak/orders/{seller_order_id}/shipments", headers=owner.headers,
                           json={"carrier": "DHL", "tracking_number": "OAK-1",
                                 "lines": [{"line_id": line_id, "quantity": 1}]}).get_json()

    client.post(f"/api/v1/sellers/oak/shipments/{shipment['id']}/tracking-events", headers=owner.headers,
                json={"status": "delivered"})

    assert seller_order_status(app, seller_offer.tenant, seller_order_id) == "partially_shipped"


@pytest.mark.parametrize("body", [{"status": "shipped"}, {"status": "lost"}, {}, {"status": "in_transit",
                                                                                  "occurred_at": "yesterday"}])
def test_a_malformed_tracking_event_is_refused(app, client, shipped, body):
    _, _, seller, owner, _, (shipment_id,) = shipped()
    before = tracking_state(app, seller)

    response = client.post(f"/api/v1/sellers/oak/shipments/{shipment_id}/tracking-events", headers=owner.headers,
                           json=body)

    assert response.status_code == 422
    assert tracking_state(app, seller) == before


def test_a_seller_cannot_report_on_another_sellers_shipment(app, client, shipped, member_of, make_seller):
    _, _, oak, _, _, (shipment_id,) = shipped()
    elm = make_seller("elm")
    before = tracking_state(app, oak)

    response = client.post(f"/api/v1/sellers/elm/shipments/{shipment_id}/tracking-events",
                           headers=member_of(elm).headers, json={"status": "delivered"})

    assert response.status_code == 404
    assert tracking_state(app, oak) == before


# From the carrier

def test_a_signed_carrier_event_moves_the_shipment_and_delivers_the_order(app, client, shipped):
    buyer, order, seller, owner, seller_order_id, _ = shipped()
    secret = secret_of(client, "oak", owner)

    moving = deliver_webhook(client, "oak", event("OAK-1", "in_transit", "evt-1"), secret)
    arrived = deliver_webhook(client, "oak", event("OAK-1", "delivered", "evt-2"), secret)

    assert (moving.status_code, arrived.status_code) == (200, 200)
    assert [(e["status"], e["source"]) for e in arrived.get_json()["tracking_events"]] == [
        ("in_transit", "carrier"), ("delivered", "carrier")]
    assert seller_order_status(app, seller, seller_order_id) == "delivered"
    part = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()["sellers"][0]
    assert part["history"][-1]["actor"] == "carrier"


@pytest.mark.parametrize("tamper", ["bad signature", "stale timestamp", "future timestamp", "no header",
                                    "garbled header"])
def test_a_carrier_event_that_does_not_verify_is_refused_and_changes_nothing(app, client, shipped, tamper):
    _, _, seller, owner, _, _ = shipped()
    secret = secret_of(client, "oak", owner)
    before = tracking_state(app, seller)
    now = int(time.time())
    arguments = {
        "bad signature": {"secret": "cwhsec_not-the-sellers"},
        "stale timestamp": {"secret": secret, "signed_at": now - 301},
        "future timestamp": {"secret": secret, "signed_at": now + 301},
        "no header": {"secret": secret, "signature": ""},
        "garbled header": {"secret": secret, "signature": "t=soon,v1=abc"},
    }[tamper]

    response = deliver_webhook(client, "oak", event("OAK-1", "delivered"), **arguments)

    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_webhook"
    assert tracking_state(app, seller) == before


def test_a_replayed_carrier_event_is_refused_and_changes_nothing(app, client, shipped):
    _, _, seller, owner, _, _ = shipped()
    secret = secret_of(client, "oak", owner)
    assert deliver_webhook(client, "oak", event("OAK-1", "in_transit", "evt-7"), secret).status_code == 200
    before = tracking_state(app, seller)

    replay = deliver_webhook(client, "oak", event("OAK-1", "in_transit", "evt-7"), secret)

    assert replay.status_code == 409
    assert replay.get_json()["code"] == "duplicate_event"
    assert tracking_state(app, seller) == before


def test_a_carrier_event_for_another_sellers_shipment_is_refused_and_changes_nothing(app, client, shipped):
    _, _, oak, _, oak_order_id, _ = shipped("oak")
    _, _, elm, elm_owner, _, _ = shipped("elm")
    elm_secret = secret_of(client, "elm", elm_owner)
    before = tracking_state(app, oak), tracking_state(app, elm)

    # Elm's carrier (or someone holding elm's secret) names oak's parcel: oak's schema is never looked at.
    through_elm = deliver_webhook(client, "elm", event("OAK-1", "delivered"), elm_secret)
    # Elm's signature on oak's URL does not verify with oak's secret (none yet, or another one).
    through_oak = deliver_webhook(client, "oak", event("OAK-1", "delivered"), elm_secret)

    assert through_elm.status_code == 404
    assert through_oak.status_code == 400
    assert (tracking_state(app, oak), tracking_state(app, elm)) == before
    assert seller_order_status(app, oak, oak_order_id) == "shipped"


def test_a_signed_body_that_is_no_tracking_event_is_refused(app, client, shipped):
    _, _, seller, owner, _, _ = shipped()
    secret = secret_of(client, "oak", owner)
    before = tracking_state(app, seller)

    response = deliver_webhook(client, "oak", {"id": "evt-1", "tracking_number": "OAK-1", "status": "lost"}, secret)

    assert response.status_code == 422
    assert tracking_state(app, seller) == before


def test_a_rotated_secret_replaces_the_old_one_and_only_owners_rotate(app, client, shipped, member_of):
    _, _, seller, owner, _, _ = shipped()
    old = secret_of(client, "oak", owner)
    new = secret_of(client, "oak", owner)

    staff = member_of(seller, MemberRole.STAFF)
    assert client.post("/api/v1/sellers/oak/carrier-webhook-secret", headers=staff.headers).status_code == 403
    assert deliver_webhook(client, "oak", event("OAK-1", event_id="evt-1"), old).status_code == 400
    assert deliver_webhook(client, "oak", event("OAK-1", event_id="evt-2"), new).status_code == 200


# Completion after the return window

def delivered_days_ago(app, seller, seller_order_id: int, days: int) -> None:
    with app.app_context(), UnitOfWork(seller) as uow:
        uow.session.execute(update(SellerOrderEvent).where(SellerOrderEvent.seller_order_id == seller_order_id,
                                                           SellerOrderEvent.action == "deliver")
                            .values(created_at=utcnow() - timedelta(days=days)))
        uow.commit()


def run_the_scheduler(app) -> None:
    build_scheduler(app.config).enqueue_jobs()
    run_jobs(app)


def test_delivered_orders_complete_once_the_return_window_has_passed(app, client, shipped):
    buyer, order, oak, oak_owner, oak_order_id, (oak_shipment,) = shipped("oak")
    _, _, elm, elm_owner, elm_order_id, (elm_shipment,) = shipped("elm")
    for slug, owner, shipment_id in (("oak", oak_owner, oak_shipment), ("elm", elm_owner, elm_shipment)):
        client.post(f"/api/v1/sellers/{slug}/shipments/{shipment_id}/tracking-events", headers=owner.headers,
                    json={"status": "delivered"})
    delivered_days_ago(app, oak, oak_order_id, 15)
    delivered_days_ago(app, elm, elm_order_id, 13)

    run_the_scheduler(app)
    with app.app_context():
        assert complete_past_return_window(14) == 0  # a later run completes nothing twice

    assert app.config["RETURN_WINDOW_DAYS"] == 14
    assert seller_order_status(app, oak, oak_order_id) == "completed"
    assert seller_order_status(app, elm, elm_order_id) == "delivered"
    part = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()["sellers"][0]
    assert (part["status"], part["history"][-1]["actor"]) == ("completed", "system")


def test_a_sellers_own_return_window_wins_over_the_default(app, client, shipped):
    _, _, oak, owner, oak_order_id, (shipment_id,) = shipped("oak")
    client.post(f"/api/v1/sellers/oak/shipments/{shipment_id}/tracking-events", headers=owner.headers,
                json={"status": "delivered"})
    delivered_days_ago(app, oak, oak_order_id, 15)

    changed = client.put("/api/v1/sellers/oak/fulfilment-settings", headers=owner.headers,
                         json={"return_window_days": 30})
    with app.app_context():
        complete_past_return_window(14)

    assert changed.status_code == 200
    assert changed.get_json()["effective_return_window_days"] == 30
    assert seller_order_status(app, oak, oak_order_id) == "delivered"
    client.put("/api/v1/sellers/oak/fulfilment-settings", headers=owner.headers, json={"return_window_days": None})
    with app.app_context():
        complete_past_return_window(14)
    assert seller_order_status(app, oak, oak_order_id) == "completed"


@pytest.mark.parametrize("body", [{}, {"return_window_days": -1}, {"return_window_days": 366},
                                  {"return_window_days": "30"}])
def test_a_malformed_return_window_is_refused(client, shipped, body):
    _, _, _, owner, _, _ = shipped("oak")

    response = client.put("/api/v1/sellers/oak/fulfilment-settings", headers=owner.headers, json=body)

    assert response.status_code == 422
    assert client.get("/api/v1/sellers/oak/fulfilment-settings", headers=owner.headers).get_json() == {
        "return_window_days": None, "effective_return_window_days": 14, "refund_shipping_on_return": False,
        "carrier_webhook_secret_rotated_at": None}
