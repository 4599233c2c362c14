"""The demo's money, so that `make run` shows sellers' balances, statements and a payout run with real figures.

Nothing is posted by hand: the demo plays each person through the app's own
API (in process, with Flask's test client, as the test gateway's event
delivery does), and the jobs that follow run as a worker would run them:

- the demo buyer checks out two carts and pays each with the test gateway's
  test card: one from the three sellers, one from Aurora Ceramics alone;
- Aurora and Brightline connect their payout accounts and finish the test
  gateway's onboarding (its `account.updated` event enables their payouts);
  Cedar & Wick opens its account but has not finished onboarding;
- Brightline asks for a minimum payout above what it will have;
- the jobs route and settle the orders; each seller accepts its part, ships
  it and reports it delivered;
- the transfer job's service moves the delivered shares to onboarded sellers
  (Cedar & Wick's stays pending), and the operator starts a payout run,
  whose job pays Aurora out and skips Brightline below its minimum.

The transfer hold (TRANSFER_HOLD_DAYS) is passed as zero: the demo's parcels
were delivered a moment ago, and nobody waits a week for `make run`.

Only with the test gateway (the default of `make run`): with Stripe, the demo has no money.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable
from urllib.parse import urlparse

from flask import current_app
from flask.testing import FlaskClient

from billing.gateway.registry import current_gateway
from billing.gateway.test_gateway import TestGateway
from marketplace.payouts.transfers import send_due_transfers

TEST_CARD = "4242424242424242"
# Above what Brightline will have available: the payout run skips it.
BRIGHTLINE_MINIMUM_AMOUNT = 50_000
# Transfers of the demo's shares wait no hold (see the module docstring).
DEMO_HOLD_DAYS = 0


class DemoStepFailed(RuntimeError):
    """An API call of the demo did not answer as it should: the demo stops rather than show half its money."""


def seed_money(password: str, buyer_email: str, operator_email: str, sellers: list[tuple[str, str, list[int]]],
               run_queued_jobs: Callable[[], None]) -> None:
    """The demo's orders and their money, for `sellers` as (slug, owner email, variant ids), Aurora, Brightline and
    Cedar & Wick in that order; `run_queued_jobs` runs every job queued so far, then returns."""
    if not isinstance(current_gateway(), TestGateway):
        return
    client = current_app.test_client()
    buyer, operator = _signed_in(client, buyer_email, password), _signed_in(client, operator_email, password)
    owners = {slug: _signed_in(client, owner_email, password) for slug, owner_email, _ in sellers}
    (aurora, aurora_variants), (brightline, _), (cedar, _) = ((slug, variants) for slug, _, variants in sellers)
    for slug in (aurora, brightline, cedar):
        _open_payout_account(client, slug, owners[slug], finish_onboarding=slug != cedar)
    _call(client, "PUT", f"/api/v1/sellers/{brightline}/payout-schedule", owners[brightline],
          {"frequency": "daily", "minimum_amount": BRIGHTLINE_MINIMUM_AMOUNT})
    order_ids = [_buy(client, buyer, [(slug, variants[0]) for slug, _, variants in sellers], "demo-order-1"),
                 _buy(client, buyer, [(aurora, aurora_variants[1]), (aurora, aurora_variants[2])], "demo-order-2")]
    run_queued_jobs()  # routing, settlement, and the gateway's events (the sellers' onboarding among them)
    for order_id in order_ids:
        for part in _call(client, "GET", f"/api/v1/orders/{order_id}", buyer)["sellers"]:
            _deliver(client, part["seller"], part["seller_order_id"], owners[part["seller"]])
    run_queued_jobs()
    send_due_transfers(DEMO_HOLD_DAYS)
    run = _call(client, "POST", "/api/v1/operator/payout-runs", operator)
    run_queued_jobs()  # the transfers' events and the payout run
    if _call(client, "GET", f"/api/v1/operator/payout-runs/{run['id']}", operator)["status"] != "finished":
        raise DemoStepFailed(f"the demo's payout run {run['id']} did not finish: a job failed (see the log)")


def _signed_in(client: FlaskClient, email: str, password: str) -> dict[str, str]:
    token = _call(client, "POST", "/api/v1/auth/token", None, {"email": email, "password": password})
    return {"Authorization": f"Bearer {token['access_token']}"}


def _open_payout_account(client: FlaskClient, slug: str, owner: dict[str, str], finish_onboarding: bool) -> None:
    link = _call(client, "POST", f"/api/v1/sellers/{slug}/payout-account", owner, {"country": "PT"})
    if finish_onboarding:
        # The test gateway's hosted onboarding page, which the owner would open from the link.
        _call(client, "POST", urlparse(link["onboarding_url"]).path, None)


def _buy(client: FlaskClient, buyer: dict[str, str], items: Iterable[tuple[str, int]], key: str) -> int:
    """The buyer puts one unit of each (seller, variant) in the cart, checks out and pays; the order's id."""
    for slug, variant_id in items:
        _call(client, "POST", "/api/v1/cart/lines", buyer, {"seller": slug, "variant_id": variant_id, "quantity": 1})
    order = _call(client, "POST", "/api/v1/checkout", {**buyer, "Idempotency-Key": key}, {})
    _call(client, "POST", f"/api/v1/orders/{order['id']}/payment", buyer, {"payment_method": TEST_CARD})
    return order["id"]


def _deliver(client: FlaskClient, slug: str, seller_order_id: int, owner: dict[str, str]) -> None:
    """The seller accepts its part, ships all of it in one parcel, and reports the parcel delivered."""
    order_path = f"/api/v1/sellers/{slug}/orders/{seller_order_id}"
    _call(client, "POST", f"{order_path}/accept", owner)
    lines = [{"line_id": line["id"], "quantity": line["quantity"]}
             for line in _call(client, "GET", order_path, owner)["lines"]]
    shipment = _call(client, "POST", f"{order_path}/shipments", owner,
                     {"carrier": "DHL", "tracking_number": f"DEMO-{slug[:3].upper()}-{seller_order_id}",
                      "lines": lines})
    _call(client, "POST", f"/api/v1/sellers/{slug}/shipments/{shipment['id']}/tracking-events", owner,
          {"status": "delivered"})


def _call(client: FlaskClient, method: str, path: str, headers: dict[str, str] | None,
          body: dict[str, Any] | None = None) -> Any:
    # Each request in an app context of its own, as a server gives it: the caller's context, shared, would keep
    # the first request's `g` (its signed-in principal) for every later one.
    with current_app.app_context():
        response = client.open(path, method=method, headers=headers or {}, json=body)
    if response.status_code // 100 != 2:
        raise DemoStepFailed(f"{method} {path} answered {response.status_code}: {response.get_data(as_text=True)}")
    return response.get_json()
