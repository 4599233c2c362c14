"""A guest's cart: made by the first add, found by its token, merged into the buyer's cart at login."""
from __future__ import annotations

import hashlib

import pytest

from marketplace.cart import services
from tests.cart.conftest import CART, LINES, CartClient


@pytest.fixture
def aurora(open_seller):
    return open_seller("aurora-ceramics")


def log_in_with_cart(client, account, cart_token: str | None):
    headers = {"X-Cart-Token": cart_token} if cart_token else {}
    return client.post("/api/v1/auth/token", json={"email": account.email, "password": account.password},
                       headers=headers)


def test_the_first_add_of_a_guest_makes_a_cart_and_hands_its_token_once(client, guest_cart, aurora, sql):
    mug = aurora.variant_on_sale("blue-mug", price_amount=1250)

    response = guest_cart.add(aurora, mug, 2)

    assert response.status_code == 201
    token = response.headers["X-Cart-Token"]
    assert response.get_json()["cart_token"] == token
    assert sql("SELECT token_hash FROM platform.carts") == [(hashlib.sha256(token.encode()).hexdigest(),)]
    again = guest_cart.add(aurora, mug, 1)
    assert "X-Cart-Token" not in again.headers and "cart_token" not in again.get_json()
    assert [line["quantity"] for line in guest_cart.lines()] == [3]


def test_a_guest_without_a_token_sees_an_empty_cart(client):
    response = client.get(CART)

    assert response.status_code == 200
    assert (response.get_json()["line_count"], response.get_json()["sellers"]) == (0, [])


@pytest.mark.parametrize("token", ["x" * 43, "not a token", "a" * 200, ""])
def test_an_unknown_or_malformed_cart_token_is_not_found_and_makes_no_cart(client, aurora, row_counts, token):
    mug = aurora.variant_on_sale("blue-mug")
    before = row_counts()
    headers = {"X-Cart-Token": token}

    responses = [client.get(CART, headers=headers), client.delete(CART, headers=headers),
                 client.post(LINES, headers=headers, json={"seller": aurora.slug, "variant_id": mug, "quantity": 1})]

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert row_counts() == before


def test_a_guest_cannot_touch_a_line_of_another_cart(client, guest_cart, buyer_cart, aurora):
    [line] = buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"), 2).get_json()["sellers"][0]["lines"]
    guest_cart.add(aurora, aurora.variant_on_sale("red-mug"))

    assert guest_cart.change(line["id"], 1).status_code == 404
    assert guest_cart.remove(line["id"]).status_code == 404
    assert client.delete(f"{LINES}/{line['id']}").status_code == 404
    assert [line["quantity"] for line in buyer_cart.lines()] == [2]


def test_login_merges_the_guest_cart_adding_quantities_within_the_stock(client, guest_cart, buyer, buyer_cart,
                                                                       aurora, sql):
    mug, plate = aurora.variant_on_sale("blue-mug", stock=5), aurora.variant_on_sale("plate", stock=10)
    buyer_cart.add(aurora, mug, 4)
    guest_cart.add(aurora, mug, 3)
    guest_cart.add(aurora, plate, 2)

    response = log_in_with_cart(client, buyer, guest_cart.headers["X-Cart-Token"])

    assert response.status_code == 201
    assert response.get_json()["cart_merge"] == {"merged_line_count": 2, "adjusted_lines": [
        {"seller": "aurora-ceramics", "variant_id": mug, "requested_quantity": 3, "merged_quantity": 1,
         "reason": "insufficient_stock"}]}
    assert {line["variant_id"]: line["quantity"] for line in buyer_cart.lines()} == {mug: 5, plate: 2}
    assert sql("SELECT count(*) FROM platform.carts WHERE token_hash IS NOT NULL") == [(0,)]
    assert client.get(CART, headers=guest_cart.headers).status_code == 404


def test_a_retried_login_with_the_same_cart_token_merges_nothing_twice(client, guest_cart, buyer, buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=10)
    guest_cart.add(aurora, mug, 2)
    token = guest_cart.headers["X-Cart-Token"]
    log_in_with_cart(client, buyer, token)

    retried = log_in_with_cart(client, buyer, token)

    assert retried.status_code == 201
    assert retried.get_json()["cart_merge"] is None
    assert [line["quantity"] for line in buyer_cart.lines()] == [2]


