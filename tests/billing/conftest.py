"""Fixtures of the billing tests: checkout's sellers and buyers and a paid, routed order (tests/orders)."""
from __future__ import annotations

from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order, seller_member  # noqa: F401 - fixtures used here
