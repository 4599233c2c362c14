"""Fixtures of the outbound webhook tests: a real HTTP receiver on loopback, a seller with an order and an endpoint."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from sqlalchemy import select

from marketplace.webhooks.models import DeliveryStatus, EVENT_TYPES, WebhookDelivery
from marketplace.webhooks.services import queue_due_deliveries
from tenants.uow import UnitOfWork
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order  # noqa: F401 - fixtures used here
from tests.workers.support import run_jobs


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers each POST with the next status of `answers` (then 200)."""

    answers: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def acknowledged(self) -> list[Received]:
        return [request for request in self.received if 200 <= request.answered < 300]


def signature_is_valid(request: Received, secret: str) -> bool:
    fields = dict(part.split("=", 1) for part in request.headers["Marketplace-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.delay_seconds:
                threading.Event().wait(state.delay_seconds)
            with lock:
                status = state.answers.pop(0) if state.answers else 200
                state.received.append(Received(dict(self.headers), body, status))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def fast_retries(app, monkeypatch):
    """Retries due at once, so that a test drives them without waiting."""
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 0)


def endpoints_url(tenant) -> str:
    return f"/api/v1/sellers/{tenant.slug}/webhook-endpoints"


def register_endpoint(client, tenant, owner, url: str, event_types=EVENT_TYPES):
    return client.post(endpoints_url(tenant), headers=owner.headers, json={"url": url, "event_types": list(event_types)})


def drive_deliveries(app, rounds: int = 20) -> None:
    """Run the queued jobs, then the retry sweep and its jobs, until nothing is pending (or `rounds` ran out)."""
    run_jobs(app)
    for _ in range(rounds):
        with app.app_context():
            queue_due_deliveries(batch_size=500)
        run_jobs(app)


def deliveries(app, tenant) -> list[WebhookDelivery]:
    """The seller's deliveries, oldest first."""
    with app.app_context(), UnitOfWork(tenant) as uow:
        rows = list(uow.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        uow.session.expunge_all()
    return rows


def pending_count(app, tenant) -> int:
    return sum(delivery.status is DeliveryStatus.PENDING for delivery in deliveries(app, tenant))
