"""Settlement: each paid order split once between its sellers and the platform, and each refund posted once.

When a payment succeeds, checkout's transaction writes the message that runs
`settle_order` on the `settlement` queue. It reads the processor's fee of the
charge from the gateway (before any transaction: no lock is held across a
network call), then, under the order row's lock:

- each seller's gross is its part (lines and shipping) of what was charged,
  `allocate`d in proportion to the parts' totals, so the gross amounts add up
  to the charge exactly (an order-level discount, if checkout ever takes
  one, is spread the same way);
- its commission is the sum of what checkout froze on its lines (rules are
  never read again);
- its fee share is the processor's fee `allocate`d in proportion to gross;
- the ledger gets `postings.settlement` under `settle:{order}`, and
  `seller_settlements` one row per seller (what transfers and statements read).

A refund is posted when it reaches `succeeded` (refunds write the message
running `settle_refund` in the transaction that records it): the seller bears
the amount refunded less the commission given back, which is the refund's
share of that seller's commission computed on the running total of its
refunds (the cumulative share, rounded, minus what earlier refunds gave
back), so successive refunds never give back more than the commission taken.
The ledger gets `postings.refund` under `refund:{refund}`, `settled_refunds`
a row, and the outbox the message recovering the seller's share
(RECOVER_SELLER_SHARE_JOB: a transfer reversal, or a receivable).

Settle first, then refunds, by the order row: both take its lock. A refund
job that finds its order not settled yet does nothing; the settlement, in its
transaction, queues `settle_refund` for every refund of the order that
succeeded and is not posted. Whichever commits first, the other sees it: the
refund's state is committed before its message exists, and each side reads
the other's rows only once it holds the lock.

Billing never imports marketplace: the few columns of checkout's and
refunds' tables read here are named below, as the database has them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import column, exists, func, insert, select, table
from sqlalchemy.orm import Session

from billing import ledger, postings
from billing.gateway.registry import current_gateway
from billing.ledger_models import TransactionKind
from billing.money import Money, allocate
from billing.settlement_models import SellerSettlement, SettledRefund
from tenants.db import SHARED_SCHEMA
from tenants.locks import lock_against_updates
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

SETTLEMENT_QUEUE = "settlement"
SETTLE_ORDER_JOB = "billing.jobs.settle_order"
SETTLE_REFUND_JOB = "billing.jobs.settle_refund"
# Built by the transfers work: reverses the seller's transfer, or records a receivable.
RECOVER_SELLER_SHARE_JOB = "billing.jobs.recover_seller_share"

PAID_ORDER_STATUS = "paid"
SUCCEEDED_REFUND_STATUS = "succeeded"

# Checkout's and refunds' tables, as far as settlement reads them.
_orders = table("marketplace_orders", column("id"), column("status"), schema=SHARED_SCHEMA)
_order_lines = table("marketplace_order_lines", column("order_id"), column("tenant_id"), column("commission_amount"),
                     schema=SHARED_SCHEMA)
_seller_parts = table("marketplace_order_sellers", column("order_id"), column("tenant_id"), column("total_amount"),
                      schema=SHARED_SCHEMA)
_payments = table("payments", column("order_id"), column("gateway_payment_id"), column("amount"), column("currency"),
                  schema=SHARED_SCHEMA)
_refunds = table("refunds", column("id"), column("order_id"), column("tenant_id"), column("amount"),
                 column("currency"), column("status"), column("gateway_refund_id"), schema=SHARED_SCHEMA)


@dataclass(frozen=True)
class PaidOrder:
    order_id: int
    gateway_payment_id: str
    charged: Money


def settle_order(order_id: int) -> bool:
    """Settle a paid order (ledger `settle:{order_id}`); False if it is not paid or was settled before."""
    with UnitOfWork() as uow:
        paid = _paid_order(uow.session, order_id)
        settled = _is_settled(uow.session, order_id)
    if paid is None or settled:
        return False
    charge_id, processing_fee = _charge_and_fee(paid)
    with UnitOfWork() as uow:
        _lock_order(uow.session, order_id)
        if _is_settled(uow.session, order_id):
            return False
        splits = seller_splits(paid.charged, processing_fee, _part_totals(uow.session, order_id),
                               _commissions(uow.session, order_id))
        transaction = ledger.post(uow, TransactionKind.SETTLEMENT, f"settle:{order_id}",
                                  postings.settlement(paid.charged, processing_fee, splits), order_id=order_id,
                                  description=f"order {order_id} settled", gateway_source=charge_id)
        uow.session.execute(insert(SellerSettlement), [
            {"order_id": order_id, "tenant_id": split.tenant_id, "gross": split.gross.amount,
             "commission": split.commission.amount, "fee_share": split.fee_share.amount, "net": split.net.amount,
             "currency": paid.charged.currency, "ledger_transaction_id": transaction.id}
            for split in splits
        ])
        for refund_id in _refunds_to_post(uow.session, order_id):
            uow.add_message(SETTLE_REFUND_JOB, {"refund_id": refund_id}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    log.info("order settled", extra={"order_id": order_id})
    return True


def seller_splits(charged: Money, processing_fee: Money, part_totals: dict[int, int],
                  commissions: dict[int, int]) -> list[postings.SellerSplit]:
    """Each seller's gross, commission and fee share of an order; the gross amounts add up to `charged`.

    `part_totals` and `commissions` are by seller (tenant id), in minor units
    of the charge's currency; sellers come out in tenant id order.
    """
    tenant_ids = sorted(part_totals)
    gross = allocate(charged, [part_totals[tenant_id] for tenant_id in tenant_ids])
    fee_shares = allocate(processing_fee, [part.amount for part in gross])
    return [postings.SellerSplit(tenant_id=tenant_id, gross=gross[index],
                                 commission=Money(commissions.get(tenant_id, 0), charged.currency),
                                 fee_share=fee_shares[index])
            for index, tenant_id in enumerate(tenant_ids)]


def settle_refund(refund_id: int) -> bool:
    """Post a succeeded refund (ledger `refund:{refund_id}`) and queue the recovery of the seller's share.

    False if the refund has not succeeded, was posted before, or its order is
    not settled yet (the settlement queues it again).
    """
    with UnitOfWork() as uow:
        whose = uow.session.execute(select(_refunds.c.order_id, _refunds.c.tenant_id)
                                    .where(_refunds.c.id == refund_id)).one_or_none()
    if whose is None:
        return False
    # On behalf of the seller: the recovery message names it, and its job may act for it only so.
    with UnitOfWork(on_behalf_of=get_tenant_by_id(whose.tenant_id)) as uow:
        session = uow.session
        _lock_order(session, whose.order_id)
        # Read under the lock: the settlement and the refund's state as committed now.
        refund = session.execute(select(_refunds).where(_refunds.c.id == refund_id)).one()
        if refund.status != SUCCEEDED_REFUND_STATUS or session.get(SettledRefund, refund_id) is not None:
            return False
        settlement = session.scalar(select(SellerSettlement).where(SellerSettlement.order_id == refund.order_id,
                                                                   SellerSettlement.tenant_id == refund.tenant_id))
        if settlement is None:
            log.info("refund waits for its order's settlement", extra={"refund_id": refund_id})
            return False
        refunded = Money(refund.amount, refund.currency)
        returned = commission_returned(session, settlement, refunded)
        transaction = ledger.post(uow, TransactionKind.REFUND, f"refund:{refund_id}",
                                  postings.refund(refund.tenant_id, refunded, returned),
                                  order_id=refund.order_id, tenant_id=refund.tenant_id,
                                  description=f"refund {refund_id} of order {refund.order_id}",
                                  gateway_source=refund.gateway_refund_id)
        seller_share = refunded - returned
        session.add(SettledRefund(refund_id=refund_id, order_id=refund.order_id, tenant_id=refund.tenant_id,
                                  amount=refunded.amount, commission_returned=returned.amount,
                                  seller_share=seller_share.amount, currency=refunded.currency,
                                  ledger_transaction_id=transaction.id))
        if seller_share.amount > 0:
            uow.add_message(RECOVER_SELLER_SHARE_JOB, {
                "order_id": refund.order_id, "tenant_id": refund.tenant_id, "amount": seller_share.amount,
                "currency": seller_share.currency, "key": f"refund:{refund_id}"}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    return True


def commission_returned(session: Session, settlement: SellerSettlement, refunded: Money) -> Money:
    """The commission a refund of `refunded` gives back of a seller's settled part, its earlier refunds counted.

    The share of the commission returned so far follows the share of the
    gross refunded so far, rounded half up (a two-way `allocate`): it only
    grows as refunds add up, and reaches the whole commission when the whole
    gross is refunded, never more.
    """
    earlier_refunded, earlier_returned = session.execute(
        select(func.coalesce(func.sum(SettledRefund.amount), 0),
               func.coalesce(func.sum(SettledRefund.commission_returned), 0))
        .where(SettledRefund.order_id == settlement.order_id, SettledRefund.tenant_id == settlement.tenant_id)).one()
    refunded_so_far = int(earlier_refunded) + refunded.amount
    commission = Money(settlement.commission, settlement.currency)
    if settlement.commission <= 0 or refunded_so_far >= settlement.gross:
        returned_so_far = commission if settlement.commission > 0 else Money.zero(settlement.currency)
    else:
        returned_so_far = allocate(commission, [refunded_so_far, settlement.gross - refunded_so_far])[0]
    return returned_so_far - Money(int(earlier_returned), settlement.currency)


@dataclass(frozen=True)
class BackfillCounts:
    orders_settled: int
    refunds_posted: int


def settle_backfill() -> BackfillCounts:
    """Settle every paid order not settled yet, then post every succeeded refund not posted yet (idempotent)."""
    with UnitOfWork() as uow:
        order_ids = list(uow.session.scalars(
            select(_orders.c.id).where(_orders.c.status == PAID_ORDER_STATUS,
                                       ~exists().where(SellerSettlement.order_id == _orders.c.id))
            .order_by(_orders.c.id)))
    orders_settled = sum(settle_order(order_id) for order_id in order_ids)
    with UnitOfWork() as uow:
        refund_ids = list(uow.session.scalars(
            select(_refunds.c.id).where(_refunds.c.status == SUCCEEDED_REFUND_STATUS,
                                        ~exists().where(SettledRefund.refund_id == _refunds.c.id))
            .order_by(_refunds.c.id)))
    refunds_posted = sum(settle_refund(refund_id) for refund_id in refund_ids)
    return BackfillCounts(orders_settled=orders_settled, refunds_posted=refunds_posted)


def _paid_order(session: Session, order_id: int) -> PaidOrder | None:
    row = session.execute(
        select(_payments.c.gateway_payment_id, _payments.c.amount, _payments.c.currency)
        .join(_orders, _orders.c.id == _payments.c.order_id)
        .where(_payments.c.order_id == order_id, _orders.c.status == PAID_ORDER_STATUS)).one_or_none()
    if row is None or row.gateway_payment_id is None:
        return None
    return PaidOrder(order_id=order_id, gateway_payment_id=row.gateway_payment_id,
                     charged=Money(row.amount, row.currency))


def _charge_and_fee(paid: PaidOrder) -> tuple[str, Money]:
    """The order's charge id and the processor's fee of it, as the gateway reports them."""
    gateway = current_gateway()
    intent = gateway.retrieve_payment_intent(paid.gateway_payment_id)
    if intent.latest_charge is None:
        raise RuntimeError(f"the paid intent {intent.id} of order {paid.order_id} has no charge")
    fee = gateway.retrieve_charge(intent.latest_charge).fee
    if fee.currency != paid.charged.currency:
        # Stripe reports a fee in the platform's settlement currency; only same-currency charges are settled.
        raise RuntimeError(f"the fee of order {paid.order_id} is in {fee.currency}, its charge in "
                           f"{paid.charged.currency}")
    return intent.latest_charge, fee


def _is_settled(session: Session, order_id: int) -> bool:
    return session.scalar(select(exists().where(SellerSettlement.order_id == order_id)))


def _lock_order(session: Session, order_id: int) -> None:
    # NO KEY UPDATE: rows referring to the order (refunds, settlement rows) can still be inserted meanwhile.
    lock_against_updates(session, select(_orders.c.id).where(_orders.c.id == order_id))


def _part_totals(session: Session, order_id: int) -> dict[int, int]:
    return dict(session.execute(select(_seller_parts.c.tenant_id, _seller_parts.c.total_amount)
                                .where(_seller_parts.c.order_id == order_id)).all())


def _commissions(session: Session, order_id: int) -> dict[int, int]:
    return {tenant_id: int(total) for tenant_id, total in session.execute(
        select(_order_lines.c.tenant_id, func.sum(_order_lines.c.commission_amount))
        .where(_order_lines.c.order_id == order_id).group_by(_order_lines.c.tenant_id))}


def _refunds_to_post(session: Session, order_id: int) -> list[int]:
    return list(session.scalars(
        select(_refunds.c.id).where(_refunds.c.order_id == order_id, _refunds.c.status == SUCCEEDED_REFUND_STATUS,
                                    ~exists().where(SettledRefund.refund_id == _refunds.c.id))
        .order_by(_refunds.c.id)))
