"""What sellers and buyers do to a seller order: accept, reject, cancel; and what an ended order sets off.

Each is one transaction in the seller's schema: the seller order is locked
(`lifecycle.lock_seller_order`), so of concurrent requests exactly one
moves it and the others find the new status (409 `illegal_transition`).

A rejected or cancelled order ends in that same transaction: its units come
back on hand with `cancellation` movements (they were sold at routing), and an
outbox message settles it in the control database (`settle_ended_order`):
a refund of whatever is left of that seller's part of the payment, and a
notice to the seller's owners and managers when the buyer or the SLA job
ended it (the seller knows what it did itself).
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from marketplace.catalog.models import StockReason
from marketplace.catalog.stock import StockChange, record_movements
from marketplace.checkout.models import MarketplaceOrder, OrderSellerPart
from marketplace.checkout.orders import OrderNotFound
from marketplace.core.errors import ApiError, Conflict, NotFound
from marketplace.core.state_machine import IllegalTransition
from marketplace.orders.lifecycle import (OPEN_STATUSES, SELLER_ORDER_MOVES, Action, Actor, ActorKind, lock_seller_order,
                                          move)
from marketplace.orders.models import SellerOrder, SellerOrderLine, SellerOrderStatus
from marketplace.refunds.services import (RefundExceedsRemaining, list_refunds, record_refund,
                                          refund_seller_part)
from marketplace.sellers.notices import notify_order_handlers
from tenants.models import TenantRef
from tenants.registry import get_tenant_by_slug, TenantNotFound
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

SETTLE_ENDED_ORDER_JOB = "marketplace.orders.jobs.settle_ended_order"
# Who is told when an order ends without the seller ending it.
NOTIFIED_ACTOR_KINDS = (ActorKind.BUYER, ActorKind.SYSTEM, ActorKind.OPERATOR)


class SellerOrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no order with this id.")


def accept(tenant: TenantRef, seller_order_id: int, actor_user_id: int) -> dict[str, Any]:
    with UnitOfWork(tenant) as uow:
        seller_order = _locked(uow, seller_order_id)
        move(uow, seller_order, Action.ACCEPT, Actor(ActorKind.SELLER, actor_user_id))
        return _committed(uow, seller_order)


def reject(tenant: TenantRef, seller_order_id: int, actor_user_id: int, reason: str) -> dict[str, Any]:
    """Reject an order awaiting acceptance: refund and stock back (see the module)."""
    with UnitOfWork(tenant) as uow:
        seller_order = _locked(uow, seller_order_id)
        _end(uow, seller_order, Action.REJECT, Actor(ActorKind.SELLER, actor_user_id), reason)
        return _committed(uow, seller_order)


def cancel_by_seller(tenant: TenantRef, seller_order_id: int, actor_user_id: int, reason: str) -> dict[str, Any]:
    """Cancel an accepted order not shipped yet (an order awaiting acceptance is rejected instead)."""
    with UnitOfWork(tenant) as uow:
        seller_order = _locked(uow, seller_order_id)
        _require_status(seller_order, SellerOrderStatus.ACCEPTED,
                        "reject it instead (only an accepted order is cancelled by its seller).")
        _end(uow, seller_order, Action.CANCEL, Actor(ActorKind.SELLER, actor_user_id), reason)
        return _committed(uow, seller_order)


def cancel_by_buyer(buyer_user_id: int, order_id: int, seller_slug: str, reason: str) -> dict[str, Any]:
    """The buyer cancels one seller's part of their order, while that seller has not accepted it."""
    tenant, seller_order_id = _buyers_seller_order(buyer_user_id, order_id, seller_slug)
    with UnitOfWork(tenant) as uow:
        seller_order = _locked(uow, seller_order_id)
        _require_status(seller_order, SellerOrderStatus.AWAITING_ACCEPTANCE,
                        "only an order its seller has not accepted yet is cancelled by its buyer.")
        _end(uow, seller_order, Action.CANCEL, Actor(ActorKind.BUYER, buyer_user_id), reason)
        return _committed(uow, seller_order)


