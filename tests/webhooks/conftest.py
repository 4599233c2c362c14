"""Fixtures of the outbound webhook tests: a real HTTP receiver on loopback, a seller with an order and an endpoint."""
from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from sqlalchemy import select

from marketplace.webhooks import pinned
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
    with serving(state) as port:
        state.url = f"http://127.0.0.1:{port}/hooks"
        yield state


# The names the TLS receiver's certificate carries: a loopback name, and one no DNS knows (tests resolve it).
TLS_NAMES = ("localhost", "hooks.rebind.test")


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 over HTTPS, with a certificate for TLS_NAMES that webhooks trust for the test;
    its url names it `localhost`."""
    certificate, key = tmp_path / "receiver.pem", tmp_path / "receiver.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=" + ",".join(f"DNS:{name}" for name in TLS_NAMES),
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    monkeypatch.setattr(pinned, "TLS_VERIFY", str(certificate))
    state = Receiver()
    with serving(state, context) as port:
        state.url = f"https://localhost:{port}/hooks"
        yield state


@contextmanager
def serving(state: Receiver, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """Serve `state`'s answers on a free port of 127.0.0.1 (over TLS with `tls`) while the block runs; the port."""
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
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
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
