"""The two adapters under one contract: TestGateway on the test database, StripeGateway on stripe-mock.

stripe-mock (var/bin/stripe-mock, installed by `make test`) is started once
per session on a free port and stopped at the end; the run fails, never
skips, if it is missing or does not start. It holds no state (any id works
and the replies are fixtures), so StripeGateway's side of the contract is the
HTTP requests it sends, which a recording HTTP client keeps.
"""
from __future__ import annotations

import json
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from billing.gateway.port import PaymentGateway
from billing.gateway.stripe_gateway import StripeGateway
from billing.gateway.test_gateway import TestGateway

ROOT = Path(__file__).resolve().parents[3]
STRIPE_MOCK = ROOT / "var" / "bin" / "stripe-mock"
STRIPE_MOCK_START_SECONDS = 30
WEBHOOK_SECRET = "whsec_contract_suite_secret"


@dataclass(frozen=True)
class SentRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class RecordingHTTPClient(stripe.RequestsClient):
    """stripe's own HTTP client, keeping each request it sends (method, path, headers, form fields)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentRequest] = []

    def request(self, method, url, headers, post_data=None):
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        self.sent.append(SentRequest(method=method.upper(), path=parts.path, headers=dict(headers or {}),
                                     form=dict(parse_qsl(body or parts.query))))
        return super().request(method, url, headers, post_data)


class AnsweringHTTPClient(RecordingHTTPClient):
    """Passes requests to stripe-mock, except that requests to paths ending with `path_suffix` get `error`.

    For what stripe-mock never answers: Stripe's refusals (a declined card, a reused key, a short balance).
    """

    def __init__(self, path_suffix: str, status: int, error: dict):
        super().__init__()
        self.path_suffix, self.status, self.error = path_suffix, status, error

    def request(self, method, url, headers, post_data=None):
        if urlsplit(url).path.endswith(self.path_suffix):
            self.sent.append(SentRequest(method=method.upper(), path=urlsplit(url).path, headers=dict(headers),
                                         form={}))
            return json.dumps({"error": self.error}).encode(), self.status, {}
        return super().request(method, url, headers, post_data)


def stripe_gateway_on(http_client: RecordingHTTPClient, stripe_mock_url: str) -> StripeGateway:
    return StripeGateway(secret_key="sk_test_contract", webhook_secret=WEBHOOK_SECRET, api_base=stripe_mock_url,
                         http_client=http_client)


@dataclass
class GatewayUnderTest:
    gateway: PaymentGateway
    # StripeGateway's requests, in order; None for TestGateway, whose state the tests read instead.
    sent: list[SentRequest] | None = field(default=None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + STRIPE_MOCK_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"stripe-mock exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"stripe-mock did not listen on port {port} within {STRIPE_MOCK_START_SECONDS} s")


@pytest.fixture(scope="session")
def stripe_mock_url():
    if not STRIPE_MOCK.exists():
        pytest.fail(f"{STRIPE_MOCK} is missing: `make test` installs it (go install github.com/stripe/stripe-mock)")
    port = _free_port()
    # Its HTTPS side too on a port of its own: the default one (12112) is taken by any other stripe-mock running.
    process = subprocess.Popen([str(STRIPE_MOCK), "-http-addr", f"127.0.0.1:{port}", "-https-addr", "127.0.0.1:"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_listening(process, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["test", "stripe"])
def adapter(request) -> GatewayUnderTest:
    if request.param == "test":
        request.getfixturevalue("app")  # the test gateway keeps its state in the test database
        return GatewayUnderTest(TestGateway(webhook_secret=WEBHOOK_SECRET))
    recorder = RecordingHTTPClient()
    gateway = StripeGateway(secret_key="sk_test_contract", webhook_secret=WEBHOOK_SECRET,
                            api_base=request.getfixturevalue("stripe_mock_url"), http_client=recorder)
    return GatewayUnderTest(gateway, sent=recorder.sent)


@pytest.fixture
def test_gateway(app) -> TestGateway:
    return TestGateway(webhook_secret=WEBHOOK_SECRET)
