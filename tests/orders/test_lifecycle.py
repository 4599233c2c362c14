"""The seller order's moves: each checked, recorded with its actor and reason, and shown to the buyer once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core.state_machine import IllegalTransition
from marketplace.orders.lifecycle import Action, Actor, ActorKind, lock_seller_order, mirror_status, move
from marketplace.orders.models import SellerOrderEvent
from tenants.uow import UnitOfWork

SELLER = Actor(ActorKind.SELLER, user_id=None)


def act(app, tenant, seller_order_id: int, action: Action, reason: str = "") -> None:
    with app.app_context(), UnitOfWork(tenant) as uow:
        move(uow, lock_seller_order(uow, seller_order_id), action, SELLER, reason)
        uow.commit()


def test_a_move_is_recorded_and_shown_to_the_buyer(app, client, offer, routed_order):
    seller_offer = offer("oak")
    buyer, order = routed_order([seller_offer])
    [part] = order["sellers"]

    act(app, seller_offer.tenant, part["seller_order_id"], Action.ACCEPT, "In stock, packing today")

    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert view["sellers"][0]["status"] == "accepted"
    notices = client.get("/api/v1/me/notifications", headers=buyer.headers).get_json()
    assert [notice["subject"] for notice in notices if notice["kind"] == "seller_order_status"] == [
        f"Order {order['id']}: Oak — accepted"]
    with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
        events = uow.session.scalars(select(SellerOrderEvent)).all()
        assert [(e.action, e.from_status.value, e.to_status.value, e.actor_kind, e.reason) for e in events] == [
            ("accept", "awaiting_acceptance", "accepted", "seller", "In stock, packing today")]


def test_an_illegal_move_changes_nothing(app, offer, routed_order):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]

    with pytest.raises(IllegalTransition):
        act(app, seller_offer.tenant, seller_order_id, Action.DELIVER)

    with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
        assert uow.session.scalars(select(SellerOrderEvent)).all() == []


def test_an_older_event_never_replaces_a_newer_one_in_the_buyers_view(app, client, offer, routed_order):
    seller_offer = offer("oak")
    buyer, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    act(app, seller_offer.tenant, seller_order_id, Action.ACCEPT)
    act(app, seller_offer.tenant, seller_order_id, Action.SHIP_ALL)
    with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
        accepted = uow.session.scalar(select(SellerOrderEvent.id).where(SellerOrderEvent.action == "accept"))

    with app.app_context():
        assert mirror_status(seller_offer.tenant.id, order["id"], "accepted", accepted) is False

    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()["sellers"][0]["status"] \
        == "shipped"
