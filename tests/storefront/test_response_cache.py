"""Whole responses of the public reads come from Redis, go stale with their data, and never hold a refusal."""
from __future__ import annotations

import pytest

from marketplace.core.extensions import redis_client
from tests.storefront.support import DETAIL, LISTING, PROFILE, add_purchase


def response_keys() -> set[str]:
    return {key.decode() for key in redis_client.client.keys("cache:*:response:*")}


def forget_values_behind_responses() -> None:
    """Drop the services' cached values, so that a read can only be served by a stored response."""
    for key in redis_client.client.keys("cache:*"):
        if b":response:" not in key and not key.endswith(b":generation"):
            redis_client.client.delete(key)


def test_a_hit_returns_the_stored_body_and_pagination_header(client, sql, shop, mug_id):
    first = client.get(LISTING + "?page_size=5&sort=newest")
    sql("UPDATE platform.product_listings SET title = 'Changed behind the back'")
    forget_values_behind_responses()

    again = client.get(LISTING + "?sort=newest&page_size=5")

    assert again.get_json()[0]["title"] == "Blue Mug"
    assert again.data == first.data
    assert again.headers["X-Pagination"] == first.headers["X-Pagination"]
    assert again.headers["Content-Type"] == "application/json"
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_detail_and_profile_hits_return_the_stored_body(client, sql, shop, mug_id):
    first_detail, first_profile = client.get(DETAIL), client.get(PROFILE)
    sql(f"UPDATE {shop.schema_name}.products SET title = 'Changed behind the back'")
    sql("UPDATE platform.product_listings SET title = 'Changed behind the back'")
    forget_values_behind_responses()

    detail, profile = client.get(DETAIL), client.get(PROFILE)

    assert [detail.data, profile.data] == [first_detail.data, first_profile.data]
    assert detail.get_json()["title"] == "Blue Mug"


def test_response_keys_carry_the_tenant_or_the_market(client, shop, mug_id):
    client.get(LISTING), client.get(DETAIL), client.get(PROFILE)

    keys = response_keys()

    assert sum(key.startswith("cache:market:response:") for key in keys) == 1
    assert sum(key.startswith(f"cache:tenant:{shop.id}:response:") for key in keys) == 2


def test_a_product_change_is_visible_through_stored_responses(client, owner, shop, mug_id):
    client.get(LISTING), client.get(DETAIL), client.get(PROFILE)

    client.patch(f"/api/v1/sellers/shop/products/{mug_id}", json={"title": "Sea Mug"}, headers=owner.headers)

    assert client.get(LISTING).get_json()[0]["title"] == "Sea Mug"
    assert client.get(DETAIL).get_json()["title"] == "Sea Mug"
    assert client.get(PROFILE).get_json()["products"][0]["title"] == "Sea Mug"


def test_a_suspension_is_visible_through_stored_responses(client, operator, shop, mug_id):
    client.get(LISTING), client.get(DETAIL), client.get(PROFILE)

    client.post("/api/v1/operator/tenants/shop/suspend", json={"reason": "Unpaid invoices"}, headers=operator.headers)

    assert client.get(LISTING).get_json() == []
    assert client.get(DETAIL).status_code == 404
    assert client.get(PROFILE).status_code == 404


def test_a_new_review_is_visible_through_stored_responses(client, buyer, shop, mug_id):
    line_id = add_purchase(buyer.user_id, shop, mug_id)
    client.get(LISTING), client.get(DETAIL), client.get(PROFILE)

    client.post("/api/v1/reviews", json={"order_line_id": line_id, "rating": 4, "body": "Nice."},
                headers=buyer.headers)

    assert client.get(LISTING).get_json()[0]["rating"] == {"average": 4.0, "count": 1}
    assert client.get(DETAIL).get_json()["rating"] == {"average": 4.0, "count": 1}
    assert client.get(PROFILE).get_json()["rating"] == {"average": 4.0, "count": 1}


@pytest.mark.parametrize("path", [
    LISTING + "?page_size=0",
    LISTING + "?sort=cheapest",
    LISTING + "?min_price=5&max_price=1",
    LISTING + "?colour=blue",
    LISTING + "?category_id=999",
    DETAIL + "?preview=1",
    PROFILE + "?tab=reviews",
])
def test_bad_input_is_refused_every_time_and_never_stored(client, shop, mug_id, path):
    responses = [client.get(path), client.get(path)]

    assert [response.status_code for response in responses] == [422, 422]
    assert response_keys() == set()


def test_unknown_sellers_and_products_are_never_stored(client, shop, mug_id):
    statuses = [client.get(path).status_code for path in
                ("/api/v1/products/shop/cup", "/api/v1/products/nobody/mug", "/api/v1/sellers/nobody")]

    assert statuses == [404, 404, 404]
    assert response_keys() == set()


def test_reordered_parameters_share_a_stored_response_but_repeated_ones_keep_their_order(client, shop, mug_id):
    client.get(LISTING + "?page_size=5&sort=newest")
    client.get(LISTING + "?sort=newest&page_size=5")
    client.get(LISTING + "?seller=shop&seller=nobody")
    client.get(LISTING + "?seller=nobody&seller=shop")

    assert len(response_keys()) == 3
