"""Buyers review what was delivered to them, once per order line; ratings follow; buyers read visible reviews."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.reviews import services
from marketplace.search import get_search_backend
from tests.reviews.conftest import PUBLIC_REVIEWS, REVIEWS
from tests.storefront.support import add_product, add_purchase
from tests.workers.support import run_jobs


def test_a_buyer_reviews_a_product_they_bought(client, buyer, bought_line, post_review):
    response = post_review(buyer, bought_line, rating=4, body="  Lovely glaze.  ")

    assert response.status_code == 201
    review = response.get_json()
    assert (review["seller_slug"], review["product_slug"], review["product_title"]) == ("shop", "mug", "Blue Mug")
    assert (review["rating"], review["body"], review["order_line_id"]) == (4, "Lovely glaze.", bought_line)
    assert (review["seller_reply"], review["is_hidden"]) == (None, False)


def test_a_review_updates_the_products_rating_everywhere_buyers_look(client, buyer, account, shop, mug_id,
                                                                     bought_line, post_review):
    other_buyer = account("other@example.com")
    post_review(buyer, bought_line, rating=5)

    post_review(other_buyer, add_purchase(other_buyer.user_id, shop, mug_id), rating=4)

    expected = {"average": 4.5, "count": 2}
    assert client.get("/api/v1/products/shop/mug").get_json()["rating"] == expected
    assert client.get("/api/v1/products").get_json()[0]["rating"] == expected
    assert client.get("/api/v1/sellers/shop").get_json()["rating"] == expected


def test_an_average_on_a_half_hundredth_reads_the_same_everywhere_rounded_half_up(app, client, account, shop,
                                                                                   mug_id, post_review):
    # 29 stars over 8 reviews: 3.625 exactly, which binary rounding to the even digit shows as 3.62.
    for number, stars in enumerate((5, 5, 5, 4, 3, 3, 2, 2)):
        reviewer = account(f"reviewer{number}@example.com")
        post_review(reviewer, add_purchase(reviewer.user_id, shop, mug_id), rating=stars)

    run_jobs(app)
    with app.app_context():
        get_search_backend().refresh()  # an OpenSearch backend shows new documents only after a refresh

    expected = {"average": 3.63, "count": 8}
    assert client.get("/api/v1/products/shop/mug").get_json()["rating"] == expected
    assert client.get("/api/v1/products").get_json()[0]["rating"] == expected
    assert client.get("/api/v1/sellers/shop").get_json()["rating"] == expected
    found = client.get("/api/v1/search", query_string={"q": "mug"}).get_json()["items"]
    assert [(item["rating"], item["rating_count"]) for item in found] == [(3.63, 8)]


def test_a_second_review_of_one_order_line_is_a_conflict(buyer, bought_line, post_review, review_state):
    post_review(buyer, bought_line, rating=5)
    before = review_state()

    response = post_review(buyer, bought_line, rating=1, body="Changed my mind.")

    assert response.status_code == 409
    assert response.get_json()["code"] == "already_reviewed"
    assert review_state() == before


def test_each_purchase_of_a_product_may_be_reviewed(buyer, shop, mug_id, bought_line, post_review):
    second_line = add_purchase(buyer.user_id, shop, mug_id)
    post_review(buyer, bought_line, rating=5)

    response = post_review(buyer, second_line, rating=3)

    assert response.status_code == 201


@pytest.mark.parametrize("seller_order_status", ["pending", "awaiting_acceptance", "accepted", "shipped",
                                                  "rejected", "cancelled"])
def test_an_order_line_not_delivered_cannot_be_reviewed(buyer, shop, mug_id, post_review, review_state,
                                                        seller_order_status):
    line_id = add_purchase(buyer.user_id, shop, mug_id, seller_order_status=seller_order_status)
    before = review_state()

    response = post_review(buyer, line_id)

    assert response.status_code == 422
    assert "delivered" in response.get_json()["errors"]["order_line_id"][0]
    assert review_state() == before


def test_an_order_line_of_a_completed_order_may_be_reviewed(buyer, shop, mug_id, post_review):
    line_id = add_purchase(buyer.user_id, shop, mug_id, seller_order_status="completed")

    assert post_review(buyer, line_id).status_code == 201


def test_an_order_line_that_does_not_exist_cannot_be_reviewed(buyer, bought_line, post_review, review_state):
    before = review_state()

    response = post_review(buyer, bought_line + 1000)

    assert response.status_code == 422
    assert "order_line_id" in response.get_json()["errors"]
    assert review_state() == before


def test_another_buyers_order_line_cannot_be_reviewed(account, bought_line, post_review, review_state):
    stranger = account("stranger@example.com")
    before = review_state()

    response = post_review(stranger, bought_line)

    assert response.status_code == 403
    assert review_state() == before


def test_reviewing_needs_a_signed_in_buyer(client, bought_line, review_state):
    before = review_state()

    response = client.post(REVIEWS, json={"order_line_id": bought_line, "rating": 5, "body": ""})

    assert response.status_code == 401
    assert review_state() == before


def test_buyers_read_a_products_reviews_newest_first_with_the_authors_first_name(client, account, shop, mug_id,
                                                                                post_review):
    for email, name, rating in (("ada@example.com", "Ada Lovelace", 5), ("alan@example.com", "Alan Turing", 3)):
        reviewer = account(email, name)
        post_review(reviewer, add_purchase(reviewer.user_id, shop, mug_id), rating=rating)

    response = client.get(PUBLIC_REVIEWS)

    assert response.status_code == 200
    assert [(review["author_name"], review["rating"]) for review in response.get_json()] == \
        [("Alan T.", 3), ("Ada L.", 5)]
    assert "alan@example.com" not in response.get_data(as_text=True)


def test_product_reviews_are_paginated(client, buyer, shop, mug_id, post_review):
    for rating in (1, 2, 3):
        post_review(buyer, add_purchase(buyer.user_id, shop, mug_id), rating=rating)

    response = client.get(PUBLIC_REVIEWS, query_string={"page": 2, "page_size": 2})

    assert [review["rating"] for review in response.get_json()] == [1]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


def test_reviews_of_a_product_buyers_cannot_see_are_not_found(client, operator, shop, review_id):
    add_product(shop, "draft-mug", status=ProductStatus.DRAFT)

    draft = client.get("/api/v1/products/shop/draft-mug/reviews")
    unknown_seller = client.get("/api/v1/products/other/mug/reviews")
    client.post("/api/v1/operator/tenants/shop/suspend", json={"reason": "Checks"}, headers=operator.headers)
    suspended = client.get(PUBLIC_REVIEWS)

    assert [draft.status_code, unknown_seller.status_code, suspended.status_code] == [404, 404, 404]


def test_concurrent_reviews_of_one_product_are_all_counted(app, account, shop, mug_id, sql):
    reviewers = [account(f"reviewer{index}@example.com") for index in range(8)]
    lines = [(reviewer.user_id, add_purchase(reviewer.user_id, shop, mug_id)) for reviewer in reviewers]

    def review(buyer_and_line):
        with app.app_context():
            services.create_review(*buyer_and_line, rating=4, body="")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(review, lines))

    assert sql(f"SELECT rating_total, rating_count FROM {shop.schema_name}.products")[0] == (32, 8)
    assert sql("SELECT rating_total, rating_count FROM platform.product_listings")[0] == (32, 8)
