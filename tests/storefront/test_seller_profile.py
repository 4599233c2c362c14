"""A seller's public profile: storefront settings, rating over its products, and its newest products."""
from __future__ import annotations

import pytest

from marketplace.catalog.models import ProductStatus
from tests.storefront.support import add_product, set_storefront


def test_the_profile_shows_the_storefront_settings(client, make_seller):
    shop = make_seller("aurora")
    set_storefront(shop, display_name="Aurora Ceramics", description="Mugs from Porto.",
                   logo_url="https://img.example/logo.png", banner_url="https://img.example/banner.png",
                   shipping_policy="Ships in 2 days.", returns_policy="30 days.", support_email="help@aurora.example")

    response = client.get("/api/v1/sellers/aurora")

    assert response.status_code == 200
    profile = response.get_json()
    assert profile["slug"] == "aurora"
    assert profile["display_name"] == "Aurora Ceramics"
    assert profile["description"] == "Mugs from Porto."
    assert (profile["logo_url"], profile["banner_url"]) == ("https://img.example/logo.png",
                                                            "https://img.example/banner.png")
    assert profile["policies"] == {"shipping": "Ships in 2 days.", "returns": "30 days."}
    assert profile["support_email"] == "help@aurora.example"


def test_a_seller_without_settings_shows_its_registered_name(client, make_seller):
    make_seller("plain-shop")

    profile = client.get("/api/v1/sellers/plain-shop").get_json()

    assert profile["display_name"] == "Plain Shop"
    assert profile["policies"] == {"shipping": "", "returns": ""}


def test_the_profile_lists_published_products_newest_first(client, make_seller):
    shop = make_seller("shop")
    add_product(shop, "older", published_minutes=1)
    add_product(shop, "newer", published_minutes=2)
    add_product(shop, "draft", status=ProductStatus.DRAFT)
    add_product(make_seller("other"), "someone-elses")

    profile = client.get("/api/v1/sellers/shop").get_json()

    assert [product["slug"] for product in profile["products"]] == ["newer", "older"]
    assert profile["product_count"] == 2


def test_the_seller_rating_adds_up_every_product(client, make_seller, sql):
    shop = make_seller("shop")
    first, second = add_product(shop, "first"), add_product(shop, "second")
    sql("UPDATE platform.product_listings SET rating_total = 10, rating_count = 2 WHERE product_id = :id", id=first)
    sql("UPDATE platform.product_listings SET rating_total = 3, rating_count = 1 WHERE product_id = :id", id=second)

    profile = client.get("/api/v1/sellers/shop").get_json()

    assert profile["rating"] == {"average": 4.33, "count": 3}


@pytest.mark.parametrize("status", ["suspended", "closed", "pending"])
def test_a_seller_who_is_not_active_has_no_public_profile(client, make_seller, sql, status):
    shop = make_seller("shop")
    sql("UPDATE platform.tenants SET status = :status WHERE id = :id", status=status, id=shop.id)

    response = client.get("/api/v1/sellers/shop")

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_an_unknown_seller_has_no_profile(client):
    response = client.get("/api/v1/sellers/nobody")

    assert response.status_code == 404


def test_unknown_query_parameters_are_refused(client, make_seller):
    make_seller("shop")

    response = client.get("/api/v1/sellers/shop", query_string={"page": "2"})

    assert response.status_code == 422
    assert "page" in response.get_json()["errors"]


@pytest.mark.parametrize("slug", ["nobody", "shop"])
def test_every_public_read_of_a_seller_buyers_cannot_see_says_the_same_not_found(client, make_seller, sql, slug):
    shop = make_seller("shop")
    add_product(shop, "mug")
    sql("UPDATE platform.tenants SET status = 'suspended' WHERE id = :id", id=shop.id)

    responses = [client.get(path) for path in (
        f"/api/v1/sellers/{slug}", f"/api/v1/products/{slug}/mug/reviews",
        f"/api/v1/sellers/{slug}/search?q=mug", f"/api/v1/search/suggest?q=mu&seller={slug}")]

    assert [(response.status_code, response.get_json()) for response in responses] == \
        [(404, {"code": "not_found", "message": "There is no seller with this slug."})] * 4
