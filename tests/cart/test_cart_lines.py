"""A buyer's cart: adding, changing, removing lines and emptying it."""
from __future__ import annotations

import pytest

from marketplace.cart import services
from tests.cart.conftest import CartClient
from tests.concurrency import run_together


@pytest.fixture
def aurora(open_seller):
    return open_seller("aurora-ceramics")


def test_a_buyer_adds_a_variant_and_the_cart_shows_it_under_its_seller(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", price_amount=1250, stock=5)

    response = buyer_cart.add(aurora, mug, 2)

    assert response.status_code == 201
    cart = response.get_json()
    assert (cart["currency"], cart["line_count"], cart["subtotal_amount"]) == ("USD", 1, 2500)
    [group] = cart["sellers"]
    assert group["seller"] == {"slug": "aurora-ceramics", "name": "Aurora Ceramics"}
    [line] = group["lines"]
    assert {key: line[key] for key in ("variant_id", "title", "sku", "quantity", "unit_price_amount",
                                       "line_total_amount", "price_changed", "insufficient_stock", "unavailable")} \
        == {"variant_id": mug, "title": "Blue Mug", "sku": "BLUE-MUG-1", "quantity": 2, "unit_price_amount": 1250,
            "line_total_amount": 2500, "price_changed": False, "insufficient_stock": False, "unavailable": False}
    assert "cart_token" not in cart and "X-Cart-Token" not in response.headers
    assert buyer_cart.view() == {**cart}


def test_adding_a_variant_the_cart_holds_adds_to_its_line(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=5)
    buyer_cart.add(aurora, mug, 2)

    buyer_cart.add(aurora, mug, 3)

    [line] = buyer_cart.lines()
    assert line["quantity"] == 5


def test_adding_past_the_stock_with_what_the_line_holds_is_refused(buyer_cart, aurora, row_counts):
    mug = aurora.variant_on_sale("blue-mug", stock=5)
    buyer_cart.add(aurora, mug, 4)
    before = row_counts()

    response = buyer_cart.add(aurora, mug, 2)

    assert response.status_code == 409
    assert response.get_json()["code"] == "insufficient_stock"
    assert response.get_json()["errors"] == {"quantity": ["At most 5 available."]}
    assert row_counts() == before
    assert [line["quantity"] for line in buyer_cart.lines()] == [4]


def test_changing_a_line_sets_its_quantity(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", price_amount=1000, stock=5)
    [line] = buyer_cart.add(aurora, mug, 1).get_json()["sellers"][0]["lines"]

    response = buyer_cart.change(line["id"], 4)

    assert response.status_code == 200
    assert response.get_json()["subtotal_amount"] == 4000
    assert [line["quantity"] for line in buyer_cart.lines()] == [4]


def test_changing_a_line_beyond_the_stock_is_refused(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=5)
    [line] = buyer_cart.add(aurora, mug, 1).get_json()["sellers"][0]["lines"]

    response = buyer_cart.change(line["id"], 6)

    assert (response.status_code, response.get_json()["code"]) == (409, "insufficient_stock")
    assert [line["quantity"] for line in buyer_cart.lines()] == [1]


def test_removing_the_last_line_frees_the_cart_for_another_currency(buyer_cart, aurora, open_seller):
    mug = aurora.variant_on_sale("blue-mug")
    euro_seller = open_seller("brightline-cycles", currency="EUR")
    bell = euro_seller.variant_on_sale("bell")
    [line] = buyer_cart.add(aurora, mug).get_json()["sellers"][0]["lines"]

    assert buyer_cart.remove(line["id"]).status_code == 204

    assert buyer_cart.view()["currency"] is None
    assert buyer_cart.add(euro_seller, bell).status_code == 201
    assert buyer_cart.view()["currency"] == "EUR"


def test_emptying_the_cart_removes_every_line(buyer_cart, aurora):
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"))
    buyer_cart.add(aurora, aurora.variant_on_sale("red-mug"))

    assert buyer_cart.empty().status_code == 204

    cart = buyer_cart.view()
    assert (cart["line_count"], cart["sellers"], cart["currency"], cart["subtotal_amount"]) == (0, [], None, 0)


def test_a_buyer_without_a_cart_sees_an_empty_one(buyer_cart):
    cart = buyer_cart.view()

    assert (cart["line_count"], cart["sellers"], cart["currency"]) == (0, [], None)


def test_another_buyers_line_is_not_found_and_stays(client, buyer_cart, aurora, sign_up):
    [line] = buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"), 2).get_json()["sellers"][0]["lines"]
    intruder = CartClient(client, sign_up("intruder@example.com").headers)
    intruder.add(aurora, aurora.variant_on_sale("red-mug"))

    changed, removed = intruder.change(line["id"], 1), intruder.remove(line["id"])

    assert (changed.status_code, removed.status_code) == (404, 404)
    assert [line["quantity"] for line in buyer_cart.lines()] == [2]


def test_a_line_id_that_does_not_exist_is_not_found(buyer_cart):
    assert buyer_cart.change(123456, 1).status_code == 404
    assert buyer_cart.remove(123456).status_code == 404


@pytest.mark.parametrize("quantity", [1, 0])
def test_a_bad_bearer_token_is_a_401_not_a_guest_cart(client, aurora, row_counts, quantity):
    mug = aurora.variant_on_sale("blue-mug")
    before = row_counts()

    response = client.post("/api/v1/cart/lines", headers={"Authorization": "Bearer not-a-token"},
                           json={"seller": aurora.slug, "variant_id": mug, "quantity": quantity})

    assert response.status_code == 401
    assert row_counts() == before


def test_two_first_adds_at_once_make_one_cart_holding_both(app, buyer, aurora, sql):
    mug = aurora.variant_on_sale("blue-mug", stock=10)
    owner = services.CartOwner(buyer_user_id=buyer.user_id)

    outcomes = run_together(app, *[lambda: services.add_line(owner, aurora.slug, mug, 2)] * 2)

    assert outcomes == ["done", "done"]
    assert sql("SELECT count(*) FROM platform.carts") == [(1,)]
    assert sql("SELECT quantity FROM platform.cart_lines") == [(4,)]


def test_adds_racing_for_the_last_free_line_leave_the_cart_within_its_limit(app, buyer, aurora, monkeypatch, sql):
    monkeypatch.setattr(services, "MAX_CART_LINES", 1)
    mugs = [aurora.variant_on_sale(f"mug-{number}") for number in range(4)]
    owner = services.CartOwner(buyer_user_id=buyer.user_id)

    outcomes = run_together(app, *[lambda mug=mug: services.add_line(owner, aurora.slug, mug, 1) for mug in mugs])

    assert sorted(outcomes) == ["CartLineLimitReached"] * 3 + ["done"]
    assert sql("SELECT count(*) FROM platform.cart_lines") == [(1,)]
