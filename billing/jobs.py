"""RQ entry points of billing (outbox jobs). Each is safe to run again.

They live beside the code that writes their messages, as `tenants.jobs`
does, because billing never names anything in `marketplace`.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from flask import current_app

from billing import payouts, plans, reconcile, settlement, transfers, webhooks
from billing.gateway.registry import current_gateway
from billing.money import Money
from billing.payout_models import PayoutRunTrigger

log = logging.getLogger(__name__)

STRIPE_WEBHOOK_PATH = "/api/v1/webhooks/stripe"


class WebhookDeliveryFailed(RuntimeError):
    """The webhook endpoint did not answer 2xx; the job is retried, as Stripe retries a delivery."""


def handle_gateway_event(event_id: str) -> None:
    """Run the handlers of a stored gateway event (billing/webhooks.py); nothing if already handled."""
    webhooks.handle_event(current_gateway(), event_id)


def deliver_test_gateway_event(event_id: str) -> None:
    """POST a TestGateway event, signed now, to the webhook endpoint Stripe would call; nothing if delivered.

    The request goes through the app's WSGI interface: the worker runs the
    same app as the web server, so the event is verified, stored and handled
    exactly as one from Stripe, without the worker needing the server's address.
    """
    delivery = current_gateway().signed_delivery(event_id)
    if delivery is None:
        return
    body, signature = delivery
    response = current_app.test_client().post(
        STRIPE_WEBHOOK_PATH, data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json; charset=utf-8"})
    if response.status_code // 100 != 2:
        raise WebhookDeliveryFailed(f"the webhook endpoint answered {response.status_code} to event {event_id}")
    current_gateway().mark_delivered(event_id)
    log.info("test gateway event delivered", extra={"event_id": event_id})


def settle_order(order_id: int) -> None:
    """Split a paid order between its sellers and the platform, once (billing/settlement.py)."""
    settlement.settle_order(order_id)


def settle_orders(order_ids: list[int]) -> None:
    """Settle a batch of paid orders in one transaction, those not settled yet (the relay's batch of settle_order)."""
    settlement.settle_orders(order_ids)


def settle_refund(refund_id: int) -> None:
    """Post a succeeded refund to the ledger once, and queue the recovery of the seller's share."""
    settlement.settle_refund(refund_id)


def recover_seller_share(order_id: int, tenant_id: int, amount: int, key: str, currency: str | None = None) -> None:
    """Take back from the seller's transfer for the order, up to `amount` (minor units), what it no longer earns.

    Sent after posting a refund or a lost dispute the seller bears; `key`
    names it (`refund:{id}`, `dispute:{id}`); `currency` defaults to the
    transfer's. See billing.transfers.recover_seller_share.
    """
    currency = currency or transfers.transfer_currency(order_id, tenant_id)
    if currency is None:
        return  # never transferred: the transfer, when it comes, is already smaller
    transfers.recover_seller_share(current_gateway(), order_id, tenant_id, Money(amount, currency), key)


def execute_payout_run(run_id: int) -> None:
    """Pay out the sellers due in a payout run (billing/payouts.py); nothing more once it finished."""
    payouts.execute_run(current_gateway(), run_id, current_app.config["PAYOUT_MINIMUM_AMOUNT"])


def start_scheduled_payout_run() -> None:
    """Periodic: from PAYOUT_RUN_HOUR (UTC) on, start today's scheduled payout run, once a day however often called."""
    now = datetime.now(timezone.utc)
    if now.hour >= current_app.config["PAYOUT_RUN_HOUR"]:
        payouts.start_run(PayoutRunTrigger.SCHEDULED, now.date())


def reconcile_yesterday() -> None:
    """Periodic: from PAYOUT_RUN_HOUR (UTC) on, record the reconciliation report of the day before, once."""
    now = datetime.now(timezone.utc)
    if now.hour >= current_app.config["PAYOUT_RUN_HOUR"]:
        reconcile.record_daily_report(current_gateway(), now.date() - timedelta(days=1))


def invoice_plans() -> None:
    """Charge the current month's plan fees not charged yet (periodic; billing/plans.py)."""
    plans.invoice_period()
