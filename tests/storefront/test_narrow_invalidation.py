"""A catalog change empties only the cached listing pages it can alter, and shows at once on every one it does."""
from __future__ import annotations

import pytest

from marketplace.catalog.models import ProductStatus, StockReason
from marketplace.catalog.services import (
    change_status, list_variants, record_stock_movement, update_product, update_variant,
)
from marketplace.core.pagination import PageRequest
from marketplace.storefront import response_cache
from tests.storefront.support import DETAIL, LISTING, Sku, add_category, add_product, slugs

EVERYTHING = LISTING
SHOP_ONLY = LISTING + "?seller=shop"
OTHER_ONLY = LISTING + "?seller=other"
IN_STOCK = LISTING + "?in_stock=true"
CHEAPEST_FIRST = LISTING + "?sort=price_asc"


@pytest.fixture
def other(make_seller):
    return make_seller("other")


@pytest.fixture
def plate_id(other):
    return add_product(other, "plate", title="White Plate", skus=(Sku("plate-1", 800),), published_minutes=-10)


def mug_variant_id(shop, mug_id) -> int:
    return list_variants(shop, mug_id, PageRequest(number=1, size=10)).items[0].id


def item(response, slug: str) -> dict:
    return next(entry for entry in response.get_json() if entry["slug"] == slug)


def served_from_cache(client, path: str) -> bool:
    before = response_cache.lookups["storefront.Products:hit"]
    assert client.get(path).status_code == 200
    return response_cache.lookups["storefront.Products:hit"] == before + 1


def read(client, *paths: str) -> list:
    return [client.get(path) for path in paths]


def test_a_stock_change_shows_on_every_listing_page_with_the_product(client, owner, shop, mug_id, plate_id):
    read(client, EVERYTHING, SHOP_ONLY, IN_STOCK)

    record_stock_movement(shop, mug_id, mug_variant_id(shop, mug_id), -5, StockReason.ADJUSTMENT, "broken",
                          owner.user_id)
    everything, shop_only, in_stock = read(client, EVERYTHING, SHOP_ONLY, IN_STOCK)

    assert item(everything, "mug")["in_stock"] is False
    assert item(shop_only, "mug")["in_stock"] is False
    assert slugs(in_stock) == ["plate"]


def test_a_price_change_shows_on_every_page_and_in_the_price_order(client, shop, mug_id, plate_id):
    assert slugs(client.get(CHEAPEST_FIRST)) == ["plate", "mug"]
    read(client, EVERYTHING, SHOP_ONLY)

    update_variant(shop, mug_id, mug_variant_id(shop, mug_id), {"price_amount": 500})
    everything, shop_only, cheapest_first = read(client, EVERYTHING, SHOP_ONLY, CHEAPEST_FIRST)

    assert item(everything, "mug")["min_price_amount"] == 500
    assert item(shop_only, "mug")["min_price_amount"] == 500
    assert slugs(cheapest_first) == ["mug", "plate"]


def test_publishing_shows_the_product_on_every_page_it_belongs_to(client, other, shop, mug_id, plate_id):
    cups = add_category("Cups")
    cup_id = add_product(other, "cup", status=ProductStatus.DRAFT, category_id=cups)
    read(client, EVERYTHING, OTHER_ONLY, f"{LISTING}?category_id={cups}", IN_STOCK)

    change_status(other, cup_id, "publish")
    everything, other_only, in_cups, in_stock = read(client, EVERYTHING, OTHER_ONLY, f"{LISTING}?category_id={cups}",
                                                     IN_STOCK)

    assert slugs(everything)[0] == "cup"  # published now: the newest
    assert "cup" in slugs(other_only) and "cup" in slugs(in_stock)
    assert slugs(in_cups) == ["cup"]


