"""Product detail: what a buyer sees of one product, and a 404 for anything not for sale."""
from __future__ import annotations

import pytest

from marketplace.catalog.models import ProductStatus
from tests.storefront.support import Sku, add_category, add_product


def detail_path(seller: str, product: str) -> str:
    return f"/api/v1/products/{seller}/{product}"


def test_a_product_page_shows_variants_images_category_path_and_seller(client, make_seller):
    shop = make_seller("aurora")
    home = add_category("Home")
    mugs = add_category("Mugs", parent_id=home)
    add_product(
        shop, "sea-mug", title="Sea Mug", description="Glazed by hand.", category_id=mugs,
        attributes={"material": "stoneware"}, image_urls=("https://img.example/1.jpg", "https://img.example/2.jpg"),
        skus=(Sku("SEA-S", 2400, stock_on_hand=0, options=(("size", "S"),)),
              Sku("SEA-L", 2900, stock_on_hand=7, compare_at_amount=3500, options=(("size", "L"),))),
    )

    response = client.get(detail_path("aurora", "sea-mug"))

    assert response.status_code == 200
    product = response.get_json()
    assert product["seller"] == {"slug": "aurora", "name": "Aurora"}
    assert (product["title"], product["description"], product["attributes"]) == \
        ("Sea Mug", "Glazed by hand.", {"material": "stoneware"})
    assert [image["url"] for image in product["images"]] == ["https://img.example/1.jpg", "https://img.example/2.jpg"]
    assert all(isinstance(variant.pop("id"), int) for variant in product["variants"])
    assert product["variants"] == [
        {"sku": "SEA-S", "options": {"size": "S"}, "price_amount": 2400, "compare_at_amount": None,
         "currency": "USD", "in_stock": False},
        {"sku": "SEA-L", "options": {"size": "L"}, "price_amount": 2900, "compare_at_amount": 3500,
         "currency": "USD", "in_stock": True},
    ]
    assert [category["slug"] for category in product["category_path"]] == ["home", "mugs"]
    assert product["rating"] == {"average": None, "count": 0}


def test_a_product_page_never_reveals_the_exact_stock(client, make_seller):
    add_product(make_seller("shop"), "mug", skus=(Sku("MUG", 1000, stock_on_hand=3),))

    response = client.get(detail_path("shop", "mug"))

    assert "stock_on_hand" not in response.get_data(as_text=True)
    assert response.get_json()["variants"][0]["in_stock"] is True


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_a_draft_or_archived_product_is_not_found(client, make_seller, status):
    add_product(make_seller("shop"), "hidden", status=status)

    response = client.get(detail_path("shop", "hidden"))

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


@pytest.mark.parametrize("status", ["suspended", "closed", "pending"])
def test_a_product_of_a_seller_who_is_not_active_is_not_found(client, make_seller, sql, status):
    shop = make_seller("shop")
    add_product(shop, "mug")
    sql("UPDATE platform.tenants SET status = :status WHERE id = :id", status=status, id=shop.id)

    response = client.get(detail_path("shop", "mug"))

    assert response.status_code == 404


@pytest.mark.parametrize("seller, product", [
    ("shop", "no-such-product"), ("no-such-seller", "mug"), ("Not_A_Slug", "mug"), ("shop", "x" * 500),
])
def test_an_unknown_product_or_seller_is_not_found(client, make_seller, seller, product):
    add_product(make_seller("shop"), "mug")

    response = client.get(detail_path(seller, product))

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_a_product_slug_names_a_product_of_that_seller_only(client, make_seller):
    add_product(make_seller("north"), "north-only")
    make_seller("south")

    response = client.get(detail_path("south", "north-only"))

    assert response.status_code == 404


def test_unknown_query_parameters_are_refused(client, make_seller):
    add_product(make_seller("shop"), "mug")

    response = client.get(detail_path("shop", "mug"), query_string={"debug": "1"})

    assert response.status_code == 422
    assert "debug" in response.get_json()["errors"]