def test_guest_lines_in_another_currency_than_the_buyers_cart_stay_out_and_are_reported(
        client, guest_cart, buyer, buyer_cart, aurora, open_seller):
    euro_seller = open_seller("brightline-cycles", currency="EUR")
    bell = euro_seller.variant_on_sale("bell")
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"))
    guest_cart.add(euro_seller, bell, 2)

    response = log_in_with_cart(client, buyer, guest_cart.headers["X-Cart-Token"])

    assert response.status_code == 201
    assert response.get_json()["cart_merge"] == {"merged_line_count": 0, "adjusted_lines": [
        {"seller": "brightline-cycles", "variant_id": bell, "requested_quantity": 2, "merged_quantity": 0,
         "reason": "currency_mismatch"}]}
    assert buyer_cart.view()["currency"] == "USD"
    assert [line["sku"] for line in buyer_cart.lines()] == ["BLUE-MUG-1"]


def test_a_buyer_without_a_cart_takes_the_guest_cart_whole(client, guest_cart, buyer, buyer_cart, open_seller):
    euro_seller = open_seller("brightline-cycles", currency="EUR")
    guest_cart.add(euro_seller, euro_seller.variant_on_sale("bell", price_amount=700), 3)

    response = log_in_with_cart(client, buyer, guest_cart.headers["X-Cart-Token"])

    assert response.get_json()["cart_merge"] == {"merged_line_count": 1, "adjusted_lines": []}
    cart = buyer_cart.view()
    assert (cart["currency"], cart["subtotal_amount"]) == ("EUR", 2100)


def test_a_guest_line_no_longer_on_sale_stays_out_of_the_merge(client, guest_cart, buyer, buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug")
    guest_cart.add(aurora, mug)
    aurora.catalog.call("POST", f"/products/{aurora.product_of(mug)}/unpublish", 200)

    response = log_in_with_cart(client, buyer, guest_cart.headers["X-Cart-Token"])

    assert response.get_json()["cart_merge"]["adjusted_lines"][0]["reason"] == "unavailable"
    assert buyer_cart.lines() == []


def test_a_wrong_password_with_a_cart_token_merges_nothing(client, guest_cart, buyer, buyer_cart, aurora):
    guest_cart.add(aurora, aurora.variant_on_sale("blue-mug"))

    response = client.post("/api/v1/auth/token", json={"email": buyer.email, "password": "wrong password!"},
                           headers={"X-Cart-Token": guest_cart.headers["X-Cart-Token"]})

    assert response.status_code == 401
    assert buyer_cart.lines() == []
    assert len(guest_cart.lines()) == 1


def test_a_login_with_an_unknown_cart_token_still_logs_in(client, buyer):
    response = log_in_with_cart(client, buyer, "x" * 43)

    assert response.status_code == 201
    assert response.get_json()["cart_merge"] is None


def test_a_signed_in_buyer_uses_their_own_cart_whatever_cart_token_is_sent(client, guest_cart, buyer, aurora):
    guest_cart.add(aurora, aurora.variant_on_sale("blue-mug"))
    signed_in = CartClient(client, {**buyer.headers, "X-Cart-Token": guest_cart.headers["X-Cart-Token"]})

    assert signed_in.view()["line_count"] == 0


def test_guest_lines_past_the_buyers_line_limit_stay_out_and_are_reported(client, guest_cart, buyer, buyer_cart,
                                                                          aurora, monkeypatch):
    monkeypatch.setattr(services, "MAX_CART_LINES", 2)
    mug, plate, bowl = (aurora.variant_on_sale(slug) for slug in ("blue-mug", "plate", "bowl"))
    buyer_cart.add(aurora, mug)
    guest_cart.add(aurora, plate)
    guest_cart.add(aurora, bowl)

    response = log_in_with_cart(client, buyer, guest_cart.headers["X-Cart-Token"])

    assert response.get_json()["cart_merge"] == {"merged_line_count": 1, "adjusted_lines": [
        {"seller": "aurora-ceramics", "variant_id": bowl, "requested_quantity": 1, "merged_quantity": 0,
         "reason": "cart_line_limit_reached"}]}
    assert sorted(line["variant_id"] for line in buyer_cart.lines()) == [mug, plate]
