"""A seller with a published mug, a buyer who bought it, and a way to see everything reviews can change.

Accounts here get a live bearer token straight from the database: password
hashing is slow on purpose, and these tests are about reviews, not sign-in.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.models import ApiToken, MemberRole, Membership, User
from marketplace.accounts.tokens import new_token, token_digest
from tenants.db import utcnow
from tenants.uow import UnitOfWork
from tests.conftest import SignedIn
from tests.storefront.support import add_product, add_purchase

REVIEWS = "/api/v1/reviews"
PUBLIC_REVIEWS = "/api/v1/products/shop/mug/reviews"


def quick_account(email: str, full_name: str = "Bea Buyer", *, is_operator: bool = False) -> SignedIn:
    """An account and a token valid for an hour, written directly (no password hashing)."""
    token = new_token()
    with UnitOfWork() as uow:
        user = User(email=email, password_hash="not-used", full_name=full_name, is_operator=is_operator)
        uow.session.add(user)
        uow.session.flush()
        uow.session.add(ApiToken(user_id=user.id, token_hash=token_digest(token),
                                 expires_at=utcnow() + timedelta(hours=1)))
        uow.commit()
        return SignedIn(user_id=user.id, email=email, password="", token=token)


@pytest.fixture
def account(app):
    """Make a signed-in account: account(email, full_name="...", is_operator=False)."""
    return quick_account


@pytest.fixture
def buyer(account) -> SignedIn:
    return account("buyer@example.com")


@pytest.fixture
def operator(account) -> SignedIn:
    return account("ops@example.com", "Olga Operator", is_operator=True)


@pytest.fixture
def shop(make_seller):
    return make_seller("shop")


@pytest.fixture
def mug_id(shop):
    return add_product(shop, "mug", title="Blue Mug")


@pytest.fixture
def add_member(shop):
    """Give a signed-in account a role in the shop."""

    def add(signed_in, role: MemberRole = MemberRole.OWNER) -> None:
        with UnitOfWork() as uow:
            uow.session.add(Membership(user_id=signed_in.user_id, tenant_id=shop.id, role=role))
            uow.commit()

    return add


@pytest.fixture
def bought_line(buyer, shop, mug_id):
    """The id of the buyer's order line for the mug."""
    return add_purchase(buyer.user_id, shop, mug_id)


@pytest.fixture
def post_review(client):
    def post(signed_in, order_line_id: int, rating: int = 5, body: str = "Lovely glaze."):
        return client.post(REVIEWS, json={"order_line_id": order_line_id, "rating": rating, "body": body},
                           headers=signed_in.headers)

    return post


@pytest.fixture
def review_id(post_review, buyer, bought_line):
    """A review of the mug by the buyer."""
    return post_review(buyer, bought_line, rating=4).get_json()["id"]


@pytest.fixture
def review_state(row_counts, sql, shop):
    """Platform row counts, the shop's reviews and every copy of the mug's rating."""

    def snapshot():
        schema = shop.schema_name
        return (row_counts(),
                sql(f"SELECT id, rating, body, seller_reply, is_hidden FROM {schema}.reviews ORDER BY id"),
                sql(f"SELECT rating_total, rating_count FROM {schema}.products ORDER BY id"),
                sql("SELECT rating_total, rating_count FROM platform.product_listings ORDER BY product_id"))

    return snapshot
