"""Periodic work: `python -m workers.scheduler`.

RQ's CronScheduler enqueues each periodic job on its queue when it is due;
workers run it like any other job. Run one scheduler process: two would
enqueue every periodic job twice (harmless, since periodic jobs are
idempotent sweeps, but wasted work).
"""
from __future__ import annotations

from typing import Any, Mapping

from rq.cron import CronScheduler

from billing.jobs import invoice_plans, reconcile_yesterday, start_scheduled_payout_run
from marketplace.accounts.jobs import purge_stale_tokens
from marketplace.checkout.jobs import expire_overdue_orders, recover_checkouts
from marketplace.app import create_app
from marketplace.cart.jobs import purge_stale_guest_carts
from marketplace.core.extensions import redis_client
from marketplace.orders.jobs import complete_past_return_window
from marketplace.orders.jobs import cancel_overdue_orders
from marketplace.payouts.jobs import send_due_transfers
from marketplace.sellers.jobs import recheck_pending_domains
from marketplace.webhooks.jobs import retry_due_deliveries
from workers.relay import purge_dispatched_messages, sweep_outbox

TOKEN_PURGE_SECONDS = 3600
OUTBOX_PURGE_SECONDS = 3600
CHECKOUT_SWEEP_SECONDS = 60
GUEST_CART_PURGE_SECONDS = 3600
# A return window is counted in days: an order completed up to an hour late loses nobody anything.
ORDER_COMPLETION_SECONDS = 3600
# Each starts its day's work once (a unique run per day, a report per day) however often it is called.
PAYOUT_RUN_CHECK_SECONDS = 900


def periodic_jobs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every periodic job, as keyword arguments of `CronScheduler.register`.

    Later periodic work (reservation expiry, SLA cancellation, transfers due,
    payout runs, invoices) is added to this one list.
    """
    sweep_seconds = config["OUTBOX_SWEEP_SECONDS"]
    return [
        # A sweep still queued after one period is dropped (ttl): the next one is due anyway.
        {"func": sweep_outbox, "queue_name": "default", "interval": sweep_seconds, "ttl": sweep_seconds},
        # A purge still queued, or still running, after a period gives way to the next one, which carries on
        # where it stopped (each batch commits on its own).
        {"func": purge_stale_tokens, "queue_name": "default",
         "kwargs": {"retention_days": config["TOKEN_RETENTION_DAYS"]},
         "interval": TOKEN_PURGE_SECONDS, "ttl": TOKEN_PURGE_SECONDS, "job_timeout": TOKEN_PURGE_SECONDS},
        # Only queues one outbox message per pending domain: the checks themselves run as their own jobs.
        {"func": recheck_pending_domains, "queue_name": "default", "interval": config["DOMAIN_RECHECK_SECONDS"],
         "ttl": config["DOMAIN_RECHECK_SECONDS"]},
        {"func": purge_dispatched_messages, "queue_name": "default",
         "kwargs": {"retention_days": config["OUTBOX_RETENTION_DAYS"]},
         "interval": OUTBOX_PURGE_SECONDS, "ttl": OUTBOX_PURGE_SECONDS, "job_timeout": OUTBOX_PURGE_SECONDS},
        # Checkout's safety nets, each idempotent: unpaid orders past their deadline, crashed checkouts.
        {"func": expire_overdue_orders, "queue_name": "orders", "interval": CHECKOUT_SWEEP_SECONDS,
         "ttl": CHECKOUT_SWEEP_SECONDS},
        {"func": recover_checkouts, "queue_name": "orders", "interval": CHECKOUT_SWEEP_SECONDS,
         "ttl": CHECKOUT_SWEEP_SECONDS},
        {"func": purge_stale_guest_carts, "queue_name": "default",
         "kwargs": {"retention_days": config["GUEST_CART_RETENTION_DAYS"]},
         "interval": GUEST_CART_PURGE_SECONDS, "ttl": GUEST_CART_PURGE_SECONDS,
         "job_timeout": GUEST_CART_PURGE_SECONDS},
        {"func": complete_past_return_window, "queue_name": "orders", "interval": ORDER_COMPLETION_SECONDS,
         "ttl": ORDER_COMPLETION_SECONDS, "job_timeout": ORDER_COMPLETION_SECONDS},
        # The acceptance SLA: one indexed read per seller, then a cancellation (refund, stock back) per overdue order.
        {"func": cancel_overdue_orders, "queue_name": "orders", "interval": config["ORDER_SLA_SWEEP_SECONDS"],
         "ttl": config["ORDER_SLA_SWEEP_SECONDS"], "job_timeout": config["ORDER_SLA_SWEEP_SECONDS"]},
        # Sellers' shares due (delivered, held, settled, undisputed, payouts enabled), each transferred once.
        {"func": send_due_transfers, "queue_name": "settlement", "interval": config["TRANSFER_SWEEP_SECONDS"],
         "ttl": config["TRANSFER_SWEEP_SECONDS"], "job_timeout": config["TRANSFER_SWEEP_SECONDS"]},
        # From PAYOUT_RUN_HOUR on: the day's payout run (its sellers are paid by a job of their own), and the
        # reconciliation report of the day before.
        {"func": start_scheduled_payout_run, "queue_name": "settlement", "interval": PAYOUT_RUN_CHECK_SECONDS,
         "ttl": PAYOUT_RUN_CHECK_SECONDS},
        {"func": reconcile_yesterday, "queue_name": "settlement", "interval": PAYOUT_RUN_CHECK_SECONDS,
         "ttl": PAYOUT_RUN_CHECK_SECONDS, "job_timeout": PAYOUT_RUN_CHECK_SECONDS},
        # Plan fees: each run charges the current month to the sellers not charged for it yet (once per month).
        {"func": invoice_plans, "queue_name": "settlement", "interval": config["PLAN_INVOICE_SECONDS"],
         "ttl": config["PLAN_INVOICE_SECONDS"], "job_timeout": config["PLAN_INVOICE_SECONDS"]},
        # Webhook retries: only queues one send job per due delivery; the POSTs run as those jobs.
        {"func": retry_due_deliveries, "queue_name": "webhooks", "interval": config["WEBHOOK_SWEEP_SECONDS"],
         "ttl": config["WEBHOOK_SWEEP_SECONDS"]},
    ]


def build_scheduler(config: Mapping[str, Any]) -> CronScheduler:
    scheduler = CronScheduler(connection=redis_client.client, logging_level=config["LOG_LEVEL"])
    for registration in periodic_jobs(config):
        scheduler.register(**registration)
    return scheduler


def main() -> None:
    app = create_app()
    build_scheduler(app.config).start()


if __name__ == "__main__":
    main()
