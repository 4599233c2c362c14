"""The marketplace listing: only published products of active sellers, filtered, sorted and paginated."""
from __future__ import annotations

import json

import pytest

from marketplace.catalog.models import ProductStatus
from tests.storefront.support import Sku, add_category, add_product, slugs

LISTING = "/api/v1/products"


def test_buyers_see_published_products_of_active_sellers_only(client, make_seller, sql):
    shop = make_seller("shop")
    add_product(shop, "on-sale")
    add_product(shop, "in-draft", status=ProductStatus.DRAFT)
    add_product(shop, "archived", status=ProductStatus.ARCHIVED)
    for status in ("suspended", "closed", "pending"):
        hidden_seller = make_seller(f"{status}-shop")
        add_product(hidden_seller, f"from-{status}")
        sql("UPDATE platform.tenants SET status = :status WHERE id = :id", status=status, id=hidden_seller.id)

    response = client.get(LISTING)

    assert response.status_code == 200
    assert slugs(response) == ["on-sale"]


def test_a_listed_product_shows_its_seller_price_range_stock_and_rating(client, make_seller, sql):
    shop = make_seller("shop")
    product_id = add_product(shop, "mug", skus=(Sku("mug-s", 1200, stock_on_hand=0), Sku("mug-l", 1800)),
                             image_urls=("https://img.example/mug.jpg",))
    sql("UPDATE platform.product_listings SET rating_total = 9, rating_count = 2 WHERE product_id = :id",
        id=product_id)

    item = client.get(LISTING).get_json()[0]

    assert item["seller"] == {"slug": "shop", "name": "Shop"}
    assert (item["min_price_amount"], item["max_price_amount"], item["currency"]) == (1200, 1800, "USD")
    assert item["in_stock"] is True
    assert item["image_url"] == "https://img.example/mug.jpg"
    assert item["rating"] == {"average": 4.5, "count": 2}


def test_newest_products_come_first_by_default(client, make_seller):
    shop = make_seller("shop")
    add_product(shop, "old", published_minutes=1)
    add_product(shop, "newest", published_minutes=3)
    add_product(shop, "middle", published_minutes=2)

    response = client.get(LISTING)

    assert slugs(response) == ["newest", "middle", "old"]


@pytest.mark.parametrize("sort, expected", [
    ("price_asc", ["cheap", "middle", "dear"]),
    ("price_desc", ["dear", "middle", "cheap"]),
    ("newest", ["middle", "dear", "cheap"]),
])
def test_products_sort_by_price_or_newness(client, make_seller, sort, expected):
    shop = make_seller("shop")
    add_product(shop, "cheap", skus=(Sku("c", 500),), published_minutes=1)
    add_product(shop, "dear", skus=(Sku("d", 9000),), published_minutes=2)
    add_product(shop, "middle", skus=(Sku("m", 2000),), published_minutes=3)

    response = client.get(LISTING, query_string={"sort": sort})

    assert slugs(response) == expected


def test_a_category_filter_includes_every_category_below_it(client, make_seller):
    shop = make_seller("shop")
    kitchen = add_category("Kitchen")
    mugs = add_category("Mugs", parent_id=kitchen)
    espresso_cups = add_category("Espresso cups", parent_id=mugs)
    garden = add_category("Garden")
    add_product(shop, "pan", category_id=kitchen, published_minutes=1)
    add_product(shop, "mug", category_id=mugs, published_minutes=2)
    add_product(shop, "cup", category_id=espresso_cups, published_minutes=3)
    add_product(shop, "spade", category_id=garden)
    add_product(shop, "uncategorised")

    whole_kitchen = client.get(LISTING, query_string={"category_id": kitchen})
    only_mugs = client.get(LISTING, query_string={"category_id": mugs})

    assert slugs(whole_kitchen) == ["cup", "mug", "pan"]
    assert slugs(only_mugs) == ["cup", "mug"]


def test_a_seller_filter_lists_that_sellers_products(client, make_seller):
    add_product(make_seller("north"), "north-mug")
    add_product(make_seller("south"), "south-mug")

    response = client.get(LISTING, query_string={"seller": "south"})

    assert slugs(response) == ["south-mug"]


def test_an_unknown_or_hidden_seller_filter_lists_nothing(client, make_seller, sql):
    suspended = make_seller("sleepy")
    add_product(suspended, "sleepy-mug")
    sql("UPDATE platform.tenants SET status = 'suspended' WHERE id = :id", id=suspended.id)

    unknown = client.get(LISTING, query_string={"seller": "nobody"})
    hidden = client.get(LISTING, query_string={"seller": "sleepy"})

    assert (unknown.status_code, unknown.get_json()) == (200, [])
    assert (hidden.status_code, hidden.get_json()) == (200, [])


