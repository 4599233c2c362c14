"""Hot reads come from Redis under keys that carry the tenant, and every change shows on the next read."""
from __future__ import annotations

from sqlalchemy import text

from marketplace.core.extensions import redis_client
from tenants.shards import shards
from tests.storefront.support import DETAIL, LISTING, PROFILE, add_category, add_product, add_purchase, slugs


def read_everything(client) -> tuple:
    """Listing, detail and profile, as a buyer sees them (and as the cache then holds them)."""
    return client.get(LISTING), client.get(DETAIL), client.get(PROFILE)


def test_hot_reads_are_served_from_the_cache(client, sql, shop, mug_id):
    read_everything(client)
    # Behind the services' back: no writer ran, so nothing was invalidated.
    sql("UPDATE platform.product_listings SET title = 'Changed behind the back'")

    listing = client.get(LISTING)

    assert listing.get_json()[0]["title"] == "Blue Mug"


def test_cache_keys_carry_the_tenant(client, shop, mug_id):
    read_everything(client)

    keys = {key.decode() for key in redis_client.client.keys("cache:*")}

    assert f"cache:tenant:{shop.id}:product:shop:mug" in keys
    assert f"cache:tenant:{shop.id}:profile:shop" in keys
    # The listing is cached as whole responses only, under the marketplace scope.
    assert any(key.startswith("cache:market:response:") and "Products" in key for key in keys)


def test_a_product_change_is_visible_on_the_next_read(client, owner, shop, mug_id):
    read_everything(client)

    client.patch(f"/api/v1/sellers/shop/products/{mug_id}", json={"title": "Sea Mug"}, headers=owner.headers)
    listing, detail, profile = read_everything(client)

    assert listing.get_json()[0]["title"] == "Sea Mug"
    assert detail.get_json()["title"] == "Sea Mug"
    assert profile.get_json()["products"][0]["title"] == "Sea Mug"


def test_an_archived_product_disappears_on_the_next_read(client, owner, shop, mug_id):
    read_everything(client)

    client.post(f"/api/v1/sellers/shop/products/{mug_id}/archive", headers=owner.headers)
    listing, detail, profile = read_everything(client)

    assert slugs(listing) == []
    assert detail.status_code == 404
    assert profile.get_json()["products"] == []


def test_suspending_a_seller_hides_it_on_the_next_read_and_resuming_brings_it_back(client, operator, shop, mug_id):
    read_everything(client)

    client.post("/api/v1/operator/tenants/shop/suspend", json={"reason": "Unpaid invoices"},
                headers=operator.headers)
    suspended = read_everything(client)
    client.post("/api/v1/operator/tenants/shop/resume", json={"reason": "Paid"}, headers=operator.headers)
    resumed = read_everything(client)

    assert [slugs(suspended[0]), suspended[1].status_code, suspended[2].status_code] == [[], 404, 404]
    assert [slugs(resumed[0]), resumed[1].status_code, resumed[2].status_code] == [["mug"], 200, 200]


def test_a_new_review_shows_in_every_rating_on_the_next_read(client, buyer, shop, mug_id):
    line_id = add_purchase(buyer.user_id, shop, mug_id)
    read_everything(client)

    client.post("/api/v1/reviews", json={"order_line_id": line_id, "rating": 4, "body": "Nice."},
                headers=buyer.headers)
    listing, detail, profile = read_everything(client)

    assert listing.get_json()[0]["rating"] == {"average": 4.0, "count": 1}
    assert detail.get_json()["rating"] == {"average": 4.0, "count": 1}
    assert profile.get_json()["rating"] == {"average": 4.0, "count": 1}


def test_new_storefront_settings_show_on_the_next_read(client, owner, shop):
    client.get(PROFILE)

    client.patch("/api/v1/sellers/shop/settings", json={"description": "Now with saucers."}, headers=owner.headers)
    profile = client.get(PROFILE)

    assert profile.get_json()["description"] == "Now with saucers."


def test_a_renamed_category_shows_in_the_product_path_on_the_next_read(client, operator, shop):
    mugs = add_category("Mugs")
    add_product(shop, "mug", category_id=mugs)
    client.get(DETAIL)

    client.patch(f"/api/v1/operator/categories/{mugs}", json={"name": "Cups and mugs"}, headers=operator.headers)
    detail = client.get(DETAIL)

    assert [category["name"] for category in detail.get_json()["category_path"]] == ["Cups and mugs"]


def test_a_slug_that_names_another_tenant_after_a_database_reset_is_looked_up_afresh(client, make_seller, sql):
    add_product(make_seller("north"), "north-mug")
    add_product(make_seller("south"), "south-mug")
    client.get("/api/v1/products/south/south-mug")
    # What the suite's clean-up does between tests: ids start again, so "south" now has north's old id.
    sql("TRUNCATE platform.tenants RESTART IDENTITY CASCADE")
    for shard_key in shards.keys:
        with shards.engine(shard_key).begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS tenant_1, tenant_2 CASCADE"))
    redis_client.client.flushdb()
    redis_client.near_cache.forget_everything()
    add_product(make_seller("south"), "south-cup")
    add_product(make_seller("north"), "south-mug", title="North's own mug")

    wrong_shop = client.get("/api/v1/products/south/south-mug")
    right_shop = client.get("/api/v1/products/south/south-cup")

    assert wrong_shop.status_code == 404
    assert right_shop.get_json()["seller"]["slug"] == "south"
