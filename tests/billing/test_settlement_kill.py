"""Settlement survives its worker being SIGKILLed anywhere: every order settled exactly once, the ledger balanced.

A real worker process (`python -m workers.worker settlement`, forking a work
horse per job) settles a batch of paid orders and is killed, horse and all,
at a random instant once it has settled at least one of them; 30 times, on
fresh orders each time. Each message is relayed on commit as a job of one
order, or (`swept`) swept with the others into batch jobs of two orders
(workers/relay.py, BATCHED_JOBS), each settled in one transaction. Then what RQ does for a dead worker's jobs once its
heartbeat has expired is done at once (abandoned jobs retried, the retries
due now), and a clean worker drains the queue.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from billing.ledger import GATEWAY_BALANCE, PROCESSING_FEES, balance
from billing.ledger_models import LedgerPosting, LedgerTransaction
from billing.settlement import SETTLE_ORDER_JOB, SETTLE_ORDERS_JOB, SETTLEMENT_QUEUE
from billing.settlement_models import SellerSettlement
from marketplace.checkout.models import Payment
from tenants.uow import UnitOfWork
from tests.billing import paid_orders
from tests.shard_support import database_environment
from tests.workers.support import run_jobs
from workers import relay
from workers.queues import get_queue
from workers.relay import sweep_outbox

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 30
ORDERS_PER_TRIAL = 5
# Swept, the orders of a trial run as batch jobs of BATCH_SIZE: as many jobs per trial as relayed on commit.
BATCH_SIZE = 2
# The longest a killed trial waits for its worker to settle a first order (the worker builds the app first).
FIRST_SETTLEMENT_TIMEOUT_SECONDS = 30


def three_seller_cart(tenant_ids: list[int], rng: random.Random) -> paid_orders.Cart:
    return paid_orders.Cart(parts=tuple(
        paid_orders.SellerPart(tenant_id=tenant_id, shipping=rng.randrange(0, 900), lines=tuple(
            paid_orders.Line(unit_price=price, quantity=quantity, commission=price * quantity * 12 // 100)
            for price, quantity in [(rng.randrange(100, 20_000), rng.randrange(1, 4))
                                    for _ in range(rng.randrange(1, 4))]))
        for tenant_id in tenant_ids))


def queue_settlements(order_ids: list[int], swept: bool) -> None:
    """The messages mark_paid writes: relayed to RQ when this commits, or by the sweeper if `swept`."""
    with UnitOfWork() as uow:
        for order_id in order_ids:
            uow.add_message(SETTLE_ORDER_JOB, {"order_id": order_id}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    if swept:
        sweep_outbox()


@pytest.fixture(params=["relayed_on_commit", "swept"])
def swept(request, monkeypatch) -> bool:
    """Whether the messages are swept into batch jobs of BATCH_SIZE orders, rather than relayed each on commit."""
    if request.param == "relayed_on_commit":
        return False
    request.getfixturevalue("fast_path_off")
    monkeypatch.setitem(relay.BATCHED_JOBS, SETTLE_ORDER_JOB,
                        replace(relay.BATCHED_JOBS[SETTLE_ORDER_JOB], max_size=BATCH_SIZE))
    return True


def settled_order_count() -> int:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(func.count(func.distinct(SellerSettlement.order_id))))


def run_worker_and_kill_it(environment: dict[str, str], settled_before: int, rng: random.Random) -> None:
    process = subprocess.Popen([sys.executable, "-m", "workers.worker", SETTLEMENT_QUEUE], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + FIRST_SETTLEMENT_TIMEOUT_SECONDS
        while settled_order_count() == settled_before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.2))
    finally:
        # The worker and its work horse: the whole process group, as a container's kill would.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def recover_dead_workers_jobs(queue_name: str) -> None:
    """What RQ does, after the dead workers' heartbeats expire, for the jobs they held, now rather than later.

    An abandoned started job is retried (StartedJobRegistry.cleanup, its retry
    scheduled per the retry policy); a job a worker took off the queue and died
    before starting is failed into a retry too (the intermediate queue's
    cleanup); the scheduler enqueues retries once due: here, at once.
    """
    queue = get_queue(queue_name)
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 24 * 3600)
    for job_id in queue.intermediate_queue.get_job_ids():
        if job_id not in queue.started_job_registry:
            queue.intermediate_queue.remove(job_id)
            queue.enqueue_job(queue.fetch_job(job_id))
    scheduled = ScheduledJobRegistry(queue=queue)
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))


def test_settlement_workers_killed_at_random_points_settle_every_order_exactly_once(app, make_seller, shopper, swept):
    rng = random.Random(int(os.environ.get("KILL_TEST_SEED", time.time_ns())))
    shopper()
    tenant_ids = [make_seller(slug).id for slug in ("acme", "bolt", "cask")]
    environment = {**os.environ, **database_environment(app.config), "LOG_LEVEL": "ERROR"}
    order_ids: list[int] = []
    trials_cut_short = 0
    with app.app_context():
        buyer_user_id = paid_orders.any_user_id()
        orders_per_trial = ORDERS_PER_TRIAL * (BATCH_SIZE if swept else 1)
        for _ in range(TRIALS):
            batch = [paid_orders.write_paid_order(buyer_user_id, three_seller_cart(tenant_ids, rng))
                     for _ in range(orders_per_trial)]
            order_ids += batch
            settled_before = settled_order_count()
            queue_settlements(batch, swept)
            if swept:  # the trial's orders wait as batch jobs
                assert {job.func_name for job in get_queue(SETTLEMENT_QUEUE).get_jobs()} == {SETTLE_ORDERS_JOB}
            run_worker_and_kill_it(environment, settled_before, rng)
            trials_cut_short += settled_order_count() < len(order_ids)

        recover_dead_workers_jobs(SETTLEMENT_QUEUE)
        run_jobs(app)

        with UnitOfWork() as uow:
            settled_sellers = dict(uow.session.execute(
                select(SellerSettlement.order_id, func.count()).group_by(SellerSettlement.order_id)).all())
            settlement_transactions = dict(uow.session.execute(
                select(LedgerTransaction.order_id, func.count()).group_by(LedgerTransaction.order_id)).all())
            unbalanced = list(uow.session.scalars(
                select(LedgerPosting.transaction_id).group_by(LedgerPosting.transaction_id, LedgerPosting.currency)
                .having(func.sum(LedgerPosting.amount) != 0)))
            at_the_processor = balance(uow.session, GATEWAY_BALANCE, paid_orders.CURRENCY).amount
            fees_not_shared = balance(uow.session, PROCESSING_FEES, paid_orders.CURRENCY).amount
            charged = list(uow.session.scalars(select(Payment.amount).where(Payment.order_id.in_(order_ids))))

    # The kills did cut work short (else the test proves nothing), and none of it was lost or done twice.
    assert trials_cut_short > TRIALS // 2
    assert settled_sellers == {order_id: 3 for order_id in order_ids}
    assert settlement_transactions == {order_id: 1 for order_id in order_ids}
    assert unbalanced == [] and fees_not_shared == 0
    assert at_the_processor == sum(total - paid_orders.processing_fee(total) for total in charged)