def test_a_price_range_bounds_the_from_price_inclusively(client, make_seller):
    shop = make_seller("shop")
    add_product(shop, "cheap", skus=(Sku("c", 500),))
    add_product(shop, "low-edge", skus=(Sku("l", 1000), Sku("l2", 9000)))
    add_product(shop, "high-edge", skus=(Sku("h", 2000),))
    add_product(shop, "dear", skus=(Sku("d", 2001),))

    response = client.get(LISTING, query_string={"min_price": 1000, "max_price": 2000, "sort": "price_asc"})

    assert slugs(response) == ["low-edge", "high-edge"]


def test_in_stock_filter_keeps_products_with_a_variant_to_sell(client, make_seller):
    shop = make_seller("shop")
    add_product(shop, "sold-out", skus=(Sku("s", 500, stock_on_hand=0),))
    add_product(shop, "partly", skus=(Sku("p1", 500, stock_on_hand=0), Sku("p2", 600, stock_on_hand=2)))

    available = client.get(LISTING, query_string={"in_stock": "true"})
    sold_out = client.get(LISTING, query_string={"in_stock": "false"})

    assert slugs(available) == ["partly"]
    assert slugs(sold_out) == ["sold-out"]


def test_a_currency_filter_compares_like_with_like(client, make_seller, sql):
    dollars = make_seller("dollars")
    euros = make_seller("euros")
    sql("UPDATE platform.tenants SET currency = 'EUR' WHERE id = :id", id=euros.id)
    add_product(dollars, "in-dollars")
    add_product(euros, "in-euros")
    sql("UPDATE platform.product_listings SET currency = 'EUR' WHERE tenant_id = :id", id=euros.id)

    response = client.get(LISTING, query_string={"currency": "EUR"})

    assert slugs(response) == ["in-euros"]


def test_filters_combine(client, make_seller):
    north, south = make_seller("north"), make_seller("south")
    mugs = add_category("Mugs")
    add_product(north, "north-cheap-mug", skus=(Sku("n1", 900),), category_id=mugs)
    add_product(north, "north-dear-mug", skus=(Sku("n2", 5000),), category_id=mugs)
    add_product(north, "north-cheap-pan", skus=(Sku("n3", 900),))
    add_product(south, "south-cheap-mug", skus=(Sku("s1", 900),), category_id=mugs)

    response = client.get(LISTING, query_string={"seller": "north", "category_id": mugs, "max_price": 1000})

    assert slugs(response) == ["north-cheap-mug"]


def test_pages_cover_every_product_once_and_report_the_total(client, make_seller):
    shop = make_seller("shop")
    for minute in range(7):
        add_product(shop, f"product-{minute}", published_minutes=minute)

    pages = [client.get(LISTING, query_string={"page": number, "page_size": 3}) for number in (1, 2, 3, 4)]

    assert [slugs(page) for page in pages] == [
        ["product-6", "product-5", "product-4"], ["product-3", "product-2", "product-1"], ["product-0"], [],
    ]
    assert json.loads(pages[0].headers["X-Pagination"])["total"] == 7


def test_products_with_one_price_keep_a_stable_order_across_pages(client, make_seller):
    north, south = make_seller("north"), make_seller("south")
    for index in range(3):
        add_product(north, f"north-{index}", skus=(Sku(f"n{index}", 1000),))
        add_product(south, f"south-{index}", skus=(Sku(f"s{index}", 1000),))

    pages = [slugs(client.get(LISTING, query_string={"sort": "price_asc", "page": number, "page_size": 4}))
             for number in (1, 2)]

    assert sorted(pages[0] + pages[1]) == sorted(f"{shop}-{index}" for shop in ("north", "south") for index in range(3))


@pytest.mark.parametrize("query, field", [
    ({"sort": "cheapest"}, "sort"),
    ({"colour": "blue"}, "colour"),
    ({"category_id": "mugs"}, "category_id"),
    ({"category_id": "0"}, "category_id"),
    ({"category_id": str(2**63)}, "category_id"),
    ({"min_price": "-1"}, "min_price"),
    ({"min_price": "9.99"}, "min_price"),
    ({"max_price": "lots"}, "max_price"),
    ({"min_price": "500", "max_price": "100"}, "max_price"),
    ({"in_stock": "perhaps"}, "in_stock"),
    ({"currency": "euro"}, "currency"),
    ({"seller": "x" * 41}, "seller"),
    ({"page": "0"}, "page"),
    ({"page_size": "101"}, "page_size"),
    ({"page": "abc"}, "page"),
])
def test_bad_query_parameters_are_a_422_naming_the_field(client, make_seller, query, field):
    add_product(make_seller("shop"), "mug")

    response = client.get(LISTING, query_string=query)

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert field in body["errors"]


def test_an_unknown_category_is_a_422(client, make_seller):
    add_product(make_seller("shop"), "mug")

    response = client.get(LISTING, query_string={"category_id": 999})

    assert response.status_code == 422
    assert "category_id" in response.get_json()["errors"]
