"""Settlement at scale: paid three-seller orders settled by the worker, beside a bulk INSERT … SELECT of their postings.

    python -m bench.settlement [--orders 50000] [--workers 2] [--runs 1] [--anchor-runs 3]

Setup (not timed): three sellers and a buyer, then the paid orders written
in bulk SQL (`generate_series`), as checkout and the test gateway leave
them: the order, one line per seller with its commission frozen (12%), the
three seller parts (4.50 shipping each), the succeeded payment, the test
gateway's intent and its charge's balance transaction (2.9% + 30 fee), and
the outbox message `mark_paid` writes (`billing.jobs.settle_order`, queue
`settlement`), left undispatched. Creating that many paid orders through the
API would take hours; the settlement side is what is measured.

Timed: `workers.relay.sweep_outbox()` (which relays the messages as
`billing.jobs.settle_orders` batch jobs of 500 orders), then `--workers`
burst RQ workers (`python -m workers.worker --burst --in-process settlement`)
until they exit; worker start-up is inside the window. Afterwards every order must have its
three seller settlements and one ledger transaction, and no job may have failed.

Also timed, after the workers: a full reconciliation of the settled ledger
(`billing.reconcile.reconcile` over the run's period, against the test
gateway's balance transactions); every charge must match, with no difference.

Anchor, in the same run: the same postings written with no job: one
`INSERT … SELECT` copying the settlement transactions (new external ids) and
one copying their postings, in one transaction, the ledger's balance
triggers included. Both figures are printed beside it.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from rq.registry import FailedJobRegistry

from bench.support import ROOT, bench_database, bench_redis, figure_line, goal_line, median_and_p95, psycopg_url
from billing.gateway.test_gateway import TestGateway
from billing.reconcile import Report, reconcile
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork
from workers.queues import get_queue
from workers.relay import sweep_outbox

SETTLEMENT_QUEUE = "settlement"
GOAL_SECONDS = 60
SELLER_SLUGS = ("aurora-bench", "brightline-bench", "cedar-bench")

# One row per (order, seller): its price and quantity derived from the order number, so every run writes the same.
PARTS_SQL = """
CREATE TEMPORARY TABLE bench_parts AS
SELECT number, seller_index, tenant_id,
       500 + (number * 37 + seller_index * 101) %% 9500 AS unit_price,
       1 + (number + seller_index) %% 3 AS quantity,
       450 AS shipping
FROM generate_series(1, %(orders)s) AS number,
     unnest(%(tenant_ids)s::bigint[]) WITH ORDINALITY AS sellers(tenant_id, seller_index)
"""
ORDERS_SQL = """
CREATE TEMPORARY TABLE bench_orders AS
SELECT number, nextval('platform.marketplace_orders_id_seq') AS order_id,
       sum(unit_price * quantity) AS subtotal, sum(shipping) AS shipping,
       sum(unit_price * quantity + shipping) AS total
FROM bench_parts GROUP BY number;

INSERT INTO platform.marketplace_orders (id, buyer_user_id, currency, status, subtotal_amount, shipping_amount,
                                         total_amount, paid_at)
SELECT order_id, %(buyer_id)s, 'USD', 'paid', subtotal, shipping, total, now() FROM bench_orders;

INSERT INTO platform.marketplace_order_lines (order_id, tenant_id, product_id, variant_id, sku, title, quantity,
                                              unit_price_amount, line_total_amount, commission_amount)
SELECT order_id, tenant_id, 1, 1, 'BENCH-1', 'Bench thing', quantity, unit_price, unit_price * quantity,
       unit_price * quantity * 12 / 100
FROM bench_parts JOIN bench_orders USING (number);

INSERT INTO platform.marketplace_order_sellers (order_id, tenant_id, seller_name, shipping_rate_id, shipping_name,
                                                subtotal_amount, shipping_amount, total_amount, status)
SELECT order_id, tenant_id, 'Bench seller', 1, 'Standard', unit_price * quantity, bench_parts.shipping,
       unit_price * quantity + bench_parts.shipping, 'placed'
