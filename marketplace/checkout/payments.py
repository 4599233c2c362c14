"""Paying a marketplace order: the buyer's confirmation, the gateway's events, expiry. Paid exactly once.

Whichever comes first, the client's confirmation or the `payment_intent.succeeded`
webhook, `mark_paid` flips the order from `awaiting_payment` to `paid` with a
conditional UPDATE and, in that same transaction, writes the outbox messages
that route it and settle it (billing/settlement.py); the second finds the order
paid and does nothing.

An unpaid order expires after ORDER_PAYMENT_MINUTES: its intent is cancelled
at the gateway first (an intent that succeeded meanwhile is marked paid
instead), then the order is marked expired and a job releases its stock.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import func, select, update

from billing.gateway.port import GatewayError, PaymentIntent, PaymentIntentStatus, WebhookEvent
from billing.gateway.registry import current_gateway
from billing.settlement import SETTLE_ORDER_JOB, SETTLEMENT_QUEUE
from billing.webhooks import handles
from marketplace.checkout.models import MarketplaceOrder, OrderSellerPart, OrderStatus, Payment
from marketplace.checkout.orders import OrderNotFound, order_view
from marketplace.checkout.reservations import release
from marketplace.checkout.services import PaymentGatewayUnavailable, finish_payment
from marketplace.core.errors import ApiError, Conflict
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

ROUTE_ORDER_JOB = "marketplace.orders.jobs.route_order"
RELEASE_ORDER_STOCK_JOB = "marketplace.checkout.jobs.release_order_stock"


class OrderNotPayable(Conflict):
    code = "order_not_payable"

    def __init__(self, status: str) -> None:
        super().__init__(f"This order is {status.replace('_', ' ')}: it cannot be paid.")


class PaymentDeclined(ApiError):
    status, code = 402, "payment_declined"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The payment was declined ({reason}). The order stays payable until it expires: "
                         "try another card.", errors={"payment_method": [reason]})


def pay(buyer_user_id: int, order_id: int, payment_method: str) -> dict[str, Any]:
    """Confirm the order's payment intent with `payment_method`; the order as it is now.

    Declined: 402 and the order stays payable. Requires action (3-D Secure):
    the order comes back with the payment in `requires_action`; the
    gateway's `payment_intent.succeeded` event marks it paid afterwards.
    """
    order, payment = _buyers_order(buyer_user_id, order_id)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise OrderNotPayable(order.status.value)
    if payment.gateway_payment_id is None:
        finish_payment(order_id, None)
        order, payment = _buyers_order(buyer_user_id, order_id)
    try:
        intent = current_gateway().confirm_payment_intent(
            payment.gateway_payment_id, payment_method=payment_method, idempotency_key=f"confirm:{uuid.uuid4()}")
    except GatewayError as error:
        intent = _read_back(payment.gateway_payment_id)
        if intent.status != PaymentIntentStatus.succeeded:
            raise PaymentDeclined(error.code) from error
    record_intent(intent)
    if intent.status == PaymentIntentStatus.requires_payment_method and intent.last_payment_error:
        raise PaymentDeclined(intent.last_payment_error)
    with UnitOfWork() as uow:
        return order_view(uow.session, order_id)


def _read_back(intent_id: str) -> PaymentIntent:
    try:
        return current_gateway().retrieve_payment_intent(intent_id)
    except GatewayError as error:
        raise PaymentGatewayUnavailable() from error


def record_intent(intent: PaymentIntent) -> None:
    """Bring our payment row and order in line with the intent as the gateway has it now."""
    if intent.status == PaymentIntentStatus.succeeded:
        mark_paid(intent)
        return
    with UnitOfWork() as uow:
        uow.session.execute(update(Payment).where(Payment.gateway_payment_id == intent.id, Payment.status != "succeeded")
                            .values(status=intent.status.value, last_payment_error=intent.last_payment_error,
                                    updated_at=func.now()))
        uow.commit()


def mark_paid(intent: PaymentIntent) -> bool:
    """Mark the intent's order paid and send it to routing, once; False if it was paid before (or is not ours)."""
    with UnitOfWork() as uow:
        payment = uow.session.scalar(select(Payment).where(Payment.gateway_payment_id == intent.id))
        if payment is None or intent.status != PaymentIntentStatus.succeeded:
            return False
        if intent.amount.amount != payment.amount or intent.amount.currency != payment.currency:
            log.error("a succeeded intent does not match its order's payment; not marking it paid",
                      extra={"order_id": payment.order_id, "intent_id": intent.id})
            return False
        paid_order_id = uow.session.scalar(
            update(MarketplaceOrder)
            .where(MarketplaceOrder.id == payment.order_id, MarketplaceOrder.status == OrderStatus.AWAITING_PAYMENT)
            .values(status=OrderStatus.PAID, paid_at=func.now())
            .returning(MarketplaceOrder.id))
        payment.status = intent.status.value
        payment.last_payment_error = None
        if paid_order_id is None:
            uow.commit()
            return False
        uow.add_message(ROUTE_ORDER_JOB, {"order_id": paid_order_id}, queue="orders")
        uow.add_message(SETTLE_ORDER_JOB, {"order_id": paid_order_id}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    return True


def expire_order(order_id: int) -> bool:
    """Expire an order unpaid past its deadline: cancel its intent, then release its stock. True if expired now."""
    with UnitOfWork() as uow:
        order = uow.session.get(MarketplaceOrder, order_id)
        payment = uow.session.scalar(select(Payment).where(Payment.order_id == order_id))
        uow.session.expunge_all()
    if order is None or order.status != OrderStatus.AWAITING_PAYMENT:
        return False
    if payment is not None and payment.gateway_payment_id is not None:
        intent = _cancelled(payment.gateway_payment_id, order_id)
        if intent.status == PaymentIntentStatus.succeeded:
            mark_paid(intent)
            return False
    with UnitOfWork() as uow:
        expired = uow.session.scalar(
            update(MarketplaceOrder)
            .where(MarketplaceOrder.id == order_id, MarketplaceOrder.status == OrderStatus.AWAITING_PAYMENT)
            .values(status=OrderStatus.EXPIRED).returning(MarketplaceOrder.id))
        if expired is None:
            return False
        uow.session.execute(update(Payment).where(Payment.order_id == order_id)
                            .values(status=PaymentIntentStatus.canceled.value, updated_at=func.now()))
        uow.add_message(RELEASE_ORDER_STOCK_JOB, {"order_id": order_id}, queue="orders")
        uow.apply_after_commit(lambda: release_order_stock(order_id), "release an expired order's stock",
                               order_id=order_id)
        uow.commit()
    return True


def release_order_stock(order_id: int) -> int:
    """Release what every seller of the order still holds for it (idempotent); the units released."""
    with UnitOfWork() as uow:
        tenant_ids = list(uow.session.scalars(select(OrderSellerPart.tenant_id)
                                              .where(OrderSellerPart.order_id == order_id)
                                              .order_by(OrderSellerPart.tenant_id)))
    return sum(release(get_tenant_by_id(tenant_id), order_id) for tenant_id in tenant_ids)


def expire_overdue_orders(limit: int = 200) -> int:
    """The scheduled sweep: expire every order whose payment deadline has passed; how many expired."""
    with UnitOfWork() as uow:
        overdue = list(uow.session.scalars(
            select(MarketplaceOrder.id)
            .where(MarketplaceOrder.status == OrderStatus.AWAITING_PAYMENT, MarketplaceOrder.expires_at < func.now())
            .order_by(MarketplaceOrder.expires_at).limit(limit)))
    return sum(expire_order(order_id) for order_id in overdue)


def _cancelled(intent_id: str, order_id: int) -> PaymentIntent:
    """The intent after asking the gateway to cancel it (which it refuses once the intent has succeeded)."""
    gateway = current_gateway()
    try:
        return gateway.cancel_payment_intent(intent_id, idempotency_key=f"cancel:{order_id}")
    except GatewayError:
        return gateway.retrieve_payment_intent(intent_id)


def _buyers_order(buyer_user_id: int, order_id: int) -> tuple[MarketplaceOrder, Payment]:
    with UnitOfWork() as uow:
        order = uow.session.get(MarketplaceOrder, order_id)
        if order is None or order.buyer_user_id != buyer_user_id:
            raise OrderNotFound()
        payment = uow.session.scalar(select(Payment).where(Payment.order_id == order_id))
        uow.session.expunge_all()
    return order, payment


@handles("payment_intent.succeeded")
@handles("payment_intent.payment_failed")
@handles("payment_intent.canceled")
def on_payment_intent_event(intent: PaymentIntent, event: WebhookEvent) -> None:
    """Whatever the event's type, act on the intent's current state (events may come late or out of order)."""
    if intent.status == PaymentIntentStatus.canceled:
        with UnitOfWork() as uow:
            order_id = uow.session.scalar(select(Payment.order_id).where(Payment.gateway_payment_id == intent.id))
        if order_id is not None:
            expire_order(order_id)
        return
    record_intent(intent)
