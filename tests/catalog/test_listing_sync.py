"""The marketplace listing row of a product follows every change of the product, its variants, stock and images."""
from __future__ import annotations

from marketplace.catalog.listing import sync_listing
from marketplace.core.cache import MARKET_SCOPE, cached, tenant_scope
from tenants.uow import UnitOfWork


def test_a_new_product_has_a_draft_listing_row_with_no_price(catalog, shop, listing_row):
    product = catalog.create_product("oak-table", title="Oak Table", images=[
        {"url": "https://img.example/second.jpg", "position": 2}, {"url": "https://img.example/first.jpg",
                                                                    "position": 1}])

    row = listing_row(shop.tenant, product["id"])

    assert row == {**row, "product_slug": "oak-table", "title": "Oak Table", "status": "draft",
                   "min_price_amount": None, "max_price_amount": None, "currency": "USD", "in_stock": False,
                   "image_url": "https://img.example/first.jpg", "published_at": None}


def test_the_listing_row_follows_variants_stock_images_and_status(catalog, shop, listing_row, make_category):
    kitchen = make_category("kitchen")
    product = catalog.create_product()
    cheap = catalog.add_variant(product["id"], "OAK-S", 9900)
    catalog.add_variant(product["id"], "OAK-L", 24900)
    after_variants = listing_row(shop.tenant, product["id"])

    catalog.move_stock(product["id"], cheap["id"], 3, "receipt")
    after_receipt = listing_row(shop.tenant, product["id"])
    catalog.call("PATCH", f"/products/{product['id']}", 200, json={
        "title": "Big Oak Table", "slug": "big-oak-table", "category_id": kitchen,
        "images": [{"url": "https://img.example/new.jpg"}]})
    after_update = listing_row(shop.tenant, product["id"])
    catalog.publish(product["id"])
    after_publish = listing_row(shop.tenant, product["id"])
    catalog.call("PATCH", f"/products/{product['id']}/variants/{cheap['id']}", 200, json={"price_amount": 12900})
    after_price = listing_row(shop.tenant, product["id"])
    catalog.move_stock(product["id"], cheap["id"], -3, "adjustment")
    after_sell_out = listing_row(shop.tenant, product["id"])
    catalog.call("DELETE", f"/products/{product['id']}", 204)
    after_archive = listing_row(shop.tenant, product["id"])

    assert (after_variants["min_price_amount"], after_variants["max_price_amount"]) == (9900, 24900)
    assert (after_variants["in_stock"], after_receipt["in_stock"]) == (False, True)
    assert (after_update["title"], after_update["product_slug"], after_update["category_id"],
            after_update["image_url"]) == ("Big Oak Table", "big-oak-table", kitchen, "https://img.example/new.jpg")
    assert (after_publish["status"], after_publish["published_at"] is not None) == ("published", True)
    assert after_price["min_price_amount"] == 12900
    assert after_sell_out["in_stock"] is False
    assert after_archive["status"] == "archived"


def test_removing_a_variant_updates_the_price_range(catalog, shop, listing_row):
    product = catalog.create_product()
    catalog.add_variant(product["id"], "OAK-S", 9900)
    large = catalog.add_variant(product["id"], "OAK-L", 24900)

    catalog.call("DELETE", f"/products/{product['id']}/variants/{large['id']}", 204)

    row = listing_row(shop.tenant, product["id"])
    assert (row["min_price_amount"], row["max_price_amount"]) == (9900, 9900)


def test_sync_listing_copies_a_rating_change(app, catalog, shop, tenant_sql, listing_row):
    product = catalog.published_product()
    tenant_sql(shop.tenant, "UPDATE products SET rating_total = 9, rating_count = 2, version = version + 1"
                            " WHERE id = :id", id=product["id"])

    with app.app_context(), UnitOfWork(shop.tenant) as uow:
        sync_listing(uow, shop.tenant, product["id"])
        uow.commit()

    row = listing_row(shop.tenant, product["id"])
    assert (row["rating_total"], row["rating_count"]) == (9, 2)


def test_a_change_makes_cached_reads_of_the_seller_stale_and_leaves_the_marketplace_cached(app, catalog, shop):
    product = catalog.published_product()
    reads = {"market": 0, "tenant": 0}

    def read(scope_name: str, scope: str) -> int:
        def compute() -> int:
            reads[scope_name] += 1
            return reads[scope_name]
        return cached(scope, "probe", compute)

    with app.app_context():
        read("market", MARKET_SCOPE), read("tenant", tenant_scope(shop.tenant.id))

    catalog.call("PATCH", f"/products/{product['id']}", 200, json={"title": "Renamed"})

    with app.app_context():
        # A product change is narrow: listing pages depend on their sellers' scopes (tests/storefront).
        assert read("market", MARKET_SCOPE) == 1
        assert read("tenant", tenant_scope(shop.tenant.id)) == 2