FROM bench_parts JOIN bench_orders USING (number);

INSERT INTO platform.payments (order_id, gateway, gateway_payment_id, amount, currency, status)
SELECT order_id, 'test', 'pi_bench' || order_id, total, 'USD', 'succeeded' FROM bench_orders;

INSERT INTO platform.test_gateway_payment_intents (id, amount, currency, status, transfer_group, client_secret,
                                                   metadata, amount_received)
SELECT 'pi_bench' || order_id, total, 'USD', 'succeeded', 'order-' || order_id, 'pi_bench' || order_id || '_secret',
       '{}'::jsonb, total
FROM bench_orders;

-- Stripe's 2.9% rounded half up, plus 30, as the test gateway charges it.
INSERT INTO platform.test_gateway_balance_transactions (id, type, amount, fee, currency, source)
SELECT 'txn_bench' || order_id, 'charge', total, (total * 290 + 5000) / 10000 + 30, 'USD', 'ch_bench' || order_id
FROM bench_orders;

INSERT INTO shard.outbox_messages (job, queue, payload)
SELECT 'billing.jobs.settle_order', 'settlement', jsonb_build_object('order_id', order_id)
FROM bench_orders ORDER BY order_id
"""
# The anchor: the settlement transactions and their postings copied under new external ids, in bulk.
ANCHOR_SQL = """
CREATE TEMPORARY TABLE anchor_map ON COMMIT DROP AS
SELECT id AS original_id, nextval('platform.ledger_transactions_id_seq') AS copy_id
FROM platform.ledger_transactions WHERE kind = 'settlement' AND external_id LIKE 'settle:%';

INSERT INTO platform.ledger_transactions (id, kind, external_id, description, order_id)
SELECT copy_id, kind, %(prefix)s || external_id, description, order_id
FROM platform.ledger_transactions JOIN anchor_map ON original_id = id;

