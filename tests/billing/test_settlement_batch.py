"""Set-based settlement: a batch of paid orders settled in one transaction, each exactly as if settled alone.

Orders are written straight into the tables (tests/billing/paid_orders.py),
as checkout and the test gateway leave them.
"""
from __future__ import annotations

import random

import pytest
from sqlalchemy import event, func, select, update

from billing.gateway import models as gateway_models
from billing.ledger import GATEWAY_BALANCE, PROCESSING_FEES, balance
from billing.ledger_models import LedgerPosting, LedgerTransaction
from billing.money import Money
from billing.settlement import (
    SETTLE_ORDER_JOB, SETTLE_ORDERS_JOB, SETTLE_REFUND_JOB, SETTLEMENT_QUEUE, OrdersNotSettled, seller_splits,
    settle_order, settle_orders,
)
from billing.settlement_models import SellerSettlement
from marketplace.checkout.models import MarketplaceOrder, MarketplaceOrderLine, OrderSellerPart, OrderStatus
from tenants.outbox import OutboxMessage
from tenants.shards import shards
from tenants.uow import UnitOfWork
from tests.billing import paid_orders
from tests.concurrency import run_together
from tests.workers.support import run_jobs
from workers.queues import get_queue
from workers.relay import sweep_outbox


@pytest.fixture
def write_orders(app, make_seller, shopper):
    """write_orders(count): `count` paid three-seller orders of random shape; their ids."""
    shopper()
    tenant_ids = [make_seller(slug).id for slug in ("acme", "bolt", "cask")]
    rng = random.Random(13)

    def write(count: int) -> list[int]:
        with app.app_context():
            buyer_user_id = paid_orders.any_user_id()
            return [paid_orders.write_paid_order(buyer_user_id, paid_orders.Cart(parts=tuple(
                paid_orders.SellerPart(tenant_id=tenant_id, shipping=rng.randrange(0, 900), lines=tuple(
                    paid_orders.Line(unit_price=price, quantity=quantity, commission=price * quantity * 12 // 100)
                    for price, quantity in [(rng.randrange(100, 20_000), rng.randrange(1, 4))
                                            for _ in range(rng.randrange(1, 4))]))
                for tenant_id in tenant_ids))) for _ in range(count)]

    return write


def settled_rows(order_ids: list[int]) -> dict[int, list[tuple[int, int, int, int, int]]]:
    """(tenant id, gross, commission, fee share, net) of each seller, by order."""
    with UnitOfWork() as uow:
        rows = uow.session.scalars(select(SellerSettlement).where(SellerSettlement.order_id.in_(order_ids))
                                   .order_by(SellerSettlement.order_id, SellerSettlement.tenant_id))
        by_order: dict[int, list] = {}
        for row in rows:
            by_order.setdefault(row.order_id, []).append(
                (row.tenant_id, row.gross, row.commission, row.fee_share, row.net))
        return by_order


def expected_rows(order_id: int) -> list[tuple[int, int, int, int, int]]:
    """What settling the order alone gives, from its lines and parts as written (seller_splits, the same rules)."""
    with UnitOfWork() as uow:
        charged = Money(uow.session.get(MarketplaceOrder, order_id).total_amount, paid_orders.CURRENCY)
        parts = dict(uow.session.execute(select(OrderSellerPart.tenant_id, OrderSellerPart.total_amount)
                                         .where(OrderSellerPart.order_id == order_id)).all())
        commissions: dict[int, int] = {}
        for tenant_id, commission in uow.session.execute(
                select(MarketplaceOrderLine.tenant_id, MarketplaceOrderLine.commission_amount)
                .where(MarketplaceOrderLine.order_id == order_id)):
            commissions[tenant_id] = commissions.get(tenant_id, 0) + commission
    fee = Money(paid_orders.processing_fee(charged.amount), paid_orders.CURRENCY)
    return [(split.tenant_id, split.gross.amount, split.commission.amount, split.fee_share.amount, split.net.amount)
            for split in seller_splits(charged, fee, parts, commissions)]


def ledger_counts() -> tuple[dict[int, int], list[int]]:
    """Settlement transactions by order, and the transactions that do not balance."""
    with UnitOfWork() as uow:
        by_order = dict(uow.session.execute(
            select(LedgerTransaction.order_id, func.count()).group_by(LedgerTransaction.order_id)).all())
        unbalanced = list(uow.session.scalars(
            select(LedgerPosting.transaction_id).group_by(LedgerPosting.transaction_id, LedgerPosting.currency)
            .having(func.sum(LedgerPosting.amount) != 0)))
    return by_order, unbalanced


def statements_run(call) -> int:
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(shards.engine(), "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(shards.engine(), "before_cursor_execute", record)
    return len(statements)


def test_a_batch_settles_each_paid_order_once_exactly_as_if_settled_alone(app, write_orders):
    order_ids = write_orders(12)
    with app.app_context():
        assert settle_order(order_ids[0]) is True
        with UnitOfWork() as uow:
            uow.session.execute(update(MarketplaceOrder).where(MarketplaceOrder.id == order_ids[1])
                                .values(status=OrderStatus.AWAITING_PAYMENT))
            uow.commit()

        settled_count = settle_orders(list(reversed(order_ids)))
        again = settle_orders(order_ids)

        rows = settled_rows(order_ids)
        by_order, unbalanced = ledger_counts()
        with UnitOfWork() as uow:
            fees_not_shared = balance(uow.session, PROCESSING_FEES, paid_orders.CURRENCY).amount

    # The order settled before and the unpaid one are left out; each other is settled once, to the cent.
    assert (settled_count, again) == (10, 0)
    assert sorted(rows) == [order_ids[0], *order_ids[2:]]
    assert all(rows[order_id] == expected_rows(order_id) for order_id in rows)
    assert by_order == {order_id: 1 for order_id in rows}
    assert unbalanced == [] and fees_not_shared == 0


def test_a_batchs_statements_do_not_grow_with_its_orders(app, write_orders):
    small, large = write_orders(3), write_orders(60)
    with app.app_context():
        for_three = statements_run(lambda: settle_orders(small))
        for_sixty = statements_run(lambda: settle_orders(large))

        assert len(settled_rows(large)) == 60
    assert for_sixty == for_three


def test_settling_a_batch_queues_the_refunds_that_waited_for_its_orders(app, write_orders):
    order_ids = write_orders(3)
    with app.app_context():
        with UnitOfWork() as uow:
            first_seller = uow.session.scalar(select(func.min(OrderSellerPart.tenant_id))
                                              .where(OrderSellerPart.order_id == order_ids[2]))
        refund_id = paid_orders.write_succeeded_refund(order_ids[2], first_seller, 300, "early")

        settle_orders(order_ids)

        with UnitOfWork() as uow:
            queued = list(uow.session.scalars(select(OutboxMessage.payload)
                                              .where(OutboxMessage.job == SETTLE_REFUND_JOB)))
    assert queued == [{"refund_id": refund_id}]


def set_received(intent_id: str, amount: int | None) -> None:
    """Set what the test gateway's intent received (None: its whole amount)."""
    intent = gateway_models.TestGatewayPaymentIntent
    with UnitOfWork() as uow:
        uow.session.execute(update(intent).where(intent.id == intent_id)
                            .values(amount_received=intent.amount if amount is None else amount))
        uow.commit()


def test_an_order_whose_fee_cannot_be_read_fails_the_batch_once_the_others_are_settled(app, write_orders):
    order_ids = write_orders(4)
    with app.app_context():
        # The intent of the third order shows no charge (yet) at the gateway.
        set_received(f"pi_generated{order_ids[2]}", 0)

        with pytest.raises(OrdersNotSettled) as error:
            settle_orders(order_ids)
        settled_first = sorted(settled_rows(order_ids))

        set_received(f"pi_generated{order_ids[2]}", None)
        settled_on_retry = settle_orders(order_ids)

    assert list(error.value.reasons) == [order_ids[2]]
    assert settled_first == [order_ids[0], order_ids[1], order_ids[3]]
    assert settled_on_retry == 1
    assert sorted(settled_rows(order_ids)) == order_ids


def test_an_order_whose_parts_cannot_be_split_fails_the_batch_once_the_others_are_settled(app, write_orders, sql):
    order_ids = write_orders(3)
    sql("DELETE FROM platform.marketplace_order_sellers WHERE order_id = :order_id", order_id=order_ids[1])

    with app.app_context(), pytest.raises(OrdersNotSettled) as error:
        settle_orders(order_ids)

    assert list(error.value.reasons) == [order_ids[1]]
    assert sorted(settled_rows(order_ids)) == [order_ids[0], order_ids[2]]
    assert ledger_counts() == ({order_ids[0]: 1, order_ids[2]: 1}, [])


def test_two_batches_sharing_orders_at_once_settle_each_order_once(app, write_orders):
    order_ids = write_orders(40)
    settled_counts = []

    outcomes = run_together(app, lambda: settled_counts.append(settle_orders(order_ids[:30])),
                            lambda: settled_counts.append(settle_orders(list(reversed(order_ids[10:])))))

    with app.app_context():
        by_order, unbalanced = ledger_counts()
        with UnitOfWork() as uow:
            at_the_processor = balance(uow.session, GATEWAY_BALANCE, paid_orders.CURRENCY).amount
            charged = list(uow.session.scalars(select(MarketplaceOrder.total_amount)))
    assert outcomes == ["done", "done"]
    assert sum(settled_counts) == 40
    assert by_order == {order_id: 1 for order_id in order_ids}
    assert unbalanced == []
    assert at_the_processor == sum(total - paid_orders.processing_fee(total) for total in charged)


def test_settlement_messages_swept_together_are_settled_by_one_batch_job(app, write_orders, fast_path_off):
    order_ids = write_orders(8)
    with app.app_context():
        with UnitOfWork() as uow:
            for order_id in order_ids:
                uow.add_message(SETTLE_ORDER_JOB, {"order_id": order_id}, queue=SETTLEMENT_QUEUE)
            uow.commit()

        sweep_outbox()
        queued = [(job.func_name, job.kwargs) for job in get_queue(SETTLEMENT_QUEUE).get_jobs()]
        run_jobs(app)

        rows = settled_rows(order_ids)
    assert queued == [(SETTLE_ORDERS_JOB, {"order_ids": order_ids})]
    assert sorted(rows) == order_ids
