"""Fixtures of the seller order tests: checkout's sellers and buyers, and a paid, routed order."""
from __future__ import annotations

import pytest

from tests.checkout.conftest import check_out, offer, pay, put_in_cart, shopper  # noqa: F401 - fixtures used here
from tests.workers.support import run_jobs


@pytest.fixture
def routed_order(app, client, offer, shopper):  # noqa: F811 - the fixtures imported above
    """routed_order([offer, ...], quantity=1): a buyer's paid order of those offers, routed; (buyer, order view)."""

    def make(offers, quantity: int = 1):
        buyer = shopper()
        for seller_offer in offers:
            put_in_cart(app, buyer, seller_offer, quantity)
        order = check_out(client, buyer).get_json()
        assert pay(client, buyer, order["id"]).status_code == 200
        run_jobs(app)
        return buyer, client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()

    return make
