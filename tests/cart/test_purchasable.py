"""What a cart refuses: variants that cannot be bought, bad quantities, another currency, too many lines.

Each refusal is one clear error and changes nothing.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from marketplace.cart import services
from tests.cart.conftest import LINES
from tests.shard_support import tenant_sql


@pytest.fixture
def aurora(open_seller):
    return open_seller("aurora-ceramics")


@contextmanager
def changing_nothing(row_counts):
    """Asserts that what runs within changes no platform table's row count."""
    before = row_counts()
    yield
    assert row_counts() == before


def refusal(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["code"]


def test_a_variant_of_an_unpublished_product_is_not_purchasable(buyer_cart, aurora, row_counts):
    mug = aurora.variant_on_sale("blue-mug")
    aurora.catalog.call("POST", f"/products/{aurora.product_of(mug)}/unpublish", 200)
    before = row_counts()

    response = buyer_cart.add(aurora, mug)

    assert refusal(response) == (409, "not_purchasable")
    assert response.get_json()["message"] == "This product is not on sale."
    assert row_counts() == before


@pytest.mark.parametrize("action", ["suspend", "close"])
def test_a_variant_of_a_seller_not_active_is_not_purchasable(client, operator, buyer_cart, aurora, row_counts,
                                                             action):
    mug = aurora.variant_on_sale("blue-mug")
    transition = client.post(f"/api/v1/operator/tenants/{aurora.slug}/{action}", json={"reason": "Review"},
                             headers=operator.headers)
    assert transition.status_code == 200, transition.get_json()
    before = row_counts()

    response = buyer_cart.add(aurora, mug)

    assert refusal(response) == (409, "not_purchasable")
    assert response.get_json()["message"] == "This seller is not selling at the moment."
    assert row_counts() == before


def test_more_than_the_stock_available_is_refused_naming_what_is_available(buyer_cart, aurora, row_counts):
    mug = aurora.variant_on_sale("blue-mug", stock=3)
    before = row_counts()

    response = buyer_cart.add(aurora, mug, 4)

    assert refusal(response) == (409, "insufficient_stock")
    assert response.get_json()["errors"] == {"quantity": ["At most 3 available."]}
    assert row_counts() == before


def test_stock_reserved_by_checkouts_is_not_available(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=3)
    tenant_sql(aurora.tenant, "UPDATE variants SET stock_reserved = 2")

    assert refusal(buyer_cart.add(aurora, mug, 2)) == (409, "insufficient_stock")
    assert buyer_cart.add(aurora, mug, 1).status_code == 201


def test_a_line_in_another_currency_than_the_cart_is_refused(buyer_cart, aurora, open_seller, row_counts):
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"))
    euro_seller = open_seller("brightline-cycles", currency="EUR")
    bell = euro_seller.variant_on_sale("bell")
    before = row_counts()

    response = buyer_cart.add(euro_seller, bell)

    assert refusal(response) == (409, "currency_mismatch")
    assert row_counts() == before
    assert buyer_cart.view()["currency"] == "USD"


@pytest.mark.parametrize("quantity", [0, -1, 1000, 10**30, 1.5, "2", None, True])
def test_a_quantity_that_is_not_1_to_999_is_a_422(buyer_cart, aurora, row_counts, quantity):
    mug = aurora.variant_on_sale("blue-mug")

    with changing_nothing(row_counts):
        response = buyer_cart.add(aurora, mug, quantity)

    assert refusal(response) == (422, "validation_error")
    assert "quantity" in response.get_json()["errors"]


@pytest.mark.parametrize("quantity", [0, -5, 1000, 2.5])
def test_changing_a_line_to_a_quantity_that_is_not_1_to_999_is_a_422(buyer_cart, aurora, quantity):
    [line] = buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug")).get_json()["sellers"][0]["lines"]

    response = buyer_cart.change(line["id"], quantity)

    assert refusal(response) == (422, "validation_error")
    assert [line["quantity"] for line in buyer_cart.lines()] == [1]


def test_adding_past_999_to_a_line_is_a_422(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=2000)
    buyer_cart.add(aurora, mug, 999)

    response = buyer_cart.add(aurora, mug, 1)

    assert refusal(response) == (422, "validation_error")
    assert [line["quantity"] for line in buyer_cart.lines()] == [999]


def test_an_unknown_seller_is_a_404(buyer_cart, row_counts):
    with changing_nothing(row_counts):
        assert refusal(buyer_cart.add("no-such-seller", 1)) == (404, "not_found")


def test_an_unknown_variant_is_a_404(buyer_cart, aurora, row_counts):
    with changing_nothing(row_counts):
        assert refusal(buyer_cart.add(aurora, 987654)) == (404, "not_found")


def test_a_variant_of_another_seller_is_a_404(buyer_cart, aurora, open_seller, row_counts):
    other_sellers_variant = open_seller("cedar-and-wick").variant_on_sale("candle")

    with changing_nothing(row_counts):
        response = buyer_cart.add(aurora, other_sellers_variant)

    # Variant ids count per seller: aurora has none, so the other seller's id names nothing of aurora's.
    assert refusal(response) == (404, "not_found")


def test_a_guest_refused_makes_no_cart(guest_cart, aurora, row_counts):
    mug = aurora.variant_on_sale("blue-mug")

    with changing_nothing(row_counts):
        assert refusal(guest_cart.add(aurora, mug, 50)) == (409, "insufficient_stock")
    assert "X-Cart-Token" not in guest_cart.headers


def test_a_cart_holds_a_limited_number_of_lines(buyer_cart, aurora, monkeypatch, row_counts):
    monkeypatch.setattr(services, "MAX_CART_LINES", 2)
    mugs = [aurora.variant_on_sale(f"mug-{number}") for number in range(3)]
    buyer_cart.add(aurora, mugs[0])
    buyer_cart.add(aurora, mugs[1])
    before = row_counts()

    response = buyer_cart.add(aurora, mugs[2])

    assert refusal(response) == (409, "cart_line_limit_reached")
    assert row_counts() == before
    assert buyer_cart.add(aurora, mugs[0]).status_code == 201  # a line it holds still grows


@pytest.mark.parametrize("body", [
    {"variant_id": 1, "quantity": 1},
    {"seller": "Not A Slug!", "variant_id": 1, "quantity": 1},
    {"seller": "acme", "variant_id": 0, "quantity": 1},
    {"seller": "acme", "variant_id": 2**63, "quantity": 1},
    {"seller": "acme", "variant_id": "1", "quantity": 1},
])
def test_a_malformed_line_is_a_422(client, buyer, row_counts, body):
    with changing_nothing(row_counts):
        response = client.post(LINES, json=body, headers=buyer.headers)

    assert refusal(response) == (422, "validation_error")
