"""Routing a paid marketplace order: one seller order per seller, in that seller's schema.

For each seller part not yet routed, in tenant id order: one tenant-bound
transaction creates the seller order (unique per marketplace order, so a
second run finds it) and turns the order's reservations into sales; then one
control-database transaction marks the part routed and notifies the seller's
owners and managers (a notification is recorded once per dedupe key). A job
killed between the two is finished by the next run: the seller order is found,
the part marked. Each seller sees only its own seller order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from marketplace.accounts.models import User
from marketplace.checkout.models import MarketplaceOrder, MarketplaceOrderLine, OrderSellerPart, OrderStatus
from marketplace.checkout.reservations import sell_in
from marketplace.orders.models import AcceptanceHours, SellerOrder, SellerOrderLine, SellerOrderStatus
from marketplace.sellers.notices import notify_order_handlers
from marketplace.storefront.models import StorefrontSettings
from marketplace.webhooks.models import SELLER_ORDER_CREATED
from marketplace.webhooks.services import publish
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork


@dataclass(frozen=True)
class PaidOrder:
    order: MarketplaceOrder
    buyer_name: str
    parts: list[OrderSellerPart]
    lines: list[MarketplaceOrderLine]


def route_order(order_id: int, acceptance_hours: AcceptanceHours) -> int:
    """Route every seller part of a paid order not routed yet; how many were routed by this run.

    Each seller order is due for acceptance its seller's hours (`AcceptanceHours.for_seller`) after the payment.
    """
    paid = _paid_order(order_id)
    if paid is None:
        return 0
    routed = 0
    for part in paid.parts:
        seller_order_id = _seller_order_in_schema(paid, part, acceptance_hours)
        routed += _mark_routed(paid.order.id, part.tenant_id, seller_order_id)
    return routed


def _paid_order(order_id: int) -> PaidOrder | None:
    with UnitOfWork() as uow:
        order = uow.session.get(MarketplaceOrder, order_id)
        if order is None or order.status != OrderStatus.PAID:
            return None
        buyer = uow.session.get(User, order.buyer_user_id)
        parts = list(uow.session.scalars(select(OrderSellerPart).where(
            OrderSellerPart.order_id == order_id, OrderSellerPart.routed_at.is_(None)).order_by(OrderSellerPart.tenant_id)))
        lines = list(uow.session.scalars(select(MarketplaceOrderLine).where(MarketplaceOrderLine.order_id == order_id)
                                         .order_by(MarketplaceOrderLine.id)))
        uow.session.expunge_all()
    return PaidOrder(order, buyer.full_name or buyer.email, parts, lines)


def _seller_order_in_schema(paid: PaidOrder, part: OrderSellerPart, acceptance_hours: AcceptanceHours) -> int:
    """The seller order of this part, created now with its sales, or found from an earlier run."""
    order = paid.order
    with UnitOfWork(get_tenant_by_id(part.tenant_id)) as uow:
        session = uow.session
        existing = session.scalar(select(SellerOrder.id).where(SellerOrder.marketplace_order_id == order.id))
        if existing is not None:
            return existing
        hours = acceptance_hours.for_seller(session.scalar(select(StorefrontSettings.acceptance_hours)))
        seller_order_id = session.scalar(insert(SellerOrder).values(
            marketplace_order_id=order.id, buyer_user_id=order.buyer_user_id, buyer_name=paid.buyer_name,
            status=SellerOrderStatus.AWAITING_ACCEPTANCE, currency=order.currency,
            subtotal_amount=part.subtotal_amount, shipping_amount=part.shipping_amount,
            total_amount=part.total_amount, shipping_name=part.shipping_name,
            shipping_address=order.shipping_address, paid_at=order.paid_at,
            acceptance_due_at=order.paid_at + timedelta(hours=hours)).returning(SellerOrder.id))
        session.execute(insert(SellerOrderLine), [_line_values(seller_order_id, line)
                                                  for line in paid.lines if line.tenant_id == part.tenant_id])
        sell_in(session, order.id)
        seller_order = session.get(SellerOrder, seller_order_id)
        publish(uow, SELLER_ORDER_CREATED, seller_order, _created_event_data(paid, part, seller_order))
        uow.commit()
    return seller_order_id


def _created_event_data(paid: PaidOrder, part: OrderSellerPart, seller_order: SellerOrder) -> dict[str, Any]:
    """What a seller's system needs to start on a new order: amounts, the acceptance due time, the lines."""
    order = paid.order
    return {"currency": order.currency, "total_amount": part.total_amount, "shipping_amount": part.shipping_amount,
            "paid_at": order.paid_at.isoformat(), "acceptance_due_at": seller_order.acceptance_due_at.isoformat(),
            "shipping_name": part.shipping_name,
            "lines": [{"marketplace_order_line_id": line.id, "sku": line.sku, "title": line.title,
                       "quantity": line.quantity, "unit_price_amount": line.unit_price_amount}
                      for line in paid.lines if line.tenant_id == part.tenant_id]}


def _line_values(seller_order_id: int, line: MarketplaceOrderLine) -> dict[str, Any]:
    return {"seller_order_id": seller_order_id, "marketplace_order_line_id": line.id, "product_id": line.product_id,
            "variant_id": line.variant_id, "sku": line.sku, "title": line.title, "options": line.options,
            "quantity": line.quantity, "unit_price_amount": line.unit_price_amount,
            "line_total_amount": line.line_total_amount, "commission_amount": line.commission_amount,
            "commission_rule": line.commission_rule}


def _mark_routed(order_id: int, tenant_id: int, seller_order_id: int) -> int:
    """Record the part as routed and notify the seller's owners and managers; 1 if this run marked it."""
    with UnitOfWork() as uow:
        marked = uow.session.scalar(
            update(OrderSellerPart)
            .where(OrderSellerPart.order_id == order_id, OrderSellerPart.tenant_id == tenant_id,
                   OrderSellerPart.routed_at.is_(None))
            .values(status=SellerOrderStatus.AWAITING_ACCEPTANCE.value, seller_order_id=seller_order_id,
                    routed_at=func.now())
            .returning(OrderSellerPart.id))
        notify_order_handlers(uow, tenant_id, kind="seller_order_placed",
                              dedupe_key=f"seller_order_placed:{tenant_id}:{seller_order_id}",
                              subject=f"New order {order_id} awaits your acceptance",
                              body=f"Order {order_id} was paid. Accept or reject it from your order desk.")
        uow.commit()
    return 1 if marked is not None else 0
