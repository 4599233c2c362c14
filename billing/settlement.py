"""Settlement: each paid order split once between its sellers and the platform, and each refund posted once.

When a payment succeeds, checkout's transaction writes the message that runs
`settle_order` on the `settlement` queue; the relay turns the messages of
that job swept together into one `settle_orders` job of up to 500 orders
(workers/relay.py, BATCHED_JOBS), and `settle_order` is `settle_orders` of
one. A batch is set-based: it reads the processor's fees of all its charges
from the gateway at once (`charge_fees`, before any transaction: no lock is
held across a network call), then, in one transaction, locks its orders in
id order, leaves out those settled meanwhile, and reads and writes each
table with one statement for the whole batch (about ten in all, whatever
its size). For each order, under its row's lock:

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

A batch is idempotent as a whole: run again (its worker was killed), it
settles only what is not settled. An order whose fee cannot be read is left
out, and the job fails once the others are committed (OrdersNotSettled), so
that its retries settle that order alone.

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
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import column, exists, func, insert, select, table
from sqlalchemy.orm import Session

from billing import ledger, postings
from billing.gateway.port import ChargeFee
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
# The relay's batch of SETTLE_ORDER_JOB messages (workers/relay.py, BATCHED_JOBS).
SETTLE_ORDERS_JOB = "billing.jobs.settle_orders"
SETTLE_REFUND_JOB = "billing.jobs.settle_refund"
# Built by the transfers work: reverses the seller's transfer, or records a receivable.
RECOVER_SELLER_SHARE_JOB = "billing.jobs.recover_seller_share"

# The most orders one transaction settles: a relayed batch of settlement messages, or a backfill's step.
SETTLEMENT_BATCH_SIZE = 500

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


class OrdersNotSettled(RuntimeError):
    """Orders of a batch that could not be settled (their fee unknown, say); the rest of the batch was.

    Raised once the others are committed, so that the job fails and is retried
    for these alone (the others are settled by then), or lands among failed jobs.
    """

    def __init__(self, reasons: dict[int, str]):
        self.reasons = reasons
        super().__init__("; ".join(f"order {order_id}: {reason}" for order_id, reason in sorted(reasons.items())))


def settle_order(order_id: int) -> bool:
    """Settle a paid order (ledger `settle:{order_id}`); False if it is not paid or was settled before."""
    return settle_orders([order_id]) == 1


def settle_orders(order_ids: Iterable[int]) -> int:
    """Settle every paid order of `order_ids` not settled yet, all in one transaction; return how many.

    The fees are read from the gateway first, for the whole batch and outside
    any transaction. Then the orders are locked together, in id order (as
    every batch locks them, so two batches sharing orders wait, never
    deadlock), those settled meanwhile are left out, and each statement
    reads or writes the whole batch: part totals, commissions, ledger
    transactions and postings (`ledger.post_many`), seller settlements, and
    the refunds waiting for their order. Raises OrdersNotSettled after the
    commit if some order could not be settled (its fee unreadable, its parts
    not adding up): one bad order never holds the others back.
    """
    with UnitOfWork() as uow:
        unsettled = _unsettled_paid_orders(uow.session, order_ids)
    if not unsettled:
        return 0
    charges, not_settled = _charges_and_fees(unsettled)
    settled_count = 0
    if charges:
        with UnitOfWork() as uow:
            settled_count = _settle_locked(uow, [unsettled[order_id] for order_id in sorted(charges)], charges,
                                           not_settled)
            uow.commit()
    if not_settled:
        raise OrdersNotSettled(not_settled)
    return settled_count


def _settle_locked(uow: UnitOfWork, paid_orders: list[PaidOrder], charges: dict[int, ChargeFee],
                   not_settled: dict[int, str]) -> int:
    """Settle `paid_orders` (in id order) under their rows' locks, but those settled meanwhile; how many.

    An order whose split is refused (its parts do not add up) is left out, the reason added to `not_settled`.
    """
    session = uow.session
    _lock_orders(session, [paid.order_id for paid in paid_orders])
    # Read under the locks: a settlement committed by another batch while this one waited is seen now.
    settled_before = _settled_among(session, [paid.order_id for paid in paid_orders])
    paid_orders = [paid for paid in paid_orders if paid.order_id not in settled_before]
    order_ids = [paid.order_id for paid in paid_orders]
    part_totals, commissions = _part_totals(session, order_ids), _commissions(session, order_ids)
    splits: dict[int, list[postings.SellerSplit]] = {}
    transactions: list[ledger.NewTransaction] = []
    for paid in paid_orders:
        charge = charges[paid.order_id]
        try:
            order_splits = seller_splits(paid.charged, charge.fee, part_totals[paid.order_id],
                                         commissions.get(paid.order_id, {}))
            entries = postings.settlement(paid.charged, charge.fee, order_splits)
        except ValueError as error:
            not_settled[paid.order_id] = str(error)
            continue
        splits[paid.order_id] = order_splits
        transactions.append(ledger.NewTransaction(
            TransactionKind.SETTLEMENT, f"settle:{paid.order_id}", entries,
            description=f"order {paid.order_id} settled", order_id=paid.order_id, gateway_source=charge.charge_id))
    if not transactions:
        return 0
    transaction_ids = ledger.post_many(uow, transactions)
    session.execute(insert(SellerSettlement), [
        {"order_id": paid.order_id, "tenant_id": split.tenant_id, "gross": split.gross.amount,
         "commission": split.commission.amount, "fee_share": split.fee_share.amount, "net": split.net.amount,
         "currency": paid.charged.currency, "ledger_transaction_id": transaction_ids[f"settle:{paid.order_id}"]}
        for paid in paid_orders if paid.order_id in splits for split in splits[paid.order_id]
    ])
    settled_ids = list(splits)
    for refund_id in _refunds_to_post(session, settled_ids):
        uow.add_message(SETTLE_REFUND_JOB, {"refund_id": refund_id}, queue=SETTLEMENT_QUEUE)
    log.info("%d orders settled", len(settled_ids), extra={"order_ids": settled_ids})
    return len(settled_ids)


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
    orders_settled = sum(settle_orders(order_ids[start:start + SETTLEMENT_BATCH_SIZE])
                         for start in range(0, len(order_ids), SETTLEMENT_BATCH_SIZE))
    with UnitOfWork() as uow:
        refund_ids = list(uow.session.scalars(
            select(_refunds.c.id).where(_refunds.c.status == SUCCEEDED_REFUND_STATUS,
                                        ~exists().where(SettledRefund.refund_id == _refunds.c.id))
            .order_by(_refunds.c.id)))
    refunds_posted = sum(settle_refund(refund_id) for refund_id in refund_ids)
    return BackfillCounts(orders_settled=orders_settled, refunds_posted=refunds_posted)


def _unsettled_paid_orders(session: Session, order_ids: Iterable[int]) -> dict[int, PaidOrder]:
    """The orders of `order_ids` paid and not settled yet, by id (read without locks: checked again under them)."""
    rows = session.execute(
        select(_payments.c.order_id, _payments.c.gateway_payment_id, _payments.c.amount, _payments.c.currency)
        .join(_orders, _orders.c.id == _payments.c.order_id)
        .where(_payments.c.order_id.in_(list(order_ids)), _orders.c.status == PAID_ORDER_STATUS,
               _payments.c.gateway_payment_id.is_not(None),
               ~exists().where(SellerSettlement.order_id == _payments.c.order_id)))
    return {row.order_id: PaidOrder(order_id=row.order_id, gateway_payment_id=row.gateway_payment_id,
                                    charged=Money(row.amount, row.currency))
            for row in rows}


def _charges_and_fees(paid_orders: dict[int, PaidOrder]) -> tuple[dict[int, ChargeFee], dict[int, str]]:
    """Each order's charge and the processor's fee of it, as the gateway reports them; and why some have none."""
    fees = current_gateway().charge_fees([paid.gateway_payment_id for paid in paid_orders.values()])
    charges, not_settled = {}, {}
    for order_id, paid in paid_orders.items():
        charge = fees.get(paid.gateway_payment_id)
        if charge is None:
            not_settled[order_id] = f"its paid intent {paid.gateway_payment_id} has no charge"
        elif charge.fee.currency != paid.charged.currency:
            # Stripe reports a fee in the platform's settlement currency; only same-currency charges are settled.
            not_settled[order_id] = f"its fee is in {charge.fee.currency}, its charge in {paid.charged.currency}"
        else:
            charges[order_id] = charge
    return charges, not_settled


def _settled_among(session: Session, order_ids: list[int]) -> set[int]:
    return set(session.scalars(select(SellerSettlement.order_id).distinct()
                               .where(SellerSettlement.order_id.in_(order_ids))))


def _lock_orders(session: Session, order_ids: list[int]) -> None:
    # NO KEY UPDATE: rows referring to the orders (refunds, settlement rows) can still be inserted meanwhile.
    # Waited for, not skipped: the holder may be a refund or the order's own lifecycle, not another settlement.
    lock_against_updates(session, select(_orders.c.id).where(_orders.c.id.in_(order_ids)).order_by(_orders.c.id))


def _lock_order(session: Session, order_id: int) -> None:
    _lock_orders(session, [order_id])


def _part_totals(session: Session, order_ids: list[int]) -> dict[int, dict[int, int]]:
    """Each order's seller parts' totals, by order then seller."""
    totals: dict[int, dict[int, int]] = defaultdict(dict)
    for order_id, tenant_id, total in session.execute(
            select(_seller_parts.c.order_id, _seller_parts.c.tenant_id, _seller_parts.c.total_amount)
            .where(_seller_parts.c.order_id.in_(order_ids))):
        totals[order_id][tenant_id] = total
    return totals


def _commissions(session: Session, order_ids: list[int]) -> dict[int, dict[int, int]]:
    """The commission frozen on each order's lines, summed by order then seller."""
    commissions: dict[int, dict[int, int]] = defaultdict(dict)
    for order_id, tenant_id, total in session.execute(
            select(_order_lines.c.order_id, _order_lines.c.tenant_id, func.sum(_order_lines.c.commission_amount))
            .where(_order_lines.c.order_id.in_(order_ids))
            .group_by(_order_lines.c.order_id, _order_lines.c.tenant_id)):
        commissions[order_id][tenant_id] = int(total)
    return commissions


def _refunds_to_post(session: Session, order_ids: list[int]) -> list[int]:
    return list(session.scalars(
        select(_refunds.c.id).where(_refunds.c.order_id.in_(order_ids), _refunds.c.status == SUCCEEDED_REFUND_STATUS,
                                    ~exists().where(SettledRefund.refund_id == _refunds.c.id))
        .order_by(_refunds.c.id)))
