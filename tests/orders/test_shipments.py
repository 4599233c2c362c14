"""Sellers ship some or all of an accepted order's units; never more than ordered; the buyer sees it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from marketplace.orders import shipments
from marketplace.orders.models import Shipment
from tenants.models import Tenant, TenantStatus
from tenants.uow import UnitOfWork
from tests.concurrency import run_together
from tests.orders.conftest import accept, seller_lines, seller_order_status


def shipments_url(tenant, seller_order_id: int) -> str:
    return f"/api/v1/sellers/{tenant.slug}/orders/{seller_order_id}/shipments"


def shipment_count(app, tenant) -> int:
    with app.app_context(), UnitOfWork(tenant) as uow:
        return uow.session.scalar(select(func.count(Shipment.id)))


@pytest.fixture
def accepted(app, offer, routed_order, member_of):
    """accepted(quantity): an accepted seller order of `quantity` units; (buyer, order, seller, member, id, line)."""

    def make(quantity: int = 2):
        seller_offer = offer("oak")
        buyer, order = routed_order([seller_offer], quantity=quantity)
        seller_order_id = order["sellers"][0]["seller_order_id"]
        accept(app, seller_offer.tenant, seller_order_id)
        [(line_id, _)] = seller_lines(app, seller_offer.tenant, seller_order_id)
        return buyer, order, seller_offer.tenant, member_of(seller_offer.tenant), seller_order_id, line_id

    return make


def test_shipping_every_unit_ships_the_order_and_the_buyer_sees_it(app, client, accepted):
    buyer, order, seller, member, seller_order_id, line_id = accepted(quantity=2)

    response = client.post(shipments_url(seller, seller_order_id), headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": 2}]})

    assert response.status_code == 201
    shipment = response.get_json()
    assert (shipment["carrier"], shipment["tracking_number"], shipment["status"]) == ("DHL", "JD0001", "shipped")
    assert shipment["lines"] == [{"line_id": line_id, "quantity": 2}]
    assert seller_order_status(app, seller, seller_order_id) == "shipped"
    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert view["sellers"][0]["status"] == "shipped"


def test_shipping_some_units_partly_ships_the_order_until_the_rest_follows(app, client, accepted):
    _, _, seller, member, seller_order_id, line_id = accepted(quantity=3)
    url = shipments_url(seller, seller_order_id)

    first = client.post(url, headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": 1}]})
    assert first.status_code == 201
    assert seller_order_status(app, seller, seller_order_id) == "partially_shipped"
    second = client.post(url, headers=member.headers, json={
        "carrier": "UPS", "tracking_number": "1Z0002", "lines": [{"line_id": line_id, "quantity": 2}]})

    assert second.status_code == 201
    assert seller_order_status(app, seller, seller_order_id) == "shipped"
    listed = client.get(url, headers=member.headers).get_json()
    assert [(s["tracking_number"], s["lines"]) for s in listed] == [
        ("JD0001", [{"line_id": line_id, "quantity": 1}]), ("1Z0002", [{"line_id": line_id, "quantity": 2}])]


def test_more_units_than_are_left_to_ship_are_refused_naming_the_line(app, client, accepted):
    _, _, seller, member, seller_order_id, line_id = accepted(quantity=2)
    url = shipments_url(seller, seller_order_id)
    client.post(url, headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": 1}]})

    response = client.post(url, headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0002", "lines": [{"line_id": line_id, "quantity": 2}]})

    assert response.status_code == 422
    assert response.get_json()["errors"]["lines"]["0"]["quantity"] == [
        f"Line {line_id} has 1 unit(s) left to ship, not 2."]
    assert shipment_count(app, seller) == 1
    assert seller_order_status(app, seller, seller_order_id) == "partially_shipped"


@pytest.mark.parametrize("lines_of", [
    lambda line_id: [{"line_id": line_id + 1000, "quantity": 1}],
    lambda line_id: [{"line_id": line_id, "quantity": 1}, {"line_id": line_id, "quantity": 1}],
], ids=["another order's line", "a line twice"])
def test_lines_that_are_not_the_orders_to_ship_are_refused(app, client, accepted, lines_of):
    _, _, seller, member, seller_order_id, line_id = accepted(quantity=2)

    response = client.post(shipments_url(seller, seller_order_id), headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": lines_of(line_id)})

    assert response.status_code == 422
    assert "line_id" in str(response.get_json()["errors"]["lines"])
    assert shipment_count(app, seller) == 0
    assert seller_order_status(app, seller, seller_order_id) == "accepted"


def test_an_order_not_accepted_cannot_ship(app, client, offer, routed_order, member_of):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    [(line_id, _)] = seller_lines(app, seller_offer.tenant, seller_order_id)

    response = client.post(shipments_url(seller_offer.tenant, seller_order_id),
                           headers=member_of(seller_offer.tenant).headers,
                           json={"carrier": "DHL", "tracking_number": "JD0001",
                                 "lines": [{"line_id": line_id, "quantity": 1}]})

    assert response.status_code == 409
    assert response.get_json()["code"] == "illegal_transition"
    assert shipment_count(app, seller_offer.tenant) == 0


def test_a_suspended_seller_still_ships_orders_already_placed(app, client, accepted):
    _, _, seller, member, seller_order_id, line_id = accepted(quantity=1)
    with app.app_context(), UnitOfWork() as uow:
        uow.session.execute(update(Tenant).where(Tenant.id == seller.id).values(status=TenantStatus.SUSPENDED))
        uow.commit()

    response = client.post(shipments_url(seller, seller_order_id), headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": 1}]})

    assert response.status_code == 201
    assert seller_order_status(app, seller, seller_order_id) == "shipped"


def test_only_the_sellers_members_ship(app, client, accepted, shopper):
    _, _, seller, _, seller_order_id, line_id = accepted(quantity=1)

    response = client.post(shipments_url(seller, seller_order_id), headers=shopper().headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": 1}]})

    assert response.status_code == 403
    assert shipment_count(app, seller) == 0


@pytest.mark.parametrize("body", [
    {"tracking_number": "JD0001", "lines": [{"line_id": 1, "quantity": 1}]},
    {"carrier": "  ", "tracking_number": "JD0001", "lines": [{"line_id": 1, "quantity": 1}]},
    {"carrier": "DHL", "tracking_number": "JD0001", "lines": []},
    {"carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": 1, "quantity": 0}]},
    {"carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": "1", "quantity": 1}]},
], ids=["no carrier", "blank carrier", "no lines", "zero units", "line id as text"])
def test_a_malformed_shipment_is_refused(app, client, accepted, body):
    _, _, seller, member, seller_order_id, _ = accepted(quantity=1)

    response = client.post(shipments_url(seller, seller_order_id), headers=member.headers, json=body)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert shipment_count(app, seller) == 0


def test_an_unknown_seller_order_is_not_found(client, accepted):
    _, _, seller, member, seller_order_id, line_id = accepted(quantity=1)

    response = client.post(shipments_url(seller, seller_order_id + 1000), headers=member.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": 1}]})

    assert response.status_code == 404
    assert client.get(shipments_url(seller, seller_order_id + 1000), headers=member.headers).status_code == 404


def test_two_shipments_racing_for_the_last_units_ship_them_once(app, accepted):
    _, _, seller, member, seller_order_id, line_id = accepted(quantity=2)

    def ship_both_units():
        shipments.ship(seller, member.user_id, seller_order_id, "DHL", "JD0001", [{"line_id": line_id, "quantity": 2}])

    outcomes = run_together(app, ship_both_units, ship_both_units)

    # The loser waited for the winner's lock, then found the order shipped.
    assert sorted(outcomes) == ["IllegalTransition", "done"]
    assert shipment_count(app, seller) == 1
    assert seller_order_status(app, seller, seller_order_id) == "shipped"
