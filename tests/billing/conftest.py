"""Fixtures of the billing tests: checkout's sellers and buyers, paid routed orders, a seller's sale."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from tests.billing.transfer_support import Sale
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures used here
from tests.orders.conftest import member_of, routed_order, seller_member  # noqa: F401 - fixtures used here


@pytest.fixture
def sale(offer, routed_order, member_of):  # noqa: F811 - the fixtures imported above
    """sale(slug="oak", price_amount=1000, offers=()): a paid order of that seller (and of `offers`), its owner.

    Each seller gets its own owner; the Sale is the first seller's part.
    """

    def make(slug: str = "oak", price_amount: int = 1000, quantity: int = 1, others=()) -> tuple[Sale, ...]:
        offers = [offer(slug, price_amount=price_amount), *(offer(other, price_amount=price) for other, price in others)]
        _, order = routed_order(offers, quantity=quantity)
        parts = {part["seller"]: part for part in order["sellers"]}
        return tuple(Sale(order["id"], seller_offer.tenant, parts[seller_offer.tenant.slug]["seller_order_id"],
                          member_of(seller_offer.tenant)) for seller_offer in offers)

    return make


@pytest.fixture
def owner(sign_up):
    """The owner of `acme`, the money tests' seller."""
    return sign_up("owner@acme.test")


@pytest.fixture
def acme(make_seller, owner):
    """A seller whose money the balance, payout and statement tests follow (test_reconcile has its own)."""
    return make_seller("acme", {owner.user_id: MemberRole.OWNER})
