"""The marketplace order: written once at checkout from the reserved lines, read back for its buyer.

Lines are frozen snapshots (title, SKU, options, price, quantity) with the
commission rule that applied to each (billing.commission), so later price or
rule changes never change what was sold. The buyer's list is one query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from billing.commission import commission_for, rule_snapshot, rules_for
from billing.money import Money
from marketplace.checkout.models import (MarketplaceOrder, MarketplaceOrderLine, OrderSellerPart, OrderStatus,
                                         Payment)
from marketplace.checkout.reservations import SellerReservation
from marketplace.core.errors import NotFound
from marketplace.commissions.services import category_paths
from marketplace.refunds.models import Refund, RefundState
from marketplace.core.pagination import Page, PageRequest
from marketplace.orders.timeline import seller_order_timeline
from tenants.models import Tenant


class OrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("You have no order with this id.")


@dataclass(frozen=True)
class OrderDraft:
    """What checkout has gathered when every seller reserved: the order to write."""

    order_id: int
    buyer_user_id: int
    currency: str
    shipping_address: dict[str, Any]
    reservations: Sequence[SellerReservation]
    seller_names: dict[int, str]
    gateway: str

    @property
    def subtotal_amount(self) -> int:
        return sum(reservation.subtotal_amount for reservation in self.reservations)

    @property
    def shipping_amount(self) -> int:
        return sum(reservation.shipping.amount for reservation in self.reservations)

    @property
    def total_amount(self) -> int:
        return self.subtotal_amount + self.shipping_amount


def write_order(session: Session, draft: OrderDraft, payment_minutes: int) -> None:
    """The order, its lines with their commission frozen, its seller parts and its pending payment.

    A fixed number of statements: the commission rules of every line are read
    in three queries (category paths, candidate rules, the sellers' plans) and
    the rows flushed once.
    A category deleted since leaves its lines with no category path.
    """
    reserved = [(reservation.tenant, line) for reservation in draft.reservations for line in reservation.lines]
    paths = category_paths(session, {line.category_id for _, line in reserved if line.category_id is not None})
    rule_of = rules_for(session, {tenant.id for tenant, _ in reserved},
                        [paths.get(line.category_id, []) for _, line in reserved], draft.currency)
    session.add(MarketplaceOrder(
        id=draft.order_id, buyer_user_id=draft.buyer_user_id, currency=draft.currency,
        status=OrderStatus.AWAITING_PAYMENT, subtotal_amount=draft.subtotal_amount,
        shipping_amount=draft.shipping_amount, total_amount=draft.total_amount,
        shipping_address=draft.shipping_address,
        expires_at=func.now() + timedelta(minutes=payment_minutes)))
    session.add_all(OrderSellerPart(
        order_id=draft.order_id, tenant_id=reservation.tenant.id, seller_name=draft.seller_names[reservation.tenant.id],
        shipping_rate_id=reservation.shipping.rate_id, shipping_name=reservation.shipping.name,
        subtotal_amount=reservation.subtotal_amount, shipping_amount=reservation.shipping.amount,
        total_amount=reservation.subtotal_amount + reservation.shipping.amount) for reservation in draft.reservations)
    for tenant, line in reserved:
        rule = rule_of(tenant.id, paths.get(line.category_id, []))
        line_total = Money(line.line_total_amount, draft.currency)
        session.add(MarketplaceOrderLine(
            order_id=draft.order_id, tenant_id=tenant.id, product_id=line.product_id, variant_id=line.variant_id,
            sku=line.sku, title=line.title, options=line.options, quantity=line.quantity,
            unit_price_amount=line.unit_price_amount, line_total_amount=line_total.amount,
            commission_amount=commission_for(rule, line_total).amount, commission_rule=rule_snapshot(rule)))
    session.add(Payment(order_id=draft.order_id, gateway=draft.gateway, amount=draft.total_amount,
                        currency=draft.currency))
    session.flush()


def order_view(session: Session, order_id: int, buyer_user_id: int | None = None) -> dict[str, Any]:
    """The order as its buyer sees it: totals, payment, and each seller's part with its lines, status and refunds.

    A routed part also shows its timeline (moves, shipments, tracking events, returns),
    read from its seller's schema: one tenant-bound read per seller.
    """
    order = session.get(MarketplaceOrder, order_id)
    if order is None or (buyer_user_id is not None and order.buyer_user_id != buyer_user_id):
        raise OrderNotFound()
    payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
    parts = session.execute(
        select(OrderSellerPart, Tenant).join(Tenant, Tenant.id == OrderSellerPart.tenant_id)
        .where(OrderSellerPart.order_id == order.id).order_by(OrderSellerPart.tenant_id)).all()
    lines = session.scalars(select(MarketplaceOrderLine).where(MarketplaceOrderLine.order_id == order.id)
                            .order_by(MarketplaceOrderLine.tenant_id, MarketplaceOrderLine.id)).all()
    refunds = session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).all()
    return {
        **_order_fields(order),
        "payment": _payment_fields(payment),
        "sellers": [
            {**_part_fields(part, tenant.slug),
             "lines": [_line_fields(line) for line in lines if line.tenant_id == part.tenant_id],
             "refunds": [_refund_fields(refund) for refund in refunds if refund.tenant_id == part.tenant_id],
             **_timeline_of(part, tenant)}
            for part, tenant in parts
        ],
    }


def list_orders(session: Session, buyer_user_id: int, page_request: PageRequest) -> Page[dict[str, Any]]:
    """The buyer's orders, newest first, each with its payment status and its sellers' statuses.

    One query: the sellers come as a JSON array per order and the total as a
    window count (a page past the end costs one more query, for the total).
    """
    rows = session.execute(_orders_of(buyer_user_id).limit(page_request.size).offset(page_request.offset)).all()
    if rows:
        total = rows[0].total
    else:
        total = session.scalar(select(func.count()).where(MarketplaceOrder.buyer_user_id == buyer_user_id))
    return Page([_summary_of(row) for row in rows], total)


def _orders_of(buyer_user_id: int) -> Select:
    seller = func.json_build_object(
        "seller", Tenant.slug, "seller_name", OrderSellerPart.seller_name, "status", OrderSellerPart.status,
        "total_amount", OrderSellerPart.total_amount)
    sellers = (
        select(func.coalesce(func.json_agg(aggregate_order_by(seller, OrderSellerPart.tenant_id)),
                             literal_column("'[]'::json")))
        .select_from(OrderSellerPart).join(Tenant, Tenant.id == OrderSellerPart.tenant_id)
        .where(OrderSellerPart.order_id == MarketplaceOrder.id)
        .scalar_subquery()
    )
    return (
        select(MarketplaceOrder, Payment.status.label("payment_status"), sellers.label("sellers"),
               func.count().over().label("total"))
        .outerjoin(Payment, Payment.order_id == MarketplaceOrder.id)
        .where(MarketplaceOrder.buyer_user_id == buyer_user_id)
        .order_by(MarketplaceOrder.id.desc())
    )


def _summary_of(row: Any) -> dict[str, Any]:
    return {**_order_fields(row.MarketplaceOrder), "payment_status": row.payment_status, "sellers": row.sellers}


def _order_fields(order: MarketplaceOrder) -> dict[str, Any]:
    return {"id": order.id, "status": order.status.value, "currency": order.currency,
            "subtotal_amount": order.subtotal_amount, "shipping_amount": order.shipping_amount,
            "total_amount": order.total_amount, "shipping_address": order.shipping_address,
            "created_at": _iso(order.created_at), "expires_at": _iso(order.expires_at), "paid_at": _iso(order.paid_at)}


def _iso(moment: datetime | None) -> str | None:
    """Views hold JSON values: a checkout's response is stored and replayed as it was sent."""
    return moment.isoformat() if moment else None


def _payment_fields(payment: Payment | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {"gateway": payment.gateway, "status": payment.status, "amount": payment.amount,
            "currency": payment.currency, "client_secret": payment.client_secret,
            "last_payment_error": payment.last_payment_error}


def _part_fields(part: OrderSellerPart, slug: str) -> dict[str, Any]:
    return {"seller": slug, "seller_name": part.seller_name, "status": part.status,
            "seller_order_id": part.seller_order_id,
            "shipping": {"rate_id": part.shipping_rate_id, "name": part.shipping_name, "amount": part.shipping_amount},
            "subtotal_amount": part.subtotal_amount, "shipping_amount": part.shipping_amount,
            "total_amount": part.total_amount}


def _timeline_of(part: OrderSellerPart, tenant: Tenant) -> dict[str, Any]:
    if part.seller_order_id is None:
        return {"history": [], "shipments": [], "returns": []}  # not routed yet: the seller has nothing of it
    return seller_order_timeline(tenant.ref(), part.seller_order_id)


def _refund_fields(refund: Refund) -> dict[str, Any]:
    return {"id": refund.id, "amount": refund.amount, "currency": refund.currency, "reason": refund.reason,
            "lines": refund.lines, "status": RefundState(refund.status).value, "created_at": _iso(refund.created_at)}


def _line_fields(line: MarketplaceOrderLine) -> dict[str, Any]:
    return {"id": line.id, "product_id": line.product_id, "variant_id": line.variant_id, "sku": line.sku,
            "title": line.title, "options": line.options, "quantity": line.quantity,
            "unit_price_amount": line.unit_price_amount, "line_total_amount": line.line_total_amount}
