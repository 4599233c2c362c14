"""A seller `shop` with an owner and one product, `mug`, for the cache tests."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from tests.storefront.support import add_product

@pytest.fixture
def owner(sign_up):
    return sign_up("owner@example.com")


@pytest.fixture
def shop(make_seller, owner):
    return make_seller("shop", {owner.user_id: MemberRole.OWNER})


@pytest.fixture
def mug_id(shop):
    return add_product(shop, "mug", title="Blue Mug")
