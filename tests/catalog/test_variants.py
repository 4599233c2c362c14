"""Variants over the API: SKUs unique per seller, prices in the seller's currency, a published product keeps one."""
from __future__ import annotations

from marketplace.accounts.models import MemberRole


def test_a_variant_is_added_with_no_stock_in_the_sellers_currency(catalog):
    product = catalog.create_product()

    variant = catalog.add_variant(product["id"], "OAK-L", 24900, options={"size": "L"}, compare_at_amount=29900,
                                  weight_grams=18000, low_stock_threshold=2)

    assert variant == {**variant, "sku": "OAK-L", "options": {"size": "L"}, "price_amount": 24900,
                       "compare_at_amount": 29900, "currency": "USD", "weight_grams": 18000, "stock_on_hand": 0,
                       "low_stock_threshold": 2, "is_low_on_stock": True, "product_id": product["id"]}
    assert catalog.product(product["id"])["variants"] == [variant]
    assert catalog.call("GET", f"/products/{product['id']}/variants", 200) == [variant]


def test_a_sku_already_used_by_any_product_of_the_seller_is_a_409(catalog):
    table = catalog.create_product("oak-table")
    chair = catalog.create_product("oak-chair")
    catalog.add_variant(table["id"], "OAK-1")
    other = catalog.add_variant(chair["id"], "OAK-2")

    added = catalog.call("POST", f"/products/{chair['id']}/variants", 409, json={"sku": "OAK-1", "price_amount": 1})
    renamed = catalog.call("PATCH", f"/products/{chair['id']}/variants/{other['id']}", 409, json={"sku": "OAK-1"})

    assert added["code"] == renamed["code"] == "sku_taken"
    assert [variant["sku"] for variant in catalog.product(chair["id"])["variants"]] == ["OAK-2"]


def test_the_same_sku_may_be_used_by_two_sellers(client, catalog, sign_up, make_seller):
    rival_owner = sign_up("owner@rival.example")
    rival = make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})
    catalog.add_variant(catalog.create_product()["id"], "OAK-1")

    product = client.post(f"/api/v1/sellers/{rival.slug}/products", headers=rival_owner.headers,
                          json={"slug": "oak-table", "title": "Oak"}).get_json()
    response = client.post(f"/api/v1/sellers/{rival.slug}/products/{product['id']}/variants",
                           headers=rival_owner.headers, json={"sku": "OAK-1", "price_amount": 100})

    assert response.status_code == 201


def test_a_price_in_another_currency_than_the_sellers_is_a_422(catalog):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"], currency="USD")

    added = catalog.call("POST", f"/products/{product['id']}/variants", 422,
                         json={"sku": "OAK-2", "price_amount": 100, "currency": "EUR"})
    changed = catalog.call("PATCH", f"/products/{product['id']}/variants/{variant['id']}", 422,
                           json={"price_amount": 100, "currency": "EUR"})

    assert list(added["errors"]) == list(changed["errors"]) == ["currency"]
    assert catalog.product(product["id"])["variants"] == [variant]


def test_updating_a_variant_changes_its_fields_and_bumps_the_product_version(catalog):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])
    version = catalog.product(product["id"])["version"]

    updated = catalog.call("PATCH", f"/products/{product['id']}/variants/{variant['id']}", 200,
                           json={"price_amount": 17900, "compare_at_amount": None, "options": {"finish": "oiled"}})

    assert (updated["price_amount"], updated["compare_at_amount"], updated["options"]) == \
        (17900, None, {"finish": "oiled"})
    assert catalog.product(product["id"])["version"] == version + 1


def test_a_variant_is_found_only_under_its_own_product(catalog):
    table = catalog.create_product("oak-table")
    chair = catalog.create_product("oak-chair")
    variant = catalog.add_variant(table["id"])

    body = catalog.call("GET", f"/products/{chair['id']}/variants/{variant['id']}", 404)

    assert body["code"] == "not_found"
    assert catalog.call("GET", f"/products/{table['id']}/variants/{variant['id']}", 200) == variant


def test_deleting_a_variant_removes_it(catalog):
    product = catalog.create_product()
    first = catalog.add_variant(product["id"], "OAK-1")
    second = catalog.add_variant(product["id"], "OAK-2")

    catalog.call("DELETE", f"/products/{product['id']}/variants/{first['id']}", 204)

    assert catalog.product(product["id"])["variants"] == [second]


def test_the_only_variant_of_a_published_product_cannot_be_deleted(catalog):
    product = catalog.published_product()
    [variant] = product["variants"]

    body = catalog.call("DELETE", f"/products/{product['id']}/variants/{variant['id']}", 409)

    assert body["code"] == "last_variant"
    assert catalog.product(product["id"])["variants"] == [variant]
