"""A real RQ worker SIGKILLed at random points of transfer jobs, 30 times: never a double transfer, never a
lost one, and the ledger still balances once the next scheduled run has gone over what the killed one left."""
from __future__ import annotations

import os
import random
import select as io_select
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from billing.gateway import models as gateway_models
from billing.ledger_models import LedgerTransaction, TransactionKind
from billing.transfer_models import SellerTransfer, TransferStatus
from marketplace.payouts.jobs import send_due_transfers
from tenants.uow import UnitOfWork
from tests.billing.transfer_support import connect, due_share, ledger_balances, run_transfers
from tests.billing.transfer_worker_process import READY
from workers.queues import get_queue

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 30
SHARES_PER_TRIAL = 3
# A forked worker takes about 0.4 s to transfer SHARES_PER_TRIAL shares and exit on this machine: kills land
# before it starts, at every point of its transfers, and (some) after it finished.
KILL_DELAY_SECONDS = (0.05, 0.6)


def kill_a_worker_at_random(workers: subprocess.Popen, delay: float) -> bool:
    """Fork a worker from `workers`, let it run `delay` seconds, SIGKILL it, and wait until it is gone; whether
    it was still running when killed."""
    workers.stdin.write("go\n")
    workers.stdin.flush()
    pid = int(workers.stdout.readline())
    time.sleep(delay)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False  # finished before the kill
    try:
        while True:  # reaped by its parent once dead
            os.kill(pid, 0)
            time.sleep(0.005)
    except ProcessLookupError:
        return True


def test_a_worker_killed_at_random_points_of_transfer_jobs_never_transfers_twice_nor_loses_one(
        app, client, make_seller, member_of, shopper, database_url, second_shard_url, redis_server, mail_server):
    seller = make_seller("oak")
    connect(app, client, seller, member_of(seller))
    buyer = shopper()
    environment = {**os.environ, "DATABASE_URL": database_url, "SHARD_URLS": f"second={second_shard_url}",
                   "REDIS_URL": redis_server.url, "SMTP_URL": mail_server.url, "LOG_LEVEL": "WARNING",
                   "PYTHONPATH": str(ROOT)}
    amounts: dict[int, int] = {}
    chance = random.Random(13)
    killed_running = 0

    workers = subprocess.Popen([sys.executable, "-m", "tests.billing.transfer_worker_process"], cwd=ROOT,
                               env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        readable, _, _ = io_select.select([workers.stdout], [], [], 60)
        assert readable and workers.stdout.readline().strip() == READY
        for _ in range(TRIALS):
            for _ in range(SHARES_PER_TRIAL):
                order_id, net = due_share(app, seller, buyer.user_id, chance.randint(100, 5000))
                amounts[order_id] = net
            with app.app_context():
                get_queue("settlement").enqueue(send_due_transfers)
            killed_running += kill_a_worker_at_random(workers, chance.uniform(*KILL_DELAY_SECONDS))
    finally:
        workers.kill()
        workers.wait()

    # Some kills landed before the work was done (the trials prove something): the shares left behind.
    with app.app_context(), UnitOfWork() as uow:
        done = set(uow.session.scalars(select(SellerTransfer.order_id)
                                       .where(SellerTransfer.status == TransferStatus.TRANSFERRED)))
        half_done = set(uow.session.scalars(select(SellerTransfer.order_id)
                                            .where(SellerTransfer.status == TransferStatus.PENDING)))
    # Some kills landed while a worker ran (the trials prove something); a later trial's worker may have finished
    # what an earlier one left.
    assert killed_running > 0
    print(f"{killed_running} of {TRIALS} workers killed while running; {len(amounts) - len(done)} of "
          f"{len(amounts)} shares left, {len(half_done)} half done")

    # The next scheduled run goes over whatever the killed runs left half done.
    with app.app_context():
        get_queue("settlement").empty()
    run_transfers(app)

    with app.app_context(), UnitOfWork() as uow:
        at_gateway = uow.session.execute(select(gateway_models.TestGatewayTransfer.transfer_group,
                                                   gateway_models.TestGatewayTransfer.amount)).all()
        recorded = uow.session.execute(select(SellerTransfer.order_id, SellerTransfer.status)).all()
        posted = uow.session.execute(select(LedgerTransaction.order_id)
                                     .where(LedgerTransaction.kind == TransactionKind.TRANSFER)).scalars().all()
    assert sorted(at_gateway) == sorted((f"order_{order_id}", amount) for order_id, amount in amounts.items())
    assert sorted(recorded) == sorted((order_id, TransferStatus.TRANSFERRED) for order_id in amounts)
    assert sorted(posted) == sorted(amounts)
    assert ledger_balances(app)
