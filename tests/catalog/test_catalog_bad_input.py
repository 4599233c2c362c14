"""Bad input on every catalog endpoint: a JSON error with the right status, and nothing changed."""
from __future__ import annotations

import pytest

from tests.bad_input import BadBodyTests, BodyEndpoint

LONG = "x" * 1000


@pytest.fixture
def targets(catalog, make_category) -> dict:
    """Objects the bad requests aim at: a category, a product with a variant."""
    category_id = make_category("home")
    product = catalog.create_product("oak-table")
    variant = catalog.add_variant(product["id"], "OAK-1")
    return {"category": category_id, "product": product["id"], "variant": variant["id"]}


CHANGE = frozenset({"_schema"})  # a change must name at least one field


def new_object(path: str, caller: str, valid_body: dict) -> BodyEndpoint:
    """A POST that creates something: an empty body lacks every field of the valid one."""
    return BodyEndpoint("POST", path, caller, valid_body, frozenset(valid_body))


BODY_ENDPOINTS = {
    "create category": new_object("/api/v1/operator/categories", "operator", {"name": "Garden", "slug": "garden"}),
    "change category": BodyEndpoint("PATCH", "/api/v1/operator/categories/{category}", "operator",
                                    {"name": "Home & Living"}, CHANGE),
    "create product": new_object("{shop}/products", "staff", {"slug": "pine-table", "title": "Pine Table"}),
    "update product": BodyEndpoint("PATCH", "{shop}/products/{product}", "staff", {"title": "Oak Dining Table"},
                                   CHANGE),
    "add variant": new_object("{shop}/products/{product}/variants", "staff", {"sku": "OAK-2", "price_amount": 100}),
    "update variant": BodyEndpoint("PATCH", "{shop}/products/{product}/variants/{variant}", "staff",
                                   {"price_amount": 100}, CHANGE),
    "record stock movement": new_object("{shop}/products/{product}/variants/{variant}/stock-movements", "staff",
                                        {"quantity_delta": 3, "reason": "receipt"}),
}

INVALID_FIELDS = [
    ("create category", {"name": ""}, "name"),
    ("create category", {"name": LONG}, "name"),
    ("create category", {"slug": "Not A Slug"}, "slug"),
    ("create category", {"parent_id": "1"}, "parent_id"),
    ("create category", {"parent_id": 999}, "parent_id"),
    ("create category", {"parent_id": 2**63}, "parent_id"),
    ("create category", {"position": -1}, "position"),
    ("create category", {"colour": "green"}, "colour"),
    ("change category", {"slug": "trailing-"}, "slug"),
    ("change category", {"parent_id": 999}, "parent_id"),
    ("create product", {"slug": "UPPER"}, "slug"),
    ("create product", {"slug": "pine-table\n"}, "slug"),
    ("create product", {"slug": "a" * 121}, "slug"),
    ("create product", {"title": "   "}, "title"),
    ("create product", {"title": "t" * 201}, "title"),
    ("create product", {"description": "d" * 20_001}, "description"),
    ("create product", {"category_id": "home"}, "category_id"),
    ("create product", {"category_id": 2**63}, "category_id"),
    ("create product", {"attributes": {"material": 1}}, "attributes"),
    ("create product", {"attributes": {"k" * 41: "v"}}, "attributes"),
    ("create product", {"attributes": {f"k{n}": "v" for n in range(31)}}, "attributes"),
    ("create product", {"attributes": ["material=oak"]}, "attributes"),
    ("create product", {"images": [{"url": "ftp://img.example/a.jpg"}]}, "images"),
    ("create product", {"images": [{"url": "javascript:alert(1)"}]}, "images"),
    ("create product", {"images": [{"alt": "no url"}]}, "images"),
    ("create product", {"images": [{"url": "https://img.example/a.jpg", "position": -1}]}, "images"),
    ("create product", {"images": [{"url": "https://img.example/a.jpg", "size": 3}]}, "images"),
    ("create product", {"images": [{"url": "https://img.example/a.jpg"}] * 21}, "images"),
    ("create product", {"status": "published"}, "status"),
    ("update product", {"title": None}, "title"),
    ("update product", {"images": [{"url": "not a url"}]}, "images"),
    ("update product", {"version": 7}, "version"),
    ("add variant", {"price_amount": -1}, "price_amount"),
    ("add variant", {"price_amount": 12.5}, "price_amount"),
    ("add variant", {"price_amount": "100"}, "price_amount"),
    ("add variant", {"price_amount": True}, "price_amount"),
    ("add variant", {"price_amount": 10**13}, "price_amount"),
    ("add variant", {"compare_at_amount": -5}, "compare_at_amount"),
    ("add variant", {"currency": "usd"}, "currency"),
    ("add variant", {"currency": "EUR"}, "currency"),
    ("add variant", {"sku": ""}, "sku"),
    ("add variant", {"sku": "has space"}, "sku"),
    ("add variant", {"sku": "OAK-2\n"}, "sku"),
    ("add variant", {"sku": "S" * 65}, "sku"),
    ("add variant", {"options": {"size": ""}}, "options"),
    ("add variant", {"weight_grams": -1}, "weight_grams"),
    ("add variant", {"low_stock_threshold": 1.5}, "low_stock_threshold"),
    ("add variant", {"stock_on_hand": 5}, "stock_on_hand"),
    ("update variant", {"price_amount": -1}, "price_amount"),
    ("update variant", {"price_amount": None}, "price_amount"),
    ("update variant", {"stock_on_hand": 1}, "stock_on_hand"),
    ("record stock movement", {"quantity_delta": 0}, "quantity_delta"),
    ("record stock movement", {"quantity_delta": 1.5}, "quantity_delta"),
    ("record stock movement", {"quantity_delta": "3"}, "quantity_delta"),
    ("record stock movement", {"quantity_delta": 10_000_001}, "quantity_delta"),
    ("record stock movement", {"quantity_delta": -2, "reason": "receipt"}, "quantity_delta"),
    ("record stock movement", {"reason": "gift"}, "reason"),
    ("record stock movement", {"reason": "sale"}, "reason"),
    ("record stock movement", {"note": "n" * 301}, "note"),
]


