"""Paid orders written straight into the tables, as checkout and the test gateway leave them, for settlement tests.

Checking out through the API takes a buyer, a cart and stock per order; the
money tests need hundreds of orders of any shape, so they are written here:
the order, its lines (commission frozen), its seller parts, its succeeded
payment, and the test gateway's intent and charge balance transaction
(Stripe's 2.9% + 30 fee), plus succeeded refund records if asked; or, where the
money must move on (transfers, reversals), the order paid at the test gateway itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from billing.gateway.models import TestGatewayBalanceTransaction, TestGatewayPaymentIntent
from billing.gateway.registry import current_gateway
from billing.gateway.test_gateway import PROCESSING_FEE_BASIS_POINTS, PROCESSING_FEE_FIXED
from billing.money import Money, percentage
from billing.settlement import SETTLE_ORDER_JOB, SETTLEMENT_QUEUE
from marketplace.accounts.models import User
from marketplace.checkout.models import MarketplaceOrder, MarketplaceOrderLine, OrderSellerPart, OrderStatus, Payment
from marketplace.refunds.models import Refund, RefundState
from tenants.uow import UnitOfWork

CURRENCY = "USD"


@dataclass(frozen=True)
class Line:
    unit_price: int
    quantity: int
    commission: int


@dataclass(frozen=True)
class SellerPart:
    tenant_id: int
    lines: tuple[Line, ...]
    shipping: int

    @property
    def subtotal(self) -> int:
        return sum(line.unit_price * line.quantity for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping


@dataclass(frozen=True)
class Cart:
    parts: tuple[SellerPart, ...]

    @property
    def total(self) -> int:
        return sum(part.total for part in self.parts)


def processing_fee(charged: int) -> int:
    """The test gateway's fee of a charge."""
    return percentage(Money(charged, CURRENCY), PROCESSING_FEE_BASIS_POINTS).amount + PROCESSING_FEE_FIXED


def write_paid_order(buyer_user_id: int, cart: Cart) -> int:
    """Write a paid order of `cart` (charged its total) and its gateway charge; the order's id."""
    with UnitOfWork() as uow:
        session = uow.session
        order_id = _write_order(session, buyer_user_id, cart)
        intent_id = f"pi_generated{order_id}"
        session.execute(insert(Payment).values(order_id=order_id, gateway="test", gateway_payment_id=intent_id,
                                               amount=cart.total, currency=CURRENCY, status="succeeded"))
        session.execute(insert(TestGatewayPaymentIntent).values(
            id=intent_id, amount=cart.total, currency=CURRENCY, status="succeeded", transfer_group=f"order-{order_id}",
            client_secret=f"{intent_id}_secret", metadata_={}, amount_received=cart.total))
        session.execute(insert(TestGatewayBalanceTransaction).values(
            id=f"txn_generated{order_id}", type="charge", amount=cart.total, fee=processing_fee(cart.total),
            currency=CURRENCY, source=f"ch_generated{order_id}"))
        uow.commit()
    return order_id


def write_charged_order(buyer_user_id: int, cart: Cart, delivered_at: datetime | None = None) -> int:
    """Write an order of `cart` and pay it at the app's gateway with the test card, leaving it as `mark_paid` does
    (its settlement queued); its seller parts delivered at `delivered_at` if given. The order's id.

    The charge is a real one of the test gateway, so that transfers out of it,
    refunds and reversals meet the processor's rules.
    """
    with UnitOfWork() as uow:
        order_id = _write_order(uow.session, buyer_user_id, cart)
        if delivered_at is not None:
            uow.session.execute(update(OrderSellerPart).where(OrderSellerPart.order_id == order_id)
                                .values(status="delivered", delivered_at=delivered_at))
        uow.commit()
    gateway = current_gateway()
    intent = gateway.create_payment_intent(amount=Money(cart.total, CURRENCY), transfer_group=f"order_{order_id}",
                                           idempotency_key=f"pi:{order_id}", metadata={})
    gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=f"pay:{order_id}")
    with UnitOfWork() as uow:
        uow.session.add(Payment(order_id=order_id, gateway=gateway.name, gateway_payment_id=intent.id,
                                amount=cart.total, currency=CURRENCY, status="succeeded"))
        uow.add_message(SETTLE_ORDER_JOB, {"order_id": order_id}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    return order_id


def _write_order(session: Session, buyer_user_id: int, cart: Cart) -> int:
    """The order, its seller parts (placed) and its lines, commission frozen; its id."""
    subtotal = sum(part.subtotal for part in cart.parts)
    order_id = session.scalar(insert(MarketplaceOrder).values(
        buyer_user_id=buyer_user_id, currency=CURRENCY, status=OrderStatus.PAID, subtotal_amount=subtotal,
        shipping_amount=cart.total - subtotal, total_amount=cart.total).returning(MarketplaceOrder.id))
    for part in cart.parts:
        session.execute(insert(OrderSellerPart).values(
            order_id=order_id, tenant_id=part.tenant_id, seller_name=f"Seller {part.tenant_id}",
            shipping_rate_id=1, shipping_name="Standard", subtotal_amount=part.subtotal,
            shipping_amount=part.shipping, total_amount=part.total, status="placed"))
        session.execute(insert(MarketplaceOrderLine), [
            {"order_id": order_id, "tenant_id": part.tenant_id, "product_id": index + 1,
             "variant_id": index + 1, "sku": f"SKU-{index}", "title": f"Thing {index}", "quantity": line.quantity,
             "unit_price_amount": line.unit_price, "line_total_amount": line.unit_price * line.quantity,
             "commission_amount": line.commission}
            for index, line in enumerate(part.lines)])
    return order_id


def write_succeeded_refund(order_id: int, tenant_id: int, amount: int, key: str) -> int:
    """A refund record the gateway has answered `succeeded` (as refunds.services leaves it); its id."""
    with UnitOfWork() as uow:
        refund_id = uow.session.scalar(insert(Refund).values(
            order_id=order_id, tenant_id=tenant_id, amount=amount, currency=CURRENCY, reason="Generated", lines=[],
            status=RefundState.SUCCEEDED, idempotency_key=key, gateway_refund_id=f"re_generated_{order_id}_{key}")
            .returning(Refund.id))
        uow.commit()
    return refund_id


def any_user_id() -> int:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(User.id).order_by(User.id).limit(1))
