"""Settlement: a paid order split once between its sellers and the platform, refunds posted once, to the cent.

The recovery of a seller's share of a refund (billing.jobs.recover_seller_share)
is the transfers work's: these tests check its message is written, and never
run it (the jobs posting refunds are called directly, not through a worker
that would go on to it).
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from billing import jobs
from billing.commission import CommissionRule
from billing.gateway.registry import current_gateway
from billing.ledger import COMMISSION_REVENUE, GATEWAY_BALANCE, PROCESSING_FEES, balance, seller_payable
from billing.ledger_models import LedgerPosting, LedgerTransaction
from billing.settlement import RECOVER_SELLER_SHARE_JOB, SETTLE_REFUND_JOB
from billing.settlement_models import SellerSettlement, SettledRefund
from marketplace.core.extensions import redis_client
from marketplace.refunds import services as refund_services
from tenants.outbox import OutboxMessage
from tenants.uow import UnitOfWork
from tests.checkout.conftest import check_out, pay, put_in_cart
from tests.workers.support import run_jobs
from workers.queues import get_queue
from workers.worker import InProcessAppWorker


def run_order_jobs(app) -> None:
    """Run the queued jobs of the `orders` queue only (routing, refunds sent to the gateway)."""
    worker = InProcessAppWorker([get_queue("orders")], app=app, connection=redis_client.client)
    worker.work(burst=True, logging_level=app.config["LOG_LEVEL"])


@pytest.fixture
def three_sellers(app, offer):
    """Three sellers (commission 12.5%, the default 8%, 10%) and their offers."""
    aurora, brightline, cedar = offer("aurora", price_amount=1999), offer("brightline", price_amount=1250), \
        offer("cedar", price_amount=3333)
    with app.app_context(), UnitOfWork() as uow:
        uow.session.add_all([CommissionRule(tenant_id=aurora.tenant.id, basis_points=1250),
                             CommissionRule(basis_points=800),
                             CommissionRule(tenant_id=cedar.tenant.id, basis_points=1000)])
        uow.commit()
    return aurora, brightline, cedar


def buy(app, client, shopper, offers_and_quantities, run_all_jobs: bool = True) -> int:
    buyer = shopper()
    for seller_offer, quantity in offers_and_quantities:
        put_in_cart(app, buyer, seller_offer, quantity)
    order = check_out(client, buyer).get_json()
    assert pay(client, buyer, order["id"]).status_code == 200
    if run_all_jobs:
        run_jobs(app)
    return order["id"]


def settlements(app, order_id: int) -> list[tuple[int, int, int, int, int]]:
    """(tenant id, gross, commission, fee share, net) of each seller of a settled order."""
    with app.app_context(), UnitOfWork() as uow:
        return [(row.tenant_id, row.gross, row.commission, row.fee_share, row.net) for row in uow.session.scalars(
            select(SellerSettlement).where(SellerSettlement.order_id == order_id).order_by(SellerSettlement.tenant_id))]


def ledger_transactions(app, order_id: int) -> list[tuple[str, int | None]]:
    with app.app_context(), UnitOfWork() as uow:
        return list(uow.session.execute(select(LedgerTransaction.external_id, LedgerTransaction.tenant_id)
                                        .where(LedgerTransaction.order_id == order_id)
                                        .order_by(LedgerTransaction.id)).all())


def balances(app, *accounts) -> list[int]:
    with app.app_context(), UnitOfWork() as uow:
        return [balance(uow.session, account, "USD").amount for account in accounts]


def unbalanced_transactions(app) -> list[int]:
    with app.app_context(), UnitOfWork() as uow:
        return list(uow.session.scalars(select(LedgerPosting.transaction_id).group_by(LedgerPosting.transaction_id,
                                                                                      LedgerPosting.currency)
                                        .having(func.sum(LedgerPosting.amount) != 0)))


def outbox_payloads(app, job: str) -> list[tuple[dict, int | None]]:
    """(payload, tenant recorded) of each outbox message of `job` in the control database."""
    with app.app_context(), UnitOfWork() as uow:
        return list(uow.session.execute(select(OutboxMessage.payload, OutboxMessage.tenant_id)
                                        .where(OutboxMessage.job == job).order_by(OutboxMessage.id)).all())


def refund(app, order_id: int, tenant_id: int, amount: int, key: str) -> int:
    with app.app_context():
        return refund_services.refund_seller_part(order_id, tenant_id, amount, [], "Chipped", key)["id"]


def test_a_three_seller_order_settles_to_the_exact_cent(app, client, shopper, three_sellers):
    aurora, brightline, cedar = three_sellers

    order_id = buy(app, client, shopper, [(aurora, 2), (brightline, 1), (cedar, 3)])

    # Gross 4448 + 1700 + 10449 = 16597 charged; fee 2.9% + 30 = 511, shared by gross (largest remainder).
    assert settlements(app, order_id) == [
        (aurora.tenant.id, 4448, 500, 137, 3811),
        (brightline.tenant.id, 1700, 100, 52, 1548),
        (cedar.tenant.id, 10449, 1000, 322, 9127),
    ]
    assert ledger_transactions(app, order_id) == [(f"settle:{order_id}", None)]
    assert balances(app, GATEWAY_BALANCE, COMMISSION_REVENUE, PROCESSING_FEES, seller_payable(aurora.tenant.id),
                    seller_payable(brightline.tenant.id), seller_payable(cedar.tenant.id)) \
        == [16597 - 511, 1600, 0, 3811, 1548, 9127]
    assert unbalanced_transactions(app) == []


def test_settling_an_order_twice_posts_it_once(app, client, shopper, three_sellers):
    order_id = buy(app, client, shopper, [(seller_offer, 1) for seller_offer in three_sellers])
    before = settlements(app, order_id)

    with app.app_context():
        jobs.settle_order(order_id)
        jobs.settle_order(order_id)

    assert settlements(app, order_id) == before and len(before) == 3
    assert ledger_transactions(app, order_id) == [(f"settle:{order_id}", None)]


def test_an_unpaid_order_is_not_settled(app, client, shopper, three_sellers):
    buyer = shopper()
    put_in_cart(app, buyer, three_sellers[0], 1)
    order_id = check_out(client, buyer).get_json()["id"]

    with app.app_context():
        jobs.settle_order(order_id)

    assert settlements(app, order_id) == [] and ledger_transactions(app, order_id) == []


def test_a_refund_after_settlement_gives_back_its_share_of_commission_and_asks_to_recover_the_rest(
        app, client, shopper, three_sellers):
    aurora, _, _ = three_sellers
    order_id = buy(app, client, shopper, [(seller_offer, 2) for seller_offer in three_sellers])
    refund_id = refund(app, order_id, aurora.tenant.id, 1500, "r1")
    run_order_jobs(app)

    with app.app_context():
        jobs.settle_refund(refund_id)
        jobs.settle_refund(refund_id)

    # Aurora: gross 4448, commission 500 (12.5% of 3998); 1500 refunded gives back 500 × 1500 / 4448 = 168.6 → 169.
    assert ledger_transactions(app, order_id) == [(f"settle:{order_id}", None),
                                                 (f"refund:{refund_id}", aurora.tenant.id)]
    [(_, _, _, fee_share, net)] = [row for row in settlements(app, order_id) if row[0] == aurora.tenant.id]
    assert balances(app, seller_payable(aurora.tenant.id)) == [net - (1500 - 169)]
    assert outbox_payloads(app, SETTLE_REFUND_JOB) == [({"refund_id": refund_id}, None)]
    assert outbox_payloads(app, RECOVER_SELLER_SHARE_JOB) == [
        ({"order_id": order_id, "tenant_id": aurora.tenant.id, "amount": 1331, "currency": "USD",
          "key": f"refund:{refund_id}"}, aurora.tenant.id)]
    assert unbalanced_transactions(app) == []


def test_a_refund_that_succeeds_before_its_order_settles_is_posted_after_the_settlement(
        app, client, shopper, three_sellers):
    aurora, brightline, _ = three_sellers
    order_id = buy(app, client, shopper, [(aurora, 1), (brightline, 1)], run_all_jobs=False)
    refund_id = refund(app, order_id, brightline.tenant.id, 1700, "all of it")
    run_order_jobs(app)  # routes the order and refunds it; the settlement queue has not run

    with app.app_context():
        jobs.settle_refund(refund_id)
        waited = ledger_transactions(app, order_id)
        jobs.settle_order(order_id)
        requeued = outbox_payloads(app, SETTLE_REFUND_JOB)
        jobs.settle_refund(refund_id)

    assert waited == []
    assert requeued == [({"refund_id": refund_id}, None), ({"refund_id": refund_id}, None)]
    assert ledger_transactions(app, order_id) == [(f"settle:{order_id}", None),
                                                 (f"refund:{refund_id}", brightline.tenant.id)]
    # The whole part refunded: all of its commission (8% of 1250 = 100) comes back, the seller bears the rest.
    [(_, _, _, fee_share, net)] = [row for row in settlements(app, order_id) if row[0] == brightline.tenant.id]
    assert balances(app, seller_payable(brightline.tenant.id)) == [net - (1700 - 100)] == [-fee_share]


def test_successive_refunds_of_a_part_give_back_its_commission_exactly_once(app, client, shopper, three_sellers):
    aurora, _, _ = three_sellers
    order_id = buy(app, client, shopper, [(aurora, 3)])
    refund_ids = [refund(app, order_id, aurora.tenant.id, amount, f"r{amount}") for amount in (1001, 1, 3, 5442)]
    run_order_jobs(app)

    with app.app_context():
        for refund_id in refund_ids:
            jobs.settle_refund(refund_id)
        with UnitOfWork() as uow:
            returned = [row.commission_returned for row in uow.session.scalars(
                select(SettledRefund).order_by(SettledRefund.refund_id))]

    # 3 × 1999 + 450 = 6447 gross; commission 12.5% of 5997 = 749.625 → 750; given back as the refunds add up.
    assert returned == [116, 1, 0, 633] and sum(returned) == 750


def test_backfill_settles_what_was_paid_and_refunded_before_settlement_existed(app, client, shopper, three_sellers,
                                                                                fast_path_off):
    aurora, brightline, cedar = three_sellers
    order_ids = [buy(app, client, shopper, [(aurora, 1), (cedar, 1)], run_all_jobs=False),
                 buy(app, client, shopper, [(brightline, 2)], run_all_jobs=False)]
    refund_id = refund(app, order_ids[1], brightline.tenant.id, 500, "part")
    with app.app_context():
        refund_services.submit_refund(refund_id)

    runner = app.test_cli_runner()
    first = runner.invoke(args=["billing", "settle-backfill"])
    again = runner.invoke(args=["billing", "settle-backfill"])

    assert first.exit_code == 0 and first.output == "2 order(s) settled, 1 refund(s) posted\n"
    assert again.output == "0 order(s) settled, 0 refund(s) posted\n"
    assert [external_id for external_id, _ in ledger_transactions(app, order_ids[1])] == [
        f"settle:{order_ids[1]}", f"refund:{refund_id}"]
    assert len(settlements(app, order_ids[0])) == 2
    assert unbalanced_transactions(app) == []


def test_a_refund_recorded_succeeded_again_is_sent_to_the_ledger_once(app, client, shopper, three_sellers):
    aurora, _, _ = three_sellers
    order_id = buy(app, client, shopper, [(aurora, 1)])
    refund_id = refund(app, order_id, aurora.tenant.id, 700, "r1")
    run_order_jobs(app)

    with app.app_context():
        with UnitOfWork() as uow:
            gateway_refund_id = uow.session.get(refund_services.Refund, refund_id).gateway_refund_id
        answer = current_gateway().retrieve_refund(gateway_refund_id)
        # The gateway's refund.updated and charge.refunded events, delivered twice each, record the same state.
        for _ in range(4):
            refund_services.record_gateway_refund(answer)

    assert outbox_payloads(app, SETTLE_REFUND_JOB) == [({"refund_id": refund_id}, None)]