@pytest.fixture
def send_body(request, client, shop, targets, endpoint):
    """Send a request to the test's endpoint as its usual sender (an operator is signed up only when needed)."""
    # Signed up here, before the test takes its snapshot of the database.
    headers = request.getfixturevalue("operator").headers if BODY_ENDPOINTS[endpoint].caller == "operator" \
        else shop.staff.headers

    def send(endpoint: str, **kwargs):
        spec = BODY_ENDPOINTS[endpoint]
        return client.open(spec.path.format(shop=shop.url, **targets), method=spec.method, headers=headers, **kwargs)

    return send


@pytest.fixture
def database_state(shop, catalog_state):
    return lambda: catalog_state(shop.tenant)


class TestBadBodies(BadBodyTests):
    endpoints = BODY_ENDPOINTS
    invalid_fields = INVALID_FIELDS


@pytest.mark.parametrize("path", [
    "{shop}/products?status=sold",
    "{shop}/products?page=0",
    "{shop}/products?page_size=500",
    "{shop}/products/{product}/variants?page_size=0",
    "{shop}/products/{product}/variants/{variant}/stock-movements?page=-1",
])
def test_bad_query_parameters_of_a_list_are_a_422(client, shop, targets, path):
    response = client.get(path.format(shop=shop.url, **targets), headers=shop.staff.headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


@pytest.mark.parametrize("query", ["reassign_to=abc", "reassign_to=0", "reassign_to=1&colour=red",
                                   "reassign_to=9223372036854775808"])
def test_a_bad_reassignment_parameter_is_a_422(client, operator, shop, targets, catalog_state, query):
    before = catalog_state(shop.tenant)

    response = client.delete(f"/api/v1/operator/categories/{targets['category']}?{query}", headers=operator.headers)

    assert response.status_code == 422
    assert catalog_state(shop.tenant) == before


@pytest.mark.parametrize("path", [
    "{shop}/products/99999999999999999999",
    "{shop}/products/{product}/variants/9223372036854775807",
    "{shop}/products/not-a-number",
    "{shop}/product-imports/12345",
])
def test_an_id_that_does_not_exist_is_a_404(client, shop, targets, path):
    response = client.get(path.format(shop=shop.url, **targets), headers=shop.staff.headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_an_unknown_seller_is_a_404(client, shop):
    response = client.get("/api/v1/sellers/no-such-shop/products", headers=shop.staff.headers)

    assert response.status_code == 404