def cancel_overdue(tenant: TenantRef, seller_order_id: int, reason: str) -> bool:
    """The SLA job: cancel an order still awaiting acceptance past its due time; False if it moved meanwhile."""
    with UnitOfWork(tenant) as uow:
        seller_order = lock_seller_order(uow, seller_order_id)
        if seller_order is None or seller_order.status is not SellerOrderStatus.AWAITING_ACCEPTANCE:
            return False
        _end(uow, seller_order, Action.CANCEL, Actor(ActorKind.SYSTEM), reason)
        uow.commit()
    return True


def _end(uow: UnitOfWork, seller_order: SellerOrder, action: Action, actor: Actor, reason: str) -> None:
    """Reject or cancel: the move, the units back on hand, and the message that refunds and notifies."""
    event = move(uow, seller_order, action, actor, reason)
    lines = uow.session.execute(select(SellerOrderLine.variant_id, SellerOrderLine.quantity)
                                .where(SellerOrderLine.seller_order_id == seller_order.id)
                                .order_by(SellerOrderLine.id)).all()
    note = f"Order {seller_order.marketplace_order_id} {SELLER_ORDER_MOVES.past_tense[action]}"
    record_movements(uow.session, [StockChange(line.variant_id, line.quantity, StockReason.CANCELLATION, note)
                                   for line in lines], actor.user_id)
    uow.add_message(SETTLE_ENDED_ORDER_JOB, {
        "tenant_id": uow.tenant.id, "marketplace_order_id": seller_order.marketplace_order_id,
        "seller_order_id": seller_order.id, "event_id": event.id, "actor_kind": actor.kind.value,
        "reason": reason}, queue="orders")


def settle_ended_order(tenant_id: int, marketplace_order_id: int, seller_order_id: int, event_id: int,
                       actor_kind: str, reason: str) -> bool:
    """Refund what is left of the seller's part and tell the seller if someone else ended it; True if refunded now.

    One control-database transaction; the refund's key names the seller
    order, so a rerun finds it and refunds nothing twice.
    """
    with UnitOfWork() as uow:
        try:
            refund = record_refund(uow, marketplace_order_id, tenant_id, None, [], reason or "Order cancelled",
                                   f"seller_order_ended:{seller_order_id}")
        except RefundExceedsRemaining:
            log.info("an ended seller order had nothing left to refund",
                     extra={"tenant_id": tenant_id, "marketplace_order_id": marketplace_order_id})
            refund = None
        if ActorKind(actor_kind) in NOTIFIED_ACTOR_KINDS:
            _notify_members(uow, tenant_id, marketplace_order_id, event_id, actor_kind, reason)
        uow.commit()
    return refund is not None


def _notify_members(uow: UnitOfWork, tenant_id: int, marketplace_order_id: int, event_id: int, actor_kind: str,
                    reason: str) -> None:
    by_whom = "the buyer" if actor_kind == ActorKind.BUYER.value else "the marketplace"
    notify_order_handlers(uow, tenant_id, kind="seller_order_cancelled",
                          dedupe_key=f"seller_order_cancelled:{tenant_id}:{event_id}",
                          subject=f"Order {marketplace_order_id} was cancelled by {by_whom}",
                          body=f"Order {marketplace_order_id} was cancelled by {by_whom} ({reason}). "
                               "Its units are back in stock and the buyer is refunded.")


