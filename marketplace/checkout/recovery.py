"""The recovery job: finish or undo what a crashed checkout left.

- An attempt still `reserving` past its reserve deadline (plus a margin) was
  abandoned mid-saga: no seller database accepts a reservation for it any
  more, so it is marked failed first (the checkout, if still alive, then
  finds it failed and writes no order) and every seller it named releases
  what it holds for its order id.
- An order whose payment has no gateway intent yet (a crash after the order
  was written) gets its intent, with the same idempotency key as the first try.
"""
from __future__ import annotations

import logging

from sqlalchemy import and_, func, or_, select, update

from marketplace.checkout.attempts import StoredResponse
from marketplace.checkout.models import AttemptStatus, CheckoutAttempt, MarketplaceOrder, OrderStatus, Payment
from marketplace.checkout.reservations import release
from marketplace.checkout.services import finish_payment
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

# After the reserve deadline, how long recovery waits for a reservation transaction that began before it to end.
DEADLINE_MARGIN_SECONDS = 10
# How old a payment without an intent must be before recovery creates it (the request may still be doing so).
PAYMENT_GRACE_SECONDS = 60
# How long an interrupted attempt's stock is released again by each run, in case a crash cut a release short.
RELEASE_AGAIN_MINUTES = 10

INTERRUPTED = StoredResponse(409, {"code": "checkout_interrupted",
                                   "message": "This checkout was interrupted and undone; nothing was bought. "
                                              "Check out again with a new Idempotency-Key."})


def recover_checkouts(limit: int = 200) -> dict[str, int]:
    """Undo abandoned attempts and finish orders without a payment intent; counts of each."""
    undone = sum(_undo(attempt_id) for attempt_id in _abandoned_attempts(limit))
    finished = 0
    for order_id, attempt_id in _orders_without_intent(limit):
        try:
            finish_payment(order_id, attempt_id)
            finished += 1
        except Exception:
            log.exception("could not create the payment intent of an order", extra={"order_id": order_id})
    return {"undone": undone, "finished": finished}


def _abandoned_attempts(limit: int) -> list[int]:
    """Attempts reserving past their deadline, and those undone lately (a crash may have cut their release short)."""
    margin = func.make_interval(0, 0, 0, 0, 0, 0, DEADLINE_MARGIN_SECONDS)
    with UnitOfWork() as uow:
        return list(uow.session.scalars(
            select(CheckoutAttempt.id)
            .where(or_(
                and_(CheckoutAttempt.status == AttemptStatus.RESERVING,
                     CheckoutAttempt.reserve_deadline < func.now() - margin),
                and_(CheckoutAttempt.status == AttemptStatus.FAILED,
                     CheckoutAttempt.response_body["code"].astext == INTERRUPTED.body["code"],
                     CheckoutAttempt.updated_at > func.now() - func.make_interval(0, 0, 0, 0, 0,
                                                                                  RELEASE_AGAIN_MINUTES)),
            ))
            .order_by(CheckoutAttempt.id).limit(limit)))


def _undo(attempt_id: int) -> bool:
    """Fail the attempt (unless it completed meanwhile), then release its reservations at every seller it named.

    Failing comes first, so that a checkout still alive writes no order for
    stock about to be released; a crash between the two is mended by the next
    runs, which release an interrupted attempt's stock again (each release is
    idempotent) for RELEASE_AGAIN_MINUTES. True if this run interrupted it.
    """
    with UnitOfWork() as uow:
        interrupted = uow.session.scalar(
            update(CheckoutAttempt)
            .where(CheckoutAttempt.id == attempt_id, CheckoutAttempt.status == AttemptStatus.RESERVING)
            .values(status=AttemptStatus.FAILED, response_status=INTERRUPTED.status, response_body=INTERRUPTED.body,
                    updated_at=func.now())
            .returning(CheckoutAttempt.id))
        attempt = uow.session.get(CheckoutAttempt, attempt_id)
        uow.commit()
    if attempt is None or attempt.status != AttemptStatus.FAILED:
        return False
    for tenant_id in attempt.seller_tenant_ids:
        released = release(get_tenant_by_id(tenant_id), attempt.order_id)
        if released:
            log.info("released an abandoned checkout's stock",
                     extra={"order_id": attempt.order_id, "tenant_id": tenant_id, "units": released})
    return interrupted is not None


def _orders_without_intent(limit: int) -> list[tuple[int, int | None]]:
    with UnitOfWork() as uow:
        rows = uow.session.execute(
            select(Payment.order_id, CheckoutAttempt.id)
            .join(MarketplaceOrder, MarketplaceOrder.id == Payment.order_id)
            .outerjoin(CheckoutAttempt, CheckoutAttempt.order_id == Payment.order_id)
            .where(Payment.gateway_payment_id.is_(None), MarketplaceOrder.status == OrderStatus.AWAITING_PAYMENT,
                   Payment.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, PAYMENT_GRACE_SECONDS))
            .order_by(Payment.order_id).limit(limit)).all()
    return [(row[0], row[1]) for row in rows]