INSERT INTO platform.ledger_postings (transaction_id, account_id, amount, currency)
SELECT copy_id, account_id, amount, currency
FROM platform.ledger_postings JOIN anchor_map ON original_id = transaction_id
"""


def seed(database_url: str, orders: int) -> None:
    tenant_ids = [provision_tenant(slug, slug.replace("-", " ").title()).id for slug in SELLER_SLUGS]
    with psycopg.connect(psycopg_url(database_url)) as connection:
        buyer_id = connection.execute(
            "INSERT INTO platform.users (email, password_hash, full_name) VALUES (%s, 'x', 'Bench Buyer') RETURNING id",
            (f"buyer-{uuid.uuid4().hex[:8]}@bench.test",)).fetchone()[0]
        connection.execute(PARTS_SQL, {"orders": orders, "tenant_ids": tenant_ids})
        for statement in ORDERS_SQL.split(";\n"):
            connection.execute(statement, {"buyer_id": buyer_id} if "%(buyer_id)s" in statement else None)
        connection.execute("ANALYZE")


def settle_with_workers(database_url: str, redis_url: str, worker_count: int) -> float:
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                   "OUTBOX_RELAY_ON_COMMIT": "true"}
    started = time.perf_counter()
    sweep_outbox(batch_size=1000)
    workers = [subprocess.Popen([sys.executable, "-m", "workers.worker", "--burst", "--in-process", SETTLEMENT_QUEUE],
                                cwd=ROOT, env=environment) for _ in range(worker_count)]
    for worker in workers:
        worker.wait()
    return time.perf_counter() - started


def counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(psycopg_url(database_url)) as connection:
        def scalar(statement: str) -> int:
            return connection.execute(statement).fetchone()[0]

        return {
            "orders": scalar("SELECT count(*) FROM platform.marketplace_orders"),
            "settled orders": scalar("SELECT count(DISTINCT order_id) FROM platform.seller_settlements"),
            "seller settlements": scalar("SELECT count(*) FROM platform.seller_settlements"),
            "settlement transactions": scalar(
                "SELECT count(*) FROM platform.ledger_transactions WHERE external_id LIKE 'settle:%'"),
            "ledger postings": scalar("SELECT count(*) FROM platform.ledger_postings"),
            "unbalanced transactions": scalar(
                "SELECT count(*) FROM (SELECT transaction_id FROM platform.ledger_postings"
                " GROUP BY transaction_id, currency HAVING sum(amount) <> 0) AS unbalanced"),
        }


def reconcile_run(run_started_at: datetime) -> tuple[float, Report]:
    """Reconcile the whole run (an hour either side of it) against the test gateway: the seconds, and the report."""
    gateway = TestGateway(webhook_secret="whsec_bench")
    started = time.perf_counter()
    with UnitOfWork() as uow:
        report = reconcile(uow.session, gateway, run_started_at - timedelta(hours=1),
                           datetime.now(timezone.utc) + timedelta(hours=1))
    return time.perf_counter() - started, report


def anchor(database_url: str, run: int) -> float:
    with psycopg.connect(psycopg_url(database_url)) as connection:
        started = time.perf_counter()
        for statement in ANCHOR_SQL.split(";\n"):
            connection.execute(statement, {"prefix": f"anchor{run}:"} if "%(prefix)s" in statement else None)
        connection.commit()
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.settlement")
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="pipeline runs, each on a fresh database")
    parser.add_argument("--anchor-runs", type=int, default=3)
    arguments = parser.parse_args(argv)

    pipeline_seconds: list[float] = []
    reconcile_seconds: list[float] = []
    anchor_seconds: list[float] = []
    print(f"settlement: {arguments.orders} paid three-seller orders, {arguments.workers} in-process worker(s)")
    for run in range(arguments.runs):
        with bench_database("settlement") as database_url, bench_redis() as redis_url:
            run_started_at = datetime.now(timezone.utc)
            seed_started = time.perf_counter()
            seed(database_url, arguments.orders)
            print(f"  run {run + 1}: orders written in bulk SQL in {time.perf_counter() - seed_started:.1f} s")
            pipeline_seconds.append(settle_with_workers(database_url, redis_url, arguments.workers))
            figures = counts(database_url)
            failed = FailedJobRegistry(queue=get_queue(SETTLEMENT_QUEUE)).count
            print(f"  run {run + 1}: {pipeline_seconds[-1]:.1f} s, {figures}, failed jobs {failed}")
            if figures["seller settlements"] != 3 * arguments.orders or failed:
                raise SystemExit("not every order was settled: the figures above are not valid")
            # Before the anchor, whose copies name no gateway object and would count as differences.
            seconds, report = reconcile_run(run_started_at)
            reconcile_seconds.append(seconds)
            print(f"  run {run + 1}: reconciled in {seconds:.1f} s, {report.matched_count} matched, "
                  f"{len(report.differences)} differences")
            if report.matched_count != arguments.orders or report.differences:
                raise SystemExit("the settled ledger does not reconcile: the figures above are not valid")
            if run == 0:
                anchor_seconds = [anchor(database_url, anchor_run) for anchor_run in range(arguments.anchor_runs)]
                ledger_rows = figures["settlement transactions"] + figures["ledger postings"]
    median, _ = median_and_p95(pipeline_seconds)
    print(figure_line(f"settle {arguments.orders} orders (sweep + workers)", pipeline_seconds,
                      f"INSERT … SELECT of the same {ledger_rows} ledger rows", anchor_seconds, unit="s"))
    print(f"  median {arguments.orders / median:.0f} orders/s; ledger rows written by settlement: {ledger_rows}")
    print(figure_line(f"full reconciliation of the {arguments.orders} settled charges", reconcile_seconds,
                      f"INSERT … SELECT of the same {ledger_rows} ledger rows", anchor_seconds, unit="s"))
    print(goal_line(f"{arguments.orders} orders settled in under {GOAL_SECONDS} s", median < GOAL_SECONDS))


if __name__ == "__main__":
    main()