def test_suspending_a_seller_removes_it_from_every_page(client, operator, shop, mug_id, plate_id):
    read(client, EVERYTHING, SHOP_ONLY, OTHER_ONLY, CHEAPEST_FIRST)

    client.post("/api/v1/operator/tenants/shop/suspend", json={"reason": "Unpaid invoices"}, headers=operator.headers)
    everything, shop_only, other_only, cheapest_first = read(client, EVERYTHING, SHOP_ONLY, OTHER_ONLY, CHEAPEST_FIRST)

    assert [slugs(everything), slugs(shop_only), slugs(other_only), slugs(cheapest_first)] == [
        ["plate"], [], ["plate"], ["plate"]]


def test_a_stock_change_of_one_seller_leaves_the_pages_of_other_sellers_cached(client, owner, shop, mug_id,
                                                                               plate_id):
    read(client, EVERYTHING, OTHER_ONLY, IN_STOCK + "&seller=other", SHOP_ONLY)

    # Stock received: the mug was in stock and still is, so only pages showing it can change.
    record_stock_movement(shop, mug_id, mug_variant_id(shop, mug_id), 3, StockReason.RECEIPT, "", owner.user_id)

    assert served_from_cache(client, OTHER_ONLY)
    assert served_from_cache(client, IN_STOCK + "&seller=other")
    assert not served_from_cache(client, SHOP_ONLY)
    assert not served_from_cache(client, EVERYTHING)


def test_a_stock_change_that_empties_a_product_leaves_pages_without_its_seller_or_stock_filter_cached(
        client, owner, shop, mug_id, plate_id):
    plates_only = LISTING + "?seller=other&sort=price_desc"
    read(client, plates_only, IN_STOCK, EVERYTHING + "?page_size=1")

    record_stock_movement(shop, mug_id, mug_variant_id(shop, mug_id), -5, StockReason.ADJUSTMENT, "", owner.user_id)

    assert served_from_cache(client, plates_only)
    # The first page of the newest products shows the mug only: the plate was published earlier.
    assert not served_from_cache(client, EVERYTHING + "?page_size=1")
    assert not served_from_cache(client, IN_STOCK)



def test_a_change_of_one_product_leaves_pages_of_the_sellers_other_products_cached(client, owner, shop, mug_id):
    bowls = add_category("Bowls")
    add_product(shop, "bowl", category_id=bowls)
    bowls_page = f"{LISTING}?category_id={bowls}"
    read(client, bowls_page, SHOP_ONLY)

    record_stock_movement(shop, mug_id, mug_variant_id(shop, mug_id), 3, StockReason.RECEIPT, "", owner.user_id)

    assert served_from_cache(client, bowls_page)
    assert not served_from_cache(client, SHOP_ONLY)  # the seller's products, the mug among them


def test_a_new_seller_name_shows_on_every_listing_page(client, owner, shop, mug_id, plate_id):
    read(client, EVERYTHING, SHOP_ONLY, OTHER_ONLY)

    client.patch("/api/v1/sellers/shop/settings", json={"display_name": "Shop of Mugs"}, headers=owner.headers)
    everything, shop_only = read(client, EVERYTHING, SHOP_ONLY)

    assert item(everything, "mug")["seller"]["name"] == "Shop of Mugs"
    assert item(shop_only, "mug")["seller"]["name"] == "Shop of Mugs"
    assert served_from_cache(client, OTHER_ONLY)


def test_a_product_moved_to_another_category_shows_its_new_path_and_leaves_the_old_category_page(client, shop):
    mugs, cups = add_category("Mugs"), add_category("Cups")
    mug_id = add_product(shop, "mug", category_id=mugs)
    read(client, DETAIL, f"{LISTING}?category_id={mugs}", f"{LISTING}?category_id={cups}")

    update_product(shop, mug_id, {"category_id": cups})
    detail, in_mugs, in_cups = read(client, DETAIL, f"{LISTING}?category_id={mugs}", f"{LISTING}?category_id={cups}")

    assert [category["name"] for category in detail.get_json()["category_path"]] == ["Cups"]
    assert [slugs(in_mugs), slugs(in_cups)] == [[], ["mug"]]
