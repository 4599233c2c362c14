"""RQ entry points of billing (outbox jobs). Each is safe to run again.

They live beside the code that writes their messages, as `tenants.jobs`
does, because billing never names anything in `marketplace`.
"""
from __future__ import annotations

import logging

from flask import current_app

from billing import settlement, webhooks
from billing.gateway.registry import current_gateway

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


def settle_refund(refund_id: int) -> None:
    """Post a succeeded refund to the ledger once, and queue the recovery of the seller's share."""
    settlement.settle_refund(refund_id)


def recover_seller_share(order_id: int, tenant_id: int, amount: int, key: str) -> None:
    """Recover what a seller bore of a refund: reverse its transfer (key `key`), or record a receivable.

    Built by the transfers work (issue 13, point 4); this placeholder is
    replaced by that branch's job when the branches are merged.
    """
    raise NotImplementedError("recover_seller_share is built by the transfers work")
