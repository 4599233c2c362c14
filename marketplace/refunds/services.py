"""Refunding one seller's part of a paid marketplace order, never more than is left of it.

`refund_seller_part` locks the seller part's row (`marketplace_order_sellers`)
and, under that lock, counts what its refunds already took (every refund not
failed or canceled): the new refund's amount must fit in the part's total
(lines and shipping) minus that, and each line it names in that line's
quantity minus the units already refunded; otherwise 409
`refund_exceeds_remaining`, nothing written. Concurrent requests queue on the
lock, so together they never exceed the part.

The refund is recorded `pending` with an outbox message in the same
transaction; the job `submit_refund` sends it to the gateway with the key
`re:{refund id}` (a retried job never refunds twice) and records the
gateway's answer. The gateway's events (`refund.created`, `refund.updated`,
`refund.failed`) re-read the Refund and record its state the same way;
`charge.refunded`, which names only the charge, re-reads every refund of its
payment. The transaction recording a refund's move into `succeeded` writes
the message posting it to the ledger (billing/settlement.py). A
caller's own key (`idempotency_key`, unique per order and seller) makes a
repeated request return the refund it made the first time.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from billing.gateway.port import Charge, GatewayError, Refund as GatewayRefund, WebhookEvent
from billing.gateway.registry import current_gateway
from billing.money import Money
from billing.settlement import SETTLE_REFUND_JOB, SETTLEMENT_QUEUE
from billing.webhooks import handles
from marketplace.checkout.models import MarketplaceOrderLine, OrderSellerPart, Payment
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.refunds.models import COUNTED_STATES, Refund, RefundState
from tenants.locks import lock_first
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

SUBMIT_REFUND_JOB = "marketplace.refunds.jobs.submit_refund"


class RefundExceedsRemaining(Conflict):
    code = "refund_exceeds_remaining"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, errors=errors)


class SellerPartNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This seller has no part in this order.")


class UnknownRefundLines(ValidationFailed):
    def __init__(self, line_ids: list[int]) -> None:
        super().__init__("Some lines are not lines of this seller's part of the order.",
                         errors={"lines": [f"Not a line of this order for this seller: {line_id}."
                                           for line_id in line_ids]})


def refund_seller_part(order_id: int, tenant_id: int, amount: int | None, lines: list[dict[str, int]],
                       reason: str, key: str) -> dict[str, Any]:
    """Refund `amount` of a seller's part of an order (None: all that is left, with every unit left); the refund.

    `lines` are `{"line_id", "quantity"}` (marketplace order line ids). The
    same `key` again returns the refund made the first time, whatever it asked.
    """
    with UnitOfWork() as uow:
        refund = record_refund(uow, order_id, tenant_id, amount, lines, reason, key)
        view = refund_view(refund)
        uow.commit()
    return view


def record_refund(uow: UnitOfWork, order_id: int, tenant_id: int, amount: int | None, lines: list[dict[str, int]],
                  reason: str, key: str) -> Refund:
    """The refund recorded under `key`, found, or written now within what is left of the part (see the module)
    with the message that sends it to the gateway."""
    session = uow.session
    part = lock_first(session, select(OrderSellerPart).where(OrderSellerPart.order_id == order_id,
                                                             OrderSellerPart.tenant_id == tenant_id))
    if part is None:
        raise SellerPartNotFound()
    # Read after the lock: a request with the same key that held it has committed its refund.
    existing = session.scalar(select(Refund).where(Refund.order_id == order_id, Refund.tenant_id == tenant_id,
                                                   Refund.idempotency_key == key))
    if existing is not None:
        return existing
    counted = list(session.scalars(select(Refund).where(Refund.order_id == order_id, Refund.tenant_id == tenant_id,
                                                        Refund.status.in_(COUNTED_STATES))))
    remaining_amount = part.total_amount - sum(refund.amount for refund in counted)
    remaining_units = _remaining_units(session, order_id, tenant_id, counted)
    if amount is None:
        amount = remaining_amount
        lines = [{"line_id": line_id, "quantity": units} for line_id, units in sorted(remaining_units.items())
                 if units > 0]
    _check_within_remaining(amount, remaining_amount, lines, remaining_units)
    refund = Refund(order_id=order_id, tenant_id=tenant_id, seller_order_id=part.seller_order_id, amount=amount,
                    currency=_currency(session, order_id), reason=reason, lines=lines, status=RefundState.PENDING,
                    idempotency_key=key)
    session.add(refund)
    session.flush()
    uow.add_message(SUBMIT_REFUND_JOB, {"refund_id": refund.id}, queue="orders")
    return refund


def _remaining_units(session: Session, order_id: int, tenant_id: int, counted: Iterable[Refund]) -> dict[int, int]:
    """{line id: units not refunded yet} of the seller's lines of the order."""
    ordered = dict(session.execute(select(MarketplaceOrderLine.id, MarketplaceOrderLine.quantity).where(
        MarketplaceOrderLine.order_id == order_id, MarketplaceOrderLine.tenant_id == tenant_id)).all())
    refunded: Counter[int] = Counter()
    for refund in counted:
        for line in refund.lines:
            refunded[line["line_id"]] += line["quantity"]
    return {line_id: quantity - refunded[line_id] for line_id, quantity in ordered.items()}