def _buyers_seller_order(buyer_user_id: int, order_id: int, seller_slug: str) -> tuple[TenantRef, int]:
    """The seller's tenant and seller order of the buyer's order; 404 if not theirs, 409 if not routed yet."""
    try:
        tenant = get_tenant_by_slug(seller_slug)
    except TenantNotFound:
        raise OrderNotFound() from None
    with UnitOfWork() as uow:
        found = uow.session.execute(
            select(OrderSellerPart.seller_order_id, OrderSellerPart.status)
            .join(MarketplaceOrder, MarketplaceOrder.id == OrderSellerPart.order_id)
            .where(OrderSellerPart.order_id == order_id, OrderSellerPart.tenant_id == tenant.id,
                   MarketplaceOrder.buyer_user_id == buyer_user_id)).first()
    if found is None:
        raise OrderNotFound()
    if found.seller_order_id is None:
        raise IllegalTransition(f"This part of the order is {found.status.replace('_', ' ')}: the seller has not "
                                "received it yet.", Action.CANCEL, SellerOrderStatus.AWAITING_ACCEPTANCE)
    return tenant, found.seller_order_id


def _locked(uow: UnitOfWork, seller_order_id: int) -> SellerOrder:
    seller_order = lock_seller_order(uow, seller_order_id)
    if seller_order is None:
        raise SellerOrderNotFound()
    return seller_order


def _require_status(seller_order: SellerOrder, wanted: SellerOrderStatus, explanation: str) -> None:
    """Who cancels narrows the table's CANCEL move: the seller after acceptance, the buyer before."""
    if seller_order.status is not wanted:
        raise IllegalTransition(f"This order is {seller_order.status.value.replace('_', ' ')}: {explanation}",
                                Action.CANCEL, seller_order.status)


def _committed(uow: UnitOfWork, seller_order: SellerOrder) -> dict[str, Any]:
    view = seller_order_view(seller_order)
    uow.commit()
    return view


def seller_order_view(seller_order: SellerOrder) -> dict[str, Any]:
    return {"id": seller_order.id, "marketplace_order_id": seller_order.marketplace_order_id,
            "status": seller_order.status.value, "buyer_name": seller_order.buyer_name,
            "currency": seller_order.currency, "subtotal_amount": seller_order.subtotal_amount,
            "shipping_amount": seller_order.shipping_amount, "total_amount": seller_order.total_amount,
            "paid_at": seller_order.paid_at, "acceptance_due_at": seller_order.acceptance_due_at}


def refund_order(tenant: TenantRef, seller_order_id: int, amount: int, lines: list[dict[str, int]], reason: str,
                 key: str) -> dict[str, Any]:
    """Refund part of one of the seller's orders (see `marketplace.refunds.services`)."""
    marketplace_order_id = _marketplace_order_id(tenant, seller_order_id)
    return refund_seller_part(marketplace_order_id, tenant.id, amount, lines, reason, f"seller:{key}")


def order_refunds(tenant: TenantRef, seller_order_id: int) -> list[dict[str, Any]]:
    return list_refunds(_marketplace_order_id(tenant, seller_order_id), tenant.id)


def _marketplace_order_id(tenant: TenantRef, seller_order_id: int) -> int:
    with UnitOfWork(tenant) as uow:
        found = uow.session.scalar(select(SellerOrder.marketplace_order_id).where(SellerOrder.id == seller_order_id))
    if found is None:
        raise SellerOrderNotFound()
    return found


class RefundKeyTooLong(ApiError):
    status, code = 400, "bad_request"

    def __init__(self, longest: int) -> None:
        super().__init__(f"An Idempotency-Key header has at most {longest} characters.")


class SellerHasOpenOrders(Conflict):
    code = "open_orders"

    def __init__(self, seller_order_ids: list[int]) -> None:
        super().__init__(f"This seller still has {len(seller_order_ids)} open order(s): each must be fulfilled, "
                         "rejected or cancelled first.",
                         errors={"open_orders": [str(seller_order_id) for seller_order_id in seller_order_ids]})


def ensure_no_open_orders(tenant: TenantRef) -> None:
    """Refuse (409 `open_orders`, with their ids) while the seller owes buyers an order."""
    with UnitOfWork(tenant) as uow:
        open_ids = list(uow.session.scalars(select(SellerOrder.id).where(SellerOrder.status.in_(OPEN_STATUSES))
                                            .order_by(SellerOrder.id)))
    if open_ids:
        raise SellerHasOpenOrders(open_ids)
