"""Sending webhook deliveries: signed POSTs, in order per endpoint and order, retried with backoff.

Each POST carries

    Marketplace-Event-Id: <the event's uuid, the same on every attempt and replay>
    Marketplace-Event-Type: <type>
    Marketplace-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>

A 2xx answer is success. Anything else (another status, a redirect, which is
never followed, a timeout, a refused address) is recorded as an attempt and
retried after WEBHOOK_RETRY_BASE_SECONDS · 2^(attempts − 1), until
WEBHOOK_MAX_ATTEMPTS: then the delivery is `failed`.

The order rule: of one endpoint's deliveries of one marketplace order, only
the oldest pending one is ever sent, so a receiver sees each order's events
in the order they happened. A send job therefore works through that
(endpoint, order) chain: it claims the head (SKIP LOCKED: a second job finds
it claimed and leaves it to the first), POSTs it holding the claim, records
the outcome, and goes on to the next while the head settles (succeeded or
failed). A head waiting for its retry stops the chain; the scheduler's sweep
queues it again when it is due. The claim is a row lock, so a worker that
dies mid-POST leaves nothing claimed: its transaction rolls back and the
delivery is sent again (at least once; receivers deduplicate by event id).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select

from marketplace.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from marketplace.webhooks.pinned import post_to_addresses
from marketplace.webhooks.urls import UnsafeDestination, check_destination
from tenants.db import utcnow
from tenants.locks import claim_row
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

USER_AGENT = "Marketplace-Webhooks/1"
# The backoff doubles from WEBHOOK_RETRY_BASE_SECONDS; no single wait is longer than this.
MAX_RETRY_DELAY = timedelta(hours=6)
MAX_ERROR_LENGTH = 500
# RQ stops a job after 180 s (its default timeout) and each POST may take its connect and read timeouts: a job
# sends what fits in this budget and leaves the rest of its chain to the sweep.
JOB_BUDGET_SECONDS = 120


@dataclass(frozen=True)
class SendPolicy:
    max_attempts: int
    retry_base_seconds: int
    timeout_seconds: int
    allow_loopback: bool

    @classmethod
    def from_config(cls, config: Any) -> "SendPolicy":
        return cls(config["WEBHOOK_MAX_ATTEMPTS"], config["WEBHOOK_RETRY_BASE_SECONDS"],
                   config["WEBHOOK_TIMEOUT_SECONDS"], config["WEBHOOKS_ALLOW_LOOPBACK"])

    @property
    def posts_per_job(self) -> int:
        return max(1, JOB_BUDGET_SECONDS // (2 * self.timeout_seconds))

    def retry_delay(self, attempts: int) -> timedelta:
        return min(timedelta(seconds=self.retry_base_seconds * 2 ** (attempts - 1)), MAX_RETRY_DELAY)


@dataclass(frozen=True)
class Outcome:
    response_status: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The Marketplace-Signature header of `body` signed at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def send_chain(tenant: TenantRef, delivery_id: int, policy: SendPolicy) -> int:
    """Send what is due of the delivery's (endpoint, order) chain, oldest first; how many deliveries it settled."""
    with UnitOfWork(tenant) as uow:
        chain = uow.session.execute(select(WebhookDelivery.endpoint_id, WebhookDelivery.marketplace_order_id)
                                    .where(WebhookDelivery.id == delivery_id)).first()
    if chain is None:
        return 0  # its endpoint was deleted since
    settled = 0
    while settled < policy.posts_per_job and \
            (step := _send_head(tenant, chain.endpoint_id, chain.marketplace_order_id, policy)) is not None:
        settled += step
    return settled


def _send_head(tenant: TenantRef, endpoint_id: int, marketplace_order_id: int, policy: SendPolicy) -> int | None:
    """POST the chain's head if it is due and free; 1 (or 0 if another job settled it first) to go on, None to stop."""
    with UnitOfWork(tenant) as uow:
        head_id = uow.session.scalar(select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.marketplace_order_id == marketplace_order_id,
            WebhookDelivery.status == DeliveryStatus.PENDING).order_by(WebhookDelivery.id).limit(1))
        if head_id is None:
            return None
        delivery = claim_row(uow.session, WebhookDelivery, head_id)
        if delivery is None:
            return None  # another job holds it, and goes on with the chain after it
        if delivery.status is not DeliveryStatus.PENDING:
            return 0  # settled between our read and our claim: look at the next head
        endpoint = uow.session.get(WebhookEndpoint, endpoint_id)
        if not endpoint.active or delivery.next_attempt_at > utcnow():
            return None
        outcome = _post(endpoint, delivery, policy)
        _record(uow, delivery, outcome, policy)
        status, attempts = delivery.status, delivery.attempts
        uow.commit()
    log.info("webhook delivery %s: %s", status.value, outcome.response_status or outcome.error,
             extra={"tenant_id": tenant.id, "delivery_id": head_id, "attempts": attempts})
    return None if status is DeliveryStatus.PENDING else 1


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery, policy: SendPolicy) -> Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Marketplace-Event-Id": str(delivery.event_id), "Marketplace-Event-Type": delivery.event_type,
               "Marketplace-Signature": signature(body, endpoint.secret, int(time.time()))}
    started = time.monotonic()
    try:
        addresses = check_destination(endpoint.url, policy.allow_loopback)
        status = post_to_addresses(endpoint.url, addresses, data=body, headers=headers,
                                   timeout_seconds=policy.timeout_seconds)
        return Outcome(status, None if 200 <= status < 300 else f"HTTP {status}", _elapsed_ms(started))
    except UnsafeDestination as error:
        return Outcome(None, str(error)[:MAX_ERROR_LENGTH], _elapsed_ms(started))
    except requests.RequestException as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH], _elapsed_ms(started))


def _record(uow: UnitOfWork, delivery: WebhookDelivery, outcome: Outcome, policy: SendPolicy) -> None:
    now = utcnow()
    uow.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now, response_status=outcome.response_status,
                                   error=outcome.error, duration_ms=outcome.duration_ms))
    delivery.attempts += 1
    delivery.last_response_status = outcome.response_status
    delivery.last_error = outcome.error
    if outcome.succeeded:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, now, None
    elif delivery.attempts >= policy.max_attempts:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + policy.retry_delay(delivery.attempts)
    uow.session.flush()


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