def _check_within_remaining(amount: int, remaining_amount: int, lines: list[dict[str, int]],
                            remaining_units: dict[int, int]) -> None:
    unknown = [line["line_id"] for line in lines if line["line_id"] not in remaining_units]
    if unknown:
        raise UnknownRefundLines(unknown)
    if amount <= 0 or amount > remaining_amount:
        raise RefundExceedsRemaining(
            f"Only {max(remaining_amount, 0)} is left to refund of this seller's part of the order.",
            errors={"amount": [f"At most {max(remaining_amount, 0)}."]})
    asked: Counter[int] = Counter()
    for line in lines:
        asked[line["line_id"]] += line["quantity"]
    too_many = {line_id: remaining_units[line_id] for line_id, units in asked.items()
                if units > remaining_units[line_id]}
    if too_many:
        raise RefundExceedsRemaining(
            "Some lines have fewer units left to refund.",
            errors={"lines": [f"Line {line_id}: at most {units} unit(s) left to refund."
                              for line_id, units in sorted(too_many.items())]})


def _currency(session: Session, order_id: int) -> str:
    return session.scalar(select(Payment.currency).where(Payment.order_id == order_id))


def list_refunds(order_id: int, tenant_id: int) -> list[dict[str, Any]]:
    """A seller part's refunds, oldest first."""
    with UnitOfWork() as uow:
        return [refund_view(refund) for refund in refunds_of(uow.session, order_id, tenant_id)]


def refunds_of(session: Session, order_id: int, tenant_id: int | None = None) -> list[Refund]:
    """The order's refunds (one seller's with `tenant_id`), oldest first."""
    statement = select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
    if tenant_id is not None:
        statement = statement.where(Refund.tenant_id == tenant_id)
    return list(session.scalars(statement))


def refund_view(refund: Refund) -> dict[str, Any]:
    return {"id": refund.id, "order_id": refund.order_id, "seller_order_id": refund.seller_order_id,
            "amount": refund.amount, "currency": refund.currency, "reason": refund.reason,
            "lines": refund.lines, "status": RefundState(refund.status).value,
            "failure_reason": refund.failure_reason, "created_at": refund.created_at}


def submit_refund(refund_id: int) -> bool:
    """Send a pending refund to the gateway (key `re:{id}`) and record its answer; False if there was nothing to do.

    A refund the gateway refuses (say, the charge is already refunded) is
    recorded as failed with the gateway's code, and no longer counts against
    what is left to refund. Other errors (the gateway unreachable) raise, so
    the job is retried with the same key.
    """
    with UnitOfWork() as uow:
        refund = uow.session.get(Refund, refund_id)
        intent_id = uow.session.scalar(select(Payment.gateway_payment_id).where(Payment.order_id == refund.order_id)) \
            if refund is not None else None
        uow.session.expunge_all()
    if refund is None or refund.status is not RefundState.PENDING or refund.gateway_refund_id is not None:
        return False
    try:
        answer = current_gateway().create_refund(
            payment_intent_id=intent_id, amount=Money(refund.amount, refund.currency),
            idempotency_key=f"re:{refund.id}",
            metadata={"refund_id": str(refund.id), "order_id": str(refund.order_id),
                      "tenant_id": str(refund.tenant_id)})
    except GatewayError as error:
        log.warning("the gateway refused a refund", extra={"refund_id": refund.id, "error_code": error.code})
        _record_state(Refund.id == refund.id, RefundState.FAILED, None, error.code[:100])
        return True
    record_gateway_refund(answer, refund.id)
    return True


def record_gateway_refund(answer: GatewayRefund, refund_id: int | None = None) -> bool:
    """Record the gateway's Refund on our refund (found by id, else by the gateway's id); False if not ours."""
    if refund_id is None:
        refund_id = _our_refund_id(answer)
    if refund_id is None:
        return False
    return _record_state(Refund.id == refund_id, RefundState(answer.status.value), answer.id, answer.failure_reason)


def _our_refund_id(answer: GatewayRefund) -> int | None:
    with UnitOfWork() as uow:
        found = uow.session.scalar(select(Refund.id).where(Refund.gateway_refund_id == answer.id))
    if found is None and answer.metadata.get("refund_id", "").isdigit():
        found = int(answer.metadata["refund_id"])
    return found


def _record_state(which, state: RefundState, gateway_refund_id: str | None, failure_reason: str | None) -> bool:
    """Record the gateway's state of a refund; the one that reaches `succeeded` here is sent to the ledger."""
    values: dict[str, Any] = {"status": state, "failure_reason": failure_reason, "updated_at": func.now()}
    if gateway_refund_id is not None:
        values["gateway_refund_id"] = gateway_refund_id
    with UnitOfWork() as uow:
        # Locked and read first, so that only the change into `succeeded` writes the message (events repeat).
        earlier_state = lock_first(uow.session, select(Refund.status).where(which))
        changed = uow.session.execute(update(Refund).where(which).values(values).returning(Refund.id)).first()
        if changed is not None and state is RefundState.SUCCEEDED and earlier_state is not RefundState.SUCCEEDED:
            uow.add_message(SETTLE_REFUND_JOB, {"refund_id": changed.id}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    return changed is not None


@handles("refund.created")
@handles("refund.updated")
@handles("refund.failed")
def on_refund_event(answer: GatewayRefund, event: WebhookEvent) -> None:
    """Whatever the event's type, record the refund's current state (events may come late or out of order)."""
    record_gateway_refund(answer)


@handles("charge.refunded")
def on_charge_refunded(charge: Charge, event: WebhookEvent) -> None:
    """Record the current state of each of our refunds of the charge's payment (the event names only the charge)."""
    if charge.payment_intent_id is None:
        return
    for answer in current_gateway().list_refunds(charge.payment_intent_id):
        if not record_gateway_refund(answer):
            log.warning("a refund the marketplace did not make", extra={"gateway_refund_id": answer.id})
