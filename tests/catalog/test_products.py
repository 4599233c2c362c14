"""Products over the API: create, read, update, archive, and the publish / unpublish / archive state machine."""
from __future__ import annotations

import pytest


def test_a_new_product_is_a_draft_with_its_fields(catalog, make_category):
    kitchen = make_category("kitchen")

    product = catalog.create_product(
        "oak-table", title="Oak Table", description="Solid oak.", category_id=kitchen,
        attributes={"material": "oak"}, images=[{"url": "https://img.example/oak.jpg", "alt": "The table"}])

    assert product["status"] == "draft"
    assert product["category_id"] == kitchen
    assert product["attributes"] == {"material": "oak"}
    assert product["images"] == [{"url": "https://img.example/oak.jpg", "alt": "The table", "position": 0}]
    assert product["variants"] == []
    assert product["version"] == 1
    assert catalog.product(product["id"]) == product


def test_products_are_listed_newest_first_and_filtered_by_status(catalog):
    catalog.create_product("first")
    catalog.published_product("second", sku="S-1")

    everything = catalog.call("GET", "/products", 200)
    published = catalog.call("GET", "/products?status=published", 200)

    assert [product["slug"] for product in everything] == ["second", "first"]
    assert [product["slug"] for product in published] == ["second"]


def test_updating_a_product_changes_only_the_given_fields_and_bumps_its_version(catalog):
    product = catalog.create_product("oak-table", description="Solid oak.",
                                     images=[{"url": "https://img.example/a.jpg"}])

    updated = catalog.call("PATCH", f"/products/{product['id']}", 200,
                           json={"title": "Oak Dining Table", "images": [{"url": "https://img.example/b.jpg",
                                                                           "position": 1}]})

    assert updated["title"] == "Oak Dining Table"
    assert updated["description"] == "Solid oak."
    assert [image["url"] for image in updated["images"]] == ["https://img.example/b.jpg"]
    assert updated["version"] == product["version"] + 1


def test_a_slug_already_used_by_another_product_is_a_409(catalog):
    catalog.create_product("oak-table")
    other = catalog.create_product("pine-table")

    created = catalog.call("POST", "/products", 409, json={"slug": "oak-table", "title": "Again"})
    renamed = catalog.call("PATCH", f"/products/{other['id']}", 409, json={"slug": "oak-table"})

    assert created["code"] == renamed["code"] == "slug_taken"
    assert [product["slug"] for product in catalog.call("GET", "/products", 200)] == ["pine-table", "oak-table"]


def test_renaming_to_a_taken_slug_with_new_images_is_a_409_that_changes_nothing(catalog):
    catalog.create_product("oak-table")
    other = catalog.create_product("pine-table", images=[{"url": "https://img.example/pine.jpg"}])

    body = catalog.call("PATCH", f"/products/{other['id']}", 409,
                        json={"slug": "oak-table", "images": [{"url": "https://img.example/new.jpg"}]})

    assert body["code"] == "slug_taken"
    assert catalog.product(other["id"]) == other


def test_a_category_that_does_not_exist_is_a_422(catalog):
    body = catalog.call("POST", "/products", 422, json={"slug": "oak-table", "title": "Oak", "category_id": 999})

    assert list(body["errors"]) == ["category_id"]
    assert catalog.call("GET", "/products", 200) == []


def test_publishing_needs_a_variant(catalog):
    product = catalog.create_product()

    body = catalog.call("POST", f"/products/{product['id']}/publish", 409)

    assert body["code"] == "no_variants"
    assert catalog.product(product["id"])["status"] == "draft"


def test_a_product_goes_through_publish_unpublish_archive_and_back(catalog):
    product = catalog.create_product()
    catalog.add_variant(product["id"])

    published = catalog.publish(product["id"])
    unpublished = catalog.call("POST", f"/products/{product['id']}/unpublish", 200)
    archived = catalog.call("POST", f"/products/{product['id']}/archive", 200)
    republished = catalog.publish(product["id"])

    assert [published["status"], unpublished["status"], archived["status"], republished["status"]] == \
        ["published", "draft", "archived", "published"]
    assert published["published_at"] is not None
    assert republished["published_at"] == published["published_at"]


@pytest.mark.parametrize("status_path, action", [
    ([], "unpublish"),
    (["publish"], "publish"),
    (["archive"], "archive"),
    (["archive"], "unpublish"),
])
def test_a_transition_the_state_machine_does_not_allow_is_a_409(catalog, status_path, action):
    product = catalog.create_product()
    catalog.add_variant(product["id"])
    for step in status_path:
        catalog.call("POST", f"/products/{product['id']}/{step}", 200)
    before = catalog.product(product["id"])

    body = catalog.call("POST", f"/products/{product['id']}/{action}", 409)

    assert body["code"] == "illegal_transition"
    assert catalog.product(product["id"]) == before


def test_deleting_a_product_archives_it_and_a_second_delete_changes_nothing(catalog):
    product = catalog.published_product()

    catalog.call("DELETE", f"/products/{product['id']}", 204)
    archived = catalog.product(product["id"])
    catalog.call("DELETE", f"/products/{product['id']}", 204)

    assert archived["status"] == "archived"
    assert catalog.product(product["id"]) == archived


def test_an_unknown_product_is_a_404(catalog):
    body = catalog.call("GET", "/products/424242", 404)

    assert body["code"] == "not_found"
