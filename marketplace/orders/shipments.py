"""Shipments: a seller hands some or all of a seller order's units to a carrier.

A shipment never holds more of a line than was ordered minus what earlier
shipments hold (422, naming the line). Shipping is a move of the seller order
(`lifecycle.move`): SHIP_ALL when every unit is now shipped, else SHIP_PART,
so only an accepted or partly shipped order ships (409 `illegal_transition`).
The seller order row is locked first, which serialises two shipments of one
order: neither can count units the other is about to ship.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.orders.lifecycle import SELLER_ORDER_MOVES, Action, Actor, ActorKind, lock_seller_order, move
from marketplace.orders.line_quantities import LineMessages, line_quantity_errors
from marketplace.orders.models import (SellerOrder, SellerOrderLine, Shipment, ShipmentLine, TrackingEvent,
                                       TrackingStatus)
from marketplace.webhooks.models import SHIPMENT_CREATED
from marketplace.webhooks.services import publish
from tenants.models import TenantRef
from tenants.uow import UnitOfWork


class SellerOrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no order with this id.")


class UnitsNotShippable(ValidationFailed):
    """Some requested lines are not the order's, repeat, or ask for more units than are left to ship."""

    def __init__(self, errors: dict[str, dict[str, dict[str, list[str]]]]):
        super().__init__("Some lines cannot be shipped as asked.", errors=errors)


def ship(tenant: TenantRef, user_id: int | None, seller_order_id: int, carrier: str, tracking_number: str,
         lines: Sequence[dict[str, int]]) -> dict[str, Any]:
    """Ship `lines` ({line_id, quantity}) of a seller order with one carrier and tracking number; the shipment."""
    with UnitOfWork(tenant) as uow:
        seller_order = lock_seller_order(uow, seller_order_id)
        if seller_order is None:
            raise SellerOrderNotFound()
        SELLER_ORDER_MOVES.check(seller_order.status, Action.SHIP_PART)  # 409 before judging quantities
        left_to_ship = _units_left_to_ship(uow.session, seller_order.id)
        _check_shippable(lines, left_to_ship)
        shipment = Shipment(seller_order_id=seller_order.id, carrier=carrier, tracking_number=tracking_number,
                            status=TrackingStatus.SHIPPED, shipped_by_user_id=user_id)
        uow.session.add(shipment)
        uow.session.flush()
        uow.session.add_all(ShipmentLine(shipment_id=shipment.id, seller_order_line_id=line["line_id"],
                                         quantity=line["quantity"]) for line in lines)
        shipped_now = {line["line_id"]: line["quantity"] for line in lines}
        everything_shipped = all(left == shipped_now.get(line_id, 0) for line_id, left in left_to_ship.items())
        view = shipment_views(uow.session, [shipment.id])[0]
        publish(uow, SHIPMENT_CREATED, seller_order, {"shipment": view})  # before the order's own move
        move(uow, seller_order, Action.SHIP_ALL if everything_shipped else Action.SHIP_PART,
             Actor(ActorKind.SELLER, user_id), reason=f"{carrier} {tracking_number}")
        uow.commit()
    return view


def list_shipments(tenant: TenantRef, seller_order_id: int) -> list[dict[str, Any]]:
    """The seller order's shipments, oldest first, each with its lines and tracking events."""
    with UnitOfWork(tenant) as uow:
        if uow.session.get(SellerOrder, seller_order_id) is None:
            raise SellerOrderNotFound()
        return shipments_of(uow.session, seller_order_id)


def shipments_of(session: Session, seller_order_id: int) -> list[dict[str, Any]]:
    """The seller order's shipments as their views, in a tenant-bound session."""
    ids = session.scalars(select(Shipment.id).where(Shipment.seller_order_id == seller_order_id)
                          .order_by(Shipment.id)).all()
    return shipment_views(session, ids)


def shipment_views(session: Session, shipment_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Shipments with their lines and tracking events (oldest first), in three queries whatever their number."""
    if not shipment_ids:
        return []
    shipments = session.scalars(select(Shipment).where(Shipment.id.in_(shipment_ids)).order_by(Shipment.id)).all()
    lines = session.scalars(select(ShipmentLine).where(ShipmentLine.shipment_id.in_(shipment_ids))
                            .order_by(ShipmentLine.id)).all()
    events = session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids))
                             .order_by(TrackingEvent.occurred_at, TrackingEvent.id)).all()
    return [{
        "id": shipment.id, "seller_order_id": shipment.seller_order_id, "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number, "status": shipment.status.value,
        "created_at": shipment.created_at.isoformat(),
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "lines": [{"line_id": line.seller_order_line_id, "quantity": line.quantity}
                  for line in lines if line.shipment_id == shipment.id],
        "tracking_events": [{"status": event.status.value, "source": event.source.value,
                             "description": event.description, "occurred_at": event.occurred_at.isoformat()}
                            for event in events if event.shipment_id == shipment.id],
    } for shipment in shipments]


def units_left_to_ship(tenant: TenantRef, seller_order_id: int) -> dict[int, int]:
    """Each line of the seller's order: units not shipped yet (the portal's "ship the rest" sends them all)."""
    with UnitOfWork(tenant) as uow:
        return _units_left_to_ship(uow.session, seller_order_id)


def _units_left_to_ship(session: Session, seller_order_id: int) -> dict[int, int]:
    """Each line of the order: units ordered minus units in its shipments so far."""
    shipped = (select(func.coalesce(func.sum(ShipmentLine.quantity), 0))
               .where(ShipmentLine.seller_order_line_id == SellerOrderLine.id).scalar_subquery())
    rows = session.execute(select(SellerOrderLine.id, SellerOrderLine.quantity - shipped)
                           .where(SellerOrderLine.seller_order_id == seller_order_id)).all()
    return {line_id: left for line_id, left in rows}


SHIPPING_MESSAGES = LineMessages(
    not_a_line=lambda line_id: f"Line {line_id} is not a line of this order.",
    repeated=lambda line_id: f"Line {line_id} appears more than once: ship its units in one entry.",
    too_many=lambda line_id, left, asked: f"Line {line_id} has {left} unit(s) left to ship, not {asked}.",
)


def _check_shippable(lines: Sequence[dict[str, int]], left_to_ship: dict[int, int]) -> None:
    errors = line_quantity_errors(lines, left_to_ship, SHIPPING_MESSAGES)
    if errors:
        raise UnitsNotShippable({"lines": errors})
