"""The buyer's timeline of one seller order: its moves, its shipments and their tracking events, its returns.

Read fresh from the seller's schema, in one tenant-bound transaction per
seller (the buyer's order page; `GET /orders` keeps to the shared read model).
Shipment lines name the buyer's own order lines, and moves show who made
them by kind only: the seller's staff stay anonymous to buyers.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.orders.models import SellerOrderEvent, SellerOrderLine
from marketplace.orders.returns import returns_of
from marketplace.orders.shipments import shipments_of
from tenants.models import TenantRef
from tenants.uow import UnitOfWork


def seller_order_timeline(tenant: TenantRef, seller_order_id: int) -> dict[str, Any]:
    """{"history": [moves, oldest first], "shipments": [with lines and tracking events], "returns": [oldest first]}."""
    with UnitOfWork(tenant) as uow:
        events = uow.session.scalars(select(SellerOrderEvent).where(SellerOrderEvent.seller_order_id == seller_order_id)
                                     .order_by(SellerOrderEvent.id)).all()
        order_line_of = dict(uow.session.execute(
            select(SellerOrderLine.id, SellerOrderLine.marketplace_order_line_id)
            .where(SellerOrderLine.seller_order_id == seller_order_id)).all())
        history = [{"action": event.action, "from_status": event.from_status.value,
                    "to_status": event.to_status.value, "actor": event.actor_kind, "reason": event.reason,
                    "at": event.created_at.isoformat()} for event in events]
        shipments = shipments_of(uow.session, seller_order_id)
        returns = returns_of(uow.session, seller_order_id)
    return {
        "history": history,
        "shipments": [{**shipment, "lines": [{"line_id": order_line_of[line["line_id"]], "quantity": line["quantity"]}
                                             for line in shipment["lines"]]} for shipment in shipments],
        "returns": returns,
    }
